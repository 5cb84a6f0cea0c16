import React from 'react';
import { hubspot } from '@hubspot/ui-extensions';
import { OrdersCard } from './OrdersCard.jsx';

hubspot.extend(({ context, actions }) => (
  <OrdersCard context={context} actions={actions} fetcher={hubspot.fetch} perPage={5} layout="compact" />
));
