// The preview's stand-in for `@hubspot/ui-extensions`: the bundler maps that import here (build.mjs), so the
// card code runs unchanged in a plain browser page served by the HubSpot sandbox.
//
// Components render as plain HTML with `hs-*` classes (styled by the record page); only the components and
// props our cards use exist, so a card importing anything else fails the build instead of rendering nothing.
// `hubspot.fetch` goes through the sandbox (POST /_sandbox/preview/fetch), which does what HubSpot's proxy does:
// appends HubSpot's query parameters, signs the request (v3) and enforces the timeout and size limit.
import React, { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

const classes = (...names) => names.filter(Boolean).join(' ');

export function Flex({ direction = 'row', gap, justify, align, wrap, children }) {
  return (
    <div className={classes('hs-flex', `hs-flex-${direction}`, gap && `hs-gap-${gap}`, justify && `hs-justify-${justify}`,
      align && `hs-align-${align}`, wrap && 'hs-wrap')}>
      {children}
    </div>
  );
}

export function Text({ variant, format, children }) {
  return <p className={classes('hs-text', variant && `hs-text-${variant}`, format?.fontWeight === 'bold' && 'hs-bold')}>{children}</p>;
}

export function Link({ href, children }) {
  return <a className="hs-link" href={href} target="_blank" rel="noopener noreferrer">{children}</a>;
}

export function Divider() {
  return <hr className="hs-divider" />;
}

export function Button({ variant = 'secondary', size, disabled, onClick, href, children }) {
  const className = classes('hs-button', `hs-button-${variant}`, size && `hs-button-${size}`);
  if (href) {
    return <a className={className} href={href}>{children}</a>;
  }
  return <button type="button" className={className} disabled={disabled} onClick={onClick}>{children}</button>;
}

export function LoadingButton({ loading, ...props }) {
  return <Button {...props}>{loading ? <span className="hs-spinner hs-spinner-inline" aria-hidden="true" /> : null}{props.children}</Button>;
}

export function LoadingSpinner({ label, showLabel, layout }) {
  return (
    <div className={classes('hs-loading', layout && `hs-layout-${layout}`)} role="status" aria-label={label}>
      <span className="hs-spinner" aria-hidden="true" />
      {showLabel ? <span>{label}</span> : null}
    </div>
  );
}

export function ErrorState({ title, children }) {
  return (
    <div className="hs-state hs-error-state" role="alert">
      <h4 className="hs-state-title">{title}</h4>
      {children}
    </div>
  );
}

export function EmptyState({ title, layout, children }) {
  return (
    <div className={classes('hs-state', 'hs-empty-state', layout && `hs-layout-${layout}`)}>
      <h4 className="hs-state-title">{title}</h4>
      {children}
    </div>
  );
}

export function Statistics({ children }) {
  return <dl className="hs-statistics">{children}</dl>;
}

export function StatisticsItem({ label, number }) {
  return (
    <div className="hs-statistics-item">
      <dt>{label}</dt>
      <dd>{number}</dd>
    </div>
  );
}

export function StatusTag({ variant = 'default', children }) {
  return <span className={classes('hs-status-tag', `hs-status-${variant}`)}>{children}</span>;
}

function Pagination({ page, pageCount, onPageChange }) {
  return (
    <nav className="hs-pagination" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => onPageChange(page - 1)}>Prev</button>
      <span className="hs-page-of">Page {page} of {pageCount}</span>
      <button type="button" disabled={page >= pageCount} onClick={() => onPageChange(page + 1)}>Next</button>
    </nav>
  );
}

export function Table({ bordered, density, paginated, page, pageCount, onPageChange, children }) {
  return (
    <div className="hs-table-wrap">
      <table className={classes('hs-table', bordered && 'hs-bordered', density && `hs-density-${density}`)}>{children}</table>
      {paginated ? <Pagination page={page} pageCount={pageCount} onPageChange={onPageChange} /> : null}
    </div>
  );
}

export const TableHead = ({ children }) => <thead>{children}</thead>;
export const TableBody = ({ children }) => <tbody>{children}</tbody>;
export const TableRow = ({ children }) => <tr>{children}</tr>;
export const TableHeader = ({ align, children }) => <th className={align && `hs-align-${align}`}>{children}</th>;
export const TableCell = ({ align, children }) => <td className={align && `hs-align-${align}`}>{children}</td>;

// What the record page tells the cards (set by the sandbox's record page template).
const record = () => window.HUBSPOT_PREVIEW;

async function hsFetch(url, options = {}) {
  const { portalId, fetchEndpoint } = record();
  const answer = await window.fetch(fetchEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ portalId, url: String(url), method: options.method || 'GET', body: options.body ?? null,
      timeout: options.timeout ?? null }),
  });
  const relayed = await answer.json();
  if (!answer.ok) {
    // HubSpot's proxy could not get an answer (refused URL, app down, timeout, too large): the promise rejects.
    throw new Error(relayed.message);
  }
  const empty = relayed.status === 204 || relayed.body === '';
  return new Response(empty ? null : relayed.body, {
    status: relayed.status,
    headers: { 'Content-Type': relayed.contentType || 'application/json' },
  });
}

// Alerts HubSpot shows above a card (`actions.addAlert`).
function Alerts({ subscribe }) {
  const [alerts, setAlerts] = useState([]);
  useEffect(() => subscribe((alert) => setAlerts((shown) => [...shown, { ...alert, key: shown.length }])), [subscribe]);
  return alerts.map((alert) => (
    <div key={alert.key} className={classes('hs-alert', `hs-alert-${alert.type || 'info'}`)} role="status">
      {alert.title ? <strong>{alert.title} </strong> : null}
      {alert.message}
      <button type="button" className="hs-alert-close" aria-label="Dismiss"
        onClick={() => setAlerts((shown) => shown.filter((a) => a.key !== alert.key))}>×</button>
    </div>
  ));
}

function extend(renderCard) {
  // Each card's bundle is loaded by its own <script data-location data-mount>: that tag says where it goes.
  const script = document.currentScript;
  const { portalId, contactId, user, properties = {} } = record();
  const listeners = [];
  const context = {
    location: script.dataset.location,
    crm: { objectId: Number(contactId), objectTypeId: '0-1' },
    portal: { id: portalId },
    user,
  };
  const actions = {
    addAlert: (alert) => listeners.forEach((listener) => listener(alert)),
    // HubSpot redraws the record's property panels; the preview's panel is static, so there is nothing to redraw.
    refreshObjectProperties: () => {},
    // The record's own properties as the page was served (HubSpot: `{name: value}` for the names asked for).
    fetchCrmObjectProperties: async (names) =>
      Object.fromEntries((names === '*' ? Object.keys(properties) : names).map((n) => [n, properties[n] ?? ''])),
  };
  const subscribe = (listener) => {
    listeners.push(listener);
    return () => listeners.splice(listeners.indexOf(listener), 1);
  };
  createRoot(document.getElementById(script.dataset.mount)).render(
    <>
      <Alerts subscribe={subscribe} />
      {renderCard({ context, actions })}
    </>
  );
}

export const hubspot = { extend, fetch: hsFetch };
