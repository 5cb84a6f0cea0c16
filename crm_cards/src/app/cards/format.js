// Moulin order status -> StatusTag variant: green once paid, red when lost, amber while undecided.
const STATUS_VARIANTS = {
  cart: 'default',
  checkout: 'warning',
  pending: 'warning',
  paid: 'success',
  processing: 'info',
  ready_for_pickup: 'info',
  shipped: 'success',
  completed: 'success',
  cancelled: 'danger',
  refunded: 'danger',
  partially_refunded: 'warning',
};

export const statusVariant = (status) => STATUS_VARIANTS[status] || 'default';

export const statusLabel = (status) => {
  const words = String(status || 'unknown').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

// Amounts arrive as exact decimal strings: shown as they are, never through floats.
export const money = (amount, currency) => `${amount} ${currency}`;

// "0.00", "0" or missing: nothing refunded. Compared as text, like every amount here.
export const isRefunded = (amount) => Boolean(amount) && !/^0+(\.0+)?$/.test(amount);

export const day = (iso) => (iso ? iso.slice(0, 10) : '—');

export const lifetimeValue = (values) =>
  values && values.length ? values.map((v) => money(v.amount, v.currency)).join(' + ') : '0';

// HubSpot's Original source values (knowledge.hubspot.com/properties/understand-source-properties).
const SOURCE_LABELS = {
  ORGANIC_SEARCH: 'Organic search',
  PAID_SEARCH: 'Paid search',
  EMAIL_MARKETING: 'Email marketing',
  SOCIAL_MEDIA: 'Organic social',
  REFERRALS: 'Referrals',
  OTHER_CAMPAIGNS: 'Other campaigns',
  DIRECT_TRAFFIC: 'Direct traffic',
  OFFLINE: 'Offline sources',
  PAID_SOCIAL: 'Paid social',
};

export const sourceLabel = (source) => SOURCE_LABELS[source] || source;
