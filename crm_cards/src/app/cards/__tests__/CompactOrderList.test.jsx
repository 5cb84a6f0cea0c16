import React from 'react';
import { Divider, Link, LoadingButton, StatisticsItem, StatusTag, Table, Text } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { describe, expect, it } from 'vitest';
import { OrdersCard } from '../OrdersCard.jsx';
import { FakeBackend, listing, order, textOf } from './fakes.js';

const LIST = '/card/orders';

function showSidebar(answer) {
  const backend = new FakeBackend();
  backend.answer(LIST, 200, answer);
  const renderer = createRenderer('crm.record.sidebar');
  const { mocks } = renderer;
  renderer.render(
    <OrdersCard context={mocks.context} actions={mocks.actions} fetcher={backend.fetch} perPage={5} layout="compact" />
  );
  return { backend, renderer };
}

const loaded = (renderer) => renderer.waitFor(() => expect(renderer.findAll(StatusTag).length).toBeGreaterThan(0));

describe('OrdersCard in the sidebar (compact layout)', () => {
  it('shows the totals, then each order as short rows: number, total, date and status, no table', async () => {
    const { renderer } = showSidebar(listing([order(3), order(2, { status: 'cancelled', url: null })]));
    await loaded(renderer);
    expect(renderer.maybeFind(Table)).toBeNull();
    const stats = Object.fromEntries(renderer.findAll(StatisticsItem).map((s) => [s.props.label, s.props.number]));
    expect(stats).toEqual({ Orders: 2, 'Lifetime value': '60.00 EUR', 'Last order': '2026-03-03' });
    const links = renderer.findAll(Link);
    expect(links.map((l) => [l.text, l.props.href])).toEqual([['N-3', 'https://bo.example/orders/o3']]);
    expect(renderer.findAll(StatusTag).map((t) => [t.text, t.props.variant])).toEqual([
      ['Paid', 'success'],
      ['Cancelled', 'danger'],
    ]);
    const texts = renderer.findAll(Text).map(textOf);
    for (const shown of ['N-2', '30.00 EUR', '20.00 EUR', '2026-03-03', '2026-03-02']) {
      expect(texts).toContain(shown);
    }
    expect(renderer.findAll(Divider)).toHaveLength(2);
    expect(renderer.find(LoadingButton).text).toBe('Refresh from Moulin');
  });

  it('links an order to its deal in HubSpot as well as to the back office', async () => {
    const deal = 'https://app.hubspot.com/contacts/1001/record/0-3/9001';
    const { renderer } = showSidebar(listing([order(3, { dealUrl: deal })]));
    await loaded(renderer);
    expect(renderer.findAll(Link).map((l) => [l.text, l.props.href])).toEqual([
      ['N-3', 'https://bo.example/orders/o3'],
      ['Deal', deal],
    ]);
  });

  it('links an order to its HubSpot order beside its deal, or alone for an orders-only store', async () => {
    const deal = 'https://app.hubspot.com/contacts/1001/record/0-3/9001';
    const hubspotOrder = 'https://app.hubspot.com/contacts/1001/record/0-123/7001';
    const { renderer } = showSidebar(
      listing([order(3, { dealUrl: deal, orderUrl: hubspotOrder }), order(2, { dealUrl: null, orderUrl: hubspotOrder })])
    );
    await loaded(renderer);
    expect(renderer.findAll(Link).map((l) => [l.text, l.props.href])).toEqual([
      ['N-3', 'https://bo.example/orders/o3'],
      ['Deal', deal],
      ['Order', hubspotOrder],
      ['N-2', 'https://bo.example/orders/o2'],
      ['Order', hubspotOrder], // an orders-only store: the order link without a deal
    ]);
  });

  it("shows the deal's HubSpot stage beside the Moulin status when a person moved it in HubSpot", async () => {
    const { renderer } = showSidebar(listing([order(4, { hubspotStage: 'Closed won' })]));
    await loaded(renderer);
    expect(renderer.findAll(StatusTag).map((t) => [t.text, t.props.variant])).toEqual([
      ['Paid', 'success'],
      ['HubSpot: Closed won', 'info'],
    ]);
  });

  it('points to the full-history tab when the contact has more orders than the sidebar shows', async () => {
    const { backend, renderer } = showSidebar(listing([order(9), order(8)], { totalPages: 6, totalCount: 12 }));
    await loaded(renderer);
    expect(backend.calls[0].query.perPage).toBe('5');
    const pointer = renderer.findAll(Text).map(textOf).find((t) => t.includes('full history'));
    expect(pointer).toContain('Latest 2 of 12 orders');
    expect(pointer).toContain('“Moulin order history” tab');
  });

  it('says nothing about the tab when every order is already shown', async () => {
    const { renderer } = showSidebar(listing([order(1)]));
    await loaded(renderer);
    expect(renderer.findAll(Text).map(textOf).some((t) => t.includes('full history'))).toBe(false);
  });
});
