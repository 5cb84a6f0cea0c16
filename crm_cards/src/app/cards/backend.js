// Where the Moulin backend is deployed. Must be listed in `permittedUrls.fetch` of ../app-hsmeta.json
// (the config test checks both agree); see docs/crm-card.md to point the card at another deployment.
export const BACKEND_URL = 'https://moulin-hubspot.example.com';

// HubSpot gives up after 15 s; the backend answers within ~10 s even when Moulin is slow.
const REFRESH_TIMEOUT_MS = 14000;

async function parse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.message ? body.message : `The Moulin backend answered ${response.status}.`;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return body;
}

// `fetcher` is `hubspot.fetch` in HubSpot and a fake in tests. HubSpot appends portalId, appId,
// userId and userEmail to the URL and signs the request; the record id is ours to send.
export async function fetchOrders(fetcher, contactId, page, perPage) {
  const query = new URLSearchParams({ contactId: String(contactId), page: String(page), perPage: String(perPage) });
  return parse(await fetcher(`${BACKEND_URL}/card/orders?${query}`, { method: 'GET' }));
}

export async function refreshOrders(fetcher, contactId, perPage) {
  return parse(
    await fetcher(`${BACKEND_URL}/card/orders/refresh`, {
      method: 'POST',
      timeout: REFRESH_TIMEOUT_MS,
      body: { contactId: String(contactId), perPage },
    })
  );
}
