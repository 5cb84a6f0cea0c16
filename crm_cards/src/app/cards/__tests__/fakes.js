// A hand-written stand-in for `hubspot.fetch`: answers queued per URL path, records every call,
// and can hold an answer back until the test releases it (to see the loading and refreshing states).
export class FakeBackend {
  constructor() {
    this.calls = [];
    this.queued = { '/card/orders': [], '/card/orders/refresh': [] };
  }

  answer(path, status, body, { held = false } = {}) {
    let release;
    const gate = held ? new Promise((resolve) => (release = resolve)) : Promise.resolve();
    this.queued[path].push({ status, body, gate });
    return release;
  }

  fetch = async (url, options = {}) => {
    const { pathname, searchParams } = new URL(url);
    this.calls.push({ path: pathname, query: Object.fromEntries(searchParams), options });
    const next = this.queued[pathname].shift();
    if (!next) throw new Error(`unexpected call to ${pathname}`);
    await next.gate;
    return { ok: next.status < 400, status: next.status, json: async () => next.body };
  };
}

const order = (n, overrides = {}) => ({
  id: `b2c:o${n}`,
  number: `N-${n}`,
  store: 'b2c',
  storeName: 'Shop B2C',
  orderedAt: `2026-03-${String(n).padStart(2, '0')}T10:00:00Z`,
  status: 'paid',
  currency: 'EUR',
  total: `${n}0.00`,
  refunded: '0.00',
  itemCount: n,
  pickupPoint: 'Lyon Part-Dieu',
  url: `https://bo.example/orders/o${n}`,
  ...overrides,
});

export const listing = (orders, { page = 1, totalPages = 1, totalCount = orders.length } = {}) => ({
  contactId: '123',
  email: 'ann@example.com',
  orders,
  page,
  perPage: 5,
  totalCount,
  totalPages,
  totals: {
    orders: totalCount,
    value: totalCount ? [{ currency: 'EUR', amount: '60.00' }] : [],
    lastOrderAt: orders.length ? orders[0].orderedAt : null,
  },
});

export { order };

// All the text under a rendered node (the renderer's `.text` holds only a node's own text children).
export const textOf = (node) =>
  node.nodeType === 'text' ? node.text : (node.childNodes || []).map(textOf).join(' ');
