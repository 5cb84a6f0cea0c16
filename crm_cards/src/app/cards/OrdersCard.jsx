import React, { useCallback, useEffect, useState } from 'react';
import {
  Button,
  EmptyState,
  ErrorState,
  Flex,
  Link,
  LoadingButton,
  LoadingSpinner,
  Statistics,
  StatisticsItem,
  StatusTag,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
} from '@hubspot/ui-extensions';
import { fetchOrders, refreshOrders } from './backend.js';
import { CompactOrderList } from './CompactOrderList.jsx';
import { day, isRefunded, lifetimeValue, money, sourceLabel, statusLabel, statusVariant } from './format.js';

const SOURCE_PROPERTY = 'hs_analytics_source';

function Totals({ totals, source }) {
  return (
    <Statistics>
      <StatisticsItem label="Orders" number={totals.orders} />
      <StatisticsItem label="Lifetime value" number={lifetimeValue(totals.value)} />
      <StatisticsItem label="Last order" number={day(totals.lastOrderAt)} />
      {source ? <StatisticsItem label="Original source" number={sourceLabel(source)} /> : null}
    </Statistics>
  );
}

// The contact's own HubSpot property, read by the card itself (no backend call): checkout attribution fills it.
function useOriginalSource(actions) {
  const [source, setSource] = useState(null);
  useEffect(() => {
    let current = true;
    // Inside the promise: a host without the action (or one that throws) shows no source, never breaks the card.
    Promise.resolve()
      .then(() => actions.fetchCrmObjectProperties([SOURCE_PROPERTY]))
      .then(
        (properties) => current && setSource((properties && properties[SOURCE_PROPERTY]) || null),
        () => current && setSource(null) // no source shown rather than an error over the orders
      );
    return () => {
      current = false;
    };
  }, [actions]);
  return source;
}

function OrderRow({ order }) {
  return (
    <TableRow>
      <TableCell>
        <Flex direction="column" gap="flush">
          {order.url ? <Link href={order.url}>{order.number}</Link> : order.number}
          {order.dealUrl ? <Link href={order.dealUrl}>Deal</Link> : null}
          {order.orderUrl ? <Link href={order.orderUrl}>Order</Link> : null}
        </Flex>
      </TableCell>
      <TableCell>{day(order.orderedAt)}</TableCell>
      <TableCell>{order.storeName}</TableCell>
      <TableCell>
        <Flex direction="row" gap="xs">
          <StatusTag variant={statusVariant(order.status)}>{statusLabel(order.status)}</StatusTag>
          {/* A person moved the deal in HubSpot: both are true, so both show. */}
          {order.hubspotStage ? <StatusTag variant="info">{`HubSpot: ${order.hubspotStage}`}</StatusTag> : null}
        </Flex>
      </TableCell>
      <TableCell align="right">
        {money(order.total, order.currency)}
        {isRefunded(order.refunded) ? <Text variant="microcopy">{`${money(order.refunded, order.currency)} refunded`}</Text> : null}
      </TableCell>
      <TableCell>{order.pickupPoint || '—'}</TableCell>
      <TableCell align="right">{order.itemCount}</TableCell>
    </TableRow>
  );
}

function OrdersTable({ data, page, onPageChange, density }) {
  const paging =
    data.totalPages > 1 ? { paginated: true, pageCount: data.totalPages, page, onPageChange } : {};
  return (
    <Table bordered density={density} {...paging}>
      <TableHead>
        <TableRow>
          <TableHeader>Order</TableHeader>
          <TableHeader>Date</TableHeader>
          <TableHeader>Store</TableHeader>
          <TableHeader>Status</TableHeader>
          <TableHeader align="right">Total</TableHeader>
          <TableHeader>Pickup point</TableHeader>
          <TableHeader align="right">Items</TableHeader>
        </TableRow>
      </TableHead>
      <TableBody>
        {data.orders.map((order) => (
          <OrderRow key={order.id} order={order} />
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * A contact's Moulin orders. `fetcher` is `hubspot.fetch` (a fake in tests); `perPage` and `layout` differ
 * between the sidebar card (`compact`: the latest orders as short rows) and the full-history tab (`table`).
 */
export function OrdersCard({ context, actions, fetcher, perPage = 5, density = 'condensed', layout = 'table' }) {
  const contactId = context.crm.objectId;
  const [page, setPage] = useState(1);
  const [attempt, setAttempt] = useState(0);
  const [view, setView] = useState({ status: 'loading', data: null, error: null });
  const [refreshing, setRefreshing] = useState(false);
  const source = useOriginalSource(actions);

  useEffect(() => {
    let current = true;
    setView((previous) => ({ ...previous, status: 'loading' }));
    fetchOrders(fetcher, contactId, page, perPage).then(
      (data) => current && setView({ status: 'ready', data, error: null }),
      (error) => current && setView({ status: 'error', data: null, error: error.message })
    );
    return () => {
      current = false;
    };
  }, [fetcher, contactId, page, perPage, attempt]);

  const refresh = useCallback(async () => {
    setRefreshing(true);
    try {
      const data = await refreshOrders(fetcher, contactId, perPage);
      setView({ status: 'ready', data, error: null });
      setPage(1);
      if (data.refresh && data.refresh.status === 'running') {
        actions.addAlert({ type: 'info', title: 'Still syncing', message: data.refresh.message });
      } else if (data.refresh && data.refresh.status === 'partial') {
        // One store down: the others' orders are fresh. addAlert types, incl. 'warning':
        // https://developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensibility/linting/rules/no-browser-dialogs
        actions.addAlert({ type: 'warning', title: 'A store is not answering', message: data.refresh.message });
        actions.refreshObjectProperties();
      } else {
        actions.addAlert({ type: 'success', message: 'Orders refreshed from Moulin.' });
        actions.refreshObjectProperties();
      }
    } catch (error) {
      // The list on screen stays as it was: the backend keeps the old data when Moulin fails.
      actions.addAlert({ type: 'danger', title: 'Refresh failed', message: error.message });
    } finally {
      setRefreshing(false);
    }
  }, [fetcher, contactId, perPage, actions]);

  const refreshButton = (
    <LoadingButton variant="secondary" size="sm" loading={refreshing} disabled={refreshing} onClick={refresh}>
      {refreshing ? 'Refreshing…' : 'Refresh from Moulin'}
    </LoadingButton>
  );

  if (view.status === 'loading') {
    return <LoadingSpinner label="Loading Moulin orders" showLabel layout="centered" />;
  }
  if (view.status === 'error') {
    return (
      <ErrorState title="Couldn't load Moulin orders" type="error">
        <Text>{view.error}</Text>
        <Button variant="primary" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </Button>
      </ErrorState>
    );
  }
  const { data } = view;
  if (data.totalCount === 0) {
    return (
      <EmptyState title="No Moulin orders for this email" layout="vertical" imageName="productsShoppingCart">
        <Text>Orders placed in a Moulin store with this contact's email will show here.</Text>
        {refreshButton}
      </EmptyState>
    );
  }
  return (
    <Flex direction="column" gap="sm">
      <Totals totals={data.totals} source={source} />
      {layout === 'compact' ? (
        <CompactOrderList data={data} />
      ) : (
        <OrdersTable data={data} page={page} onPageChange={setPage} density={density} />
      )}
      {refreshButton}
    </Flex>
  );
}
