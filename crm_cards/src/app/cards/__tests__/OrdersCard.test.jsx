import React from 'react';
import {
  Button,
  EmptyState,
  ErrorState,
  Link,
  LoadingButton,
  LoadingSpinner,
  StatisticsItem,
  StatusTag,
  Table,
  TableRow,
} from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { describe, expect, it } from 'vitest';
import { OrdersCard } from '../OrdersCard.jsx';
import { BACKEND_URL } from '../backend.js';
import { FakeBackend, listing, order, textOf } from './fakes.js';

const LIST = '/card/orders';
const REFRESH = '/card/orders/refresh';

function setup(location = 'crm.record.sidebar') {
  const backend = new FakeBackend();
  const renderer = createRenderer(location);
  const { mocks } = renderer;
  const show = (props = {}) =>
    renderer.render(<OrdersCard context={mocks.context} actions={mocks.actions} fetcher={backend.fetch} {...props} />);
  return { backend, renderer, mocks, show };
}

const bodyRows = (renderer) => renderer.findAll(TableRow).slice(1); // the first row is the header

describe('OrdersCard', () => {
  it('shows a spinner while the orders load', async () => {
    const { backend, renderer, show } = setup();
    const release = backend.answer(LIST, 200, listing([order(2), order(1)]), { held: true });
    show();
    expect(renderer.find(LoadingSpinner).props.label).toBe('Loading Moulin orders');
    expect(renderer.maybeFind(Table)).toBeNull();
    release();
    await renderer.waitFor(() => expect(renderer.maybeFind(LoadingSpinner)).toBeNull());
  });

  it('shows the refunded amount and the stage a person set in HubSpot beside the Moulin status', async () => {
    const { backend, renderer, show } = setup();
    backend.answer(
      LIST,
      200,
      listing([
        order(3, { status: 'partially_refunded', refunded: '7.50', hubspotStage: 'Completed' }),
        order(2, { hubspotStage: null }),
      ])
    );
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    const rows = bodyRows(renderer);
    expect(textOf(rows[0])).toContain('30.00 EUR');
    expect(textOf(rows[0])).toContain('7.50 EUR refunded');
    expect(textOf(rows[1])).not.toContain('refunded');
    expect(rows[0].findAll(StatusTag).map((t) => [t.text, t.props.variant])).toEqual([
      ['Partially refunded', 'warning'],
      ['HubSpot: Completed', 'info'],
    ]);
    expect(rows[1].findAll(StatusTag).map((t) => t.text)).toEqual(['Paid']);
  });

  it("asks the backend for this record's orders", async () => {
    const { backend, renderer, mocks, show } = setup();
    backend.answer(LIST, 200, listing([order(1)]));
    show({ perPage: 5 });
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    expect(backend.calls).toHaveLength(1);
    expect(backend.calls[0].path).toBe(LIST);
    expect(backend.calls[0].query).toEqual({ contactId: String(mocks.context.crm.objectId), page: '1', perPage: '5' });
    expect(backend.calls[0].options.method).toBe('GET');
  });

  it('lists the orders newest first with totals, status tags, links and pickup points', async () => {
    const { backend, renderer, show } = setup();
    backend.answer(LIST, 200, listing([order(3), order(2, { status: 'cancelled', url: null }), order(1)]));
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    const rows = bodyRows(renderer);
    expect(rows).toHaveLength(3);
    expect(textOf(rows[0])).toContain('N-3');
    expect(textOf(rows[0])).toContain('2026-03-03');
    expect(textOf(rows[0])).toContain('Shop B2C');
    expect(textOf(rows[0])).toContain('30.00 EUR');
    expect(textOf(rows[0])).toContain('Lyon Part-Dieu');
    expect(rows[0].find(Link).props.href).toBe('https://bo.example/orders/o3');
    expect(rows[1].maybeFind(Link)).toBeNull(); // no back-office link known: plain number
    const tags = renderer.findAll(StatusTag);
    expect(tags.map((t) => [t.text, t.props.variant])).toEqual([
      ['Paid', 'success'],
      ['Cancelled', 'danger'],
      ['Paid', 'success'],
    ]);
    const stats = Object.fromEntries(renderer.findAll(StatisticsItem).map((s) => [s.props.label, s.props.number]));
    expect(stats).toEqual({ Orders: 3, 'Lifetime value': '60.00 EUR', 'Last order': '2026-03-03' });
    expect(renderer.find(Table).props.paginated).toBeUndefined();
  });

  it("links each order to the store's back office and to its deal and its order in HubSpot", async () => {
    const { backend, renderer, show } = setup('crm.record.tab');
    const deal = 'https://app.hubspot.com/contacts/1001/record/0-3/9001';
    const hubspotOrder = 'https://app.hubspot.com/contacts/1001/record/0-123/7001';
    backend.answer(LIST, 200, listing([
      order(3, { dealUrl: deal, orderUrl: hubspotOrder }),
      order(2, { dealUrl: null }),
      order(1, { dealUrl: null, orderUrl: hubspotOrder }),
    ]));
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    const rows = bodyRows(renderer);
    expect(rows[0].findAll(Link).map((l) => [l.text, l.props.href])).toEqual([
      ['N-3', 'https://bo.example/orders/o3'],
      ['Deal', deal],
      ['Order', hubspotOrder],
    ]);
    expect(rows[1].findAll(Link).map((l) => l.text)).toEqual(['N-2']); // not in HubSpot (yet): no deal, no order
    expect(rows[2].findAll(Link).map((l) => l.text)).toEqual(['N-1', 'Order']); // an orders-only store
  });

  it('pages beyond the first page', async () => {
    const { backend, renderer, show } = setup();
    backend.answer(LIST, 200, listing([order(9), order(8)], { totalPages: 3, totalCount: 12 }));
    backend.answer(LIST, 200, listing([order(5), order(4)], { page: 2, totalPages: 3, totalCount: 12 }));
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    const table = renderer.find(Table);
    expect(table.props.paginated).toBe(true);
    expect(table.props.pageCount).toBe(3);
    table.trigger('onPageChange', 2);
    await renderer.waitFor(() => expect(textOf(bodyRows(renderer)[0] || { childNodes: [] })).toContain('N-5'));
    expect(backend.calls[1].query.page).toBe('2');
    expect(renderer.find(Table).props.page).toBe(2);
  });

  it('shows the empty state when the contact has no orders', async () => {
    const { backend, renderer, show } = setup();
    backend.answer(LIST, 200, listing([]));
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(EmptyState)).not.toBeNull());
    expect(renderer.find(EmptyState).props.title).toBe('No Moulin orders for this email');
    expect(renderer.find(LoadingButton).text).toBe('Refresh from Moulin');
    expect(renderer.maybeFind(Table)).toBeNull();
  });

  it('shows an error with a retry that loads again', async () => {
    const { backend, renderer, show } = setup();
    backend.answer(LIST, 403, { error: 'forbidden', message: 'The Moulin app is not installed on this HubSpot account.' });
    backend.answer(LIST, 200, listing([order(1)]));
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(ErrorState)).not.toBeNull());
    expect(textOf(renderer.find(ErrorState))).toContain('not installed on this HubSpot account');
    renderer.find(Button, { variant: 'primary' }).trigger('onClick');
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    expect(backend.calls).toHaveLength(2);
  });

  it('refreshes: spinner on the button, then the fresh list, an alert and refreshed CRM properties', async () => {
    const { backend, renderer, mocks, show } = setup();
    backend.answer(LIST, 200, listing([order(1)]));
    const release = backend.answer(
      REFRESH,
      200,
      { ...listing([order(4), order(1)]), refresh: { status: 'done', orders: 2, errors: 0 } },
      { held: true }
    );
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    renderer.find(LoadingButton).trigger('onClick');
    await renderer.waitFor(() => expect(renderer.find(LoadingButton).props.loading).toBe(true));
    expect(renderer.find(LoadingButton).props.disabled).toBe(true);
    expect(renderer.find(LoadingButton).text).toBe('Refreshing…');
    expect(bodyRows(renderer)).toHaveLength(1); // the old list stays while refreshing

    const call = backend.calls[1];
    expect(`${BACKEND_URL}${call.path}`).toBe(`${BACKEND_URL}/card/orders/refresh`);
    expect(call.options.method).toBe('POST');
    expect(call.options.body).toEqual({ contactId: String(mocks.context.crm.objectId), perPage: 5 });
    expect(call.options.timeout).toBeLessThanOrEqual(15000);

    release();
    await renderer.waitFor(() => expect(renderer.find(LoadingButton).props.loading).toBe(false));
    expect(bodyRows(renderer).map((r) => r.find(Link).text)).toEqual(['N-4', 'N-1']);
    expect(mocks.actions.refreshObjectProperties.callCount).toBe(1);
    expect(mocks.actions.addAlert.calls[0][0]).toMatchObject({ type: 'success' });
  });

  it('reports a failed refresh with an alert and keeps the list it had', async () => {
    const { backend, renderer, mocks, show } = setup();
    backend.answer(LIST, 200, listing([order(1)]));
    backend.answer(REFRESH, 503, {
      error: 'unavailable',
      message: 'Moulin is not answering right now; the orders shown are from the last sync.',
    });
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    renderer.find(LoadingButton).trigger('onClick');
    await renderer.waitFor(() => expect(mocks.actions.addAlert.callCount).toBe(1));
    expect(mocks.actions.addAlert.calls[0][0]).toEqual({
      type: 'danger',
      title: 'Refresh failed',
      message: 'Moulin is not answering right now; the orders shown are from the last sync.',
    });
    expect(mocks.actions.refreshObjectProperties.callCount).toBe(0);
    await renderer.waitFor(() => expect(renderer.find(LoadingButton).props.loading).toBe(false));
    expect(bodyRows(renderer).map((r) => r.find(Link).text)).toEqual(['N-1']);
  });

  it('shows the fresh orders and names the store that did not answer', async () => {
    const { backend, renderer, mocks, show } = setup('crm.record.tab');
    backend.answer(LIST, 200, listing([]));
    const message = 'Moulin store Pro (b2b) is not answering: its orders are shown from the last sync; '
      + 'the other stores are up to date.';
    backend.answer(REFRESH, 200, { ...listing([]), refresh: { status: 'partial', message } });
    show({ perPage: 25, density: 'default' });
    await renderer.waitFor(() => expect(renderer.maybeFind(EmptyState)).not.toBeNull());
    renderer.find(LoadingButton).trigger('onClick');
    await renderer.waitFor(() => expect(mocks.actions.addAlert.callCount).toBe(1));
    expect(mocks.actions.addAlert.calls[0][0]).toMatchObject({ type: 'warning', message });
    expect(mocks.actions.refreshObjectProperties.callCount).toBe(1);
  });

  it('tells the user when the refresh goes on in the background', async () => {
    const { backend, renderer, mocks, show } = setup('crm.record.tab');
    backend.answer(LIST, 200, listing([]));
    backend.answer(REFRESH, 202, {
      ...listing([]),
      refresh: { status: 'running', message: 'Moulin is slow to answer: the refresh goes on in the background.' },
    });
    show({ perPage: 25, density: 'default' });
    await renderer.waitFor(() => expect(renderer.maybeFind(EmptyState)).not.toBeNull());
    renderer.find(LoadingButton).trigger('onClick');
    await renderer.waitFor(() => expect(mocks.actions.addAlert.callCount).toBe(1));
    expect(mocks.actions.addAlert.calls[0][0]).toMatchObject({ type: 'info', title: 'Still syncing' });
    expect(mocks.actions.refreshObjectProperties.callCount).toBe(0);
    expect(backend.calls[1].options.body.perPage).toBe(25);
  });

  it("shows the contact's original source next to its totals", async () => {
    const { backend, renderer, mocks, show } = setup();
    mocks.actions.fetchCrmObjectProperties.willCall(async () => ({ hs_analytics_source: 'ORGANIC_SEARCH' }));
    backend.answer(LIST, 200, listing([order(2), order(1)]));
    show();
    await renderer.waitFor(() => expect(renderer.findAll(StatisticsItem)).toHaveLength(4));
    const source = renderer.findAll(StatisticsItem)[3].props;
    expect(source).toMatchObject({ label: 'Original source', number: 'Organic search' });
    expect(mocks.actions.fetchCrmObjectProperties.calls[0][0]).toEqual(['hs_analytics_source']);
  });

  it('shows no source when the contact has none', async () => {
    const { backend, renderer, show } = setup();
    backend.answer(LIST, 200, listing([order(1)]));
    show();
    await renderer.waitFor(() => expect(renderer.maybeFind(Table)).not.toBeNull());
    expect(renderer.findAll(StatisticsItem).map((item) => item.props.label)).toEqual([
      'Orders',
      'Lifetime value',
      'Last order',
    ]);
  });
});
