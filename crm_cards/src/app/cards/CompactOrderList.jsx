import React from 'react';
import { Divider, Flex, Link, StatusTag, Text } from '@hubspot/ui-extensions';
import { day, money, statusLabel, statusVariant } from './format.js';

// The tab card's name (moulin-order-history-hsmeta.json): HubSpot offers cards no action that opens a record tab,
// so the sidebar names it.
const HISTORY_TAB = 'Moulin order history';

function CompactOrder({ order }) {
  return (
    <Flex direction="column" gap="xs">
      <Flex direction="row" justify="between" align="baseline">
        {order.url ? <Link href={order.url}>{order.number}</Link> : <Text format={{ fontWeight: 'bold' }}>{order.number}</Text>}
        <Text format={{ fontWeight: 'bold' }}>{money(order.total, order.currency)}</Text>
      </Flex>
      <Flex direction="row" justify="between" align="center">
        <Flex direction="row" gap="xs" align="baseline">
          <Text variant="microcopy">{day(order.orderedAt)}</Text>
          {order.dealUrl ? <Link href={order.dealUrl}>Deal</Link> : null}
          {order.orderUrl ? <Link href={order.orderUrl}>Order</Link> : null}
        </Flex>
        <Flex direction="row" gap="xs">
          <StatusTag variant={statusVariant(order.status)}>{statusLabel(order.status)}</StatusTag>
          {order.hubspotStage ? <StatusTag variant="info">{`HubSpot: ${order.hubspotStage}`}</StatusTag> : null}
        </Flex>
      </Flex>
    </Flex>
  );
}

/**
 * The sidebar's orders: a few hundred pixels wide, so two short lines per order (number and total, then date and
 * status) instead of the tab's seven-column table, and a pointer to the tab for the rest.
 */
export function CompactOrderList({ data }) {
  const more = data.totalCount - data.orders.length;
  return (
    <Flex direction="column" gap="sm">
      {data.orders.map((order) => (
        <React.Fragment key={order.id}>
          <CompactOrder order={order} />
          <Divider />
        </React.Fragment>
      ))}
      {more > 0 ? (
        <Text variant="microcopy">
          Latest {data.orders.length} of {data.totalCount} orders. The full history is in the “{HISTORY_TAB}” tab.
        </Text>
      ) : null}
    </Flex>
  );
}
