// The supervisor dashboard's little parts: the server's clock, ticking durations, table cells, badges and tiles.

import { hasMessage, t } from './i18n.js';
import { formatSeconds, formatTime } from './records_common.js';

/** The server's clock (`state.offsetMs` from this browser's) and the durations that count up on it. */
export function serverClock(state) {
  function serverNow() {
    return Date.now() + state.offsetMs;
  }

  function secondsSince(sinceMs) {
    return Math.max(0, (serverNow() - sinceMs) / 1000);
  }

  /** A duration that counts up every second from `sinceMs` (server clock). */
  function ticking(sinceMs) {
    const span = element('span', { class: 'tick', 'data-since': String(sinceMs) });
    span.textContent = formatSeconds(secondsSince(sinceMs));
    return span;
  }

  return { serverNow, secondsSince, ticking };
}

export function clock(ms) {
  return formatTime(new Date(ms).toISOString(), undefined, { date: false, seconds: true });
}

export function element(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/**
 * One cell of a board table. The column's name goes beside the value (seen on
 * a phone, where rows become cards; hidden from screen readers, which have the
 * header cells).
 */
export function cell(column, content, { header = false } = {}) {
  const node = header
    ? element('th', { scope: 'row', role: 'rowheader' })
    : element('td', { role: 'cell' });
  const label = element('span', { class: 'cell-label', 'aria-hidden': 'true' });
  label.textContent = t(`supervisor.column.${column}`);
  const value = element('span', { class: 'cell-value' }, [content].flat());
  node.append(label, value);
  return node;
}

export function row(cells, attrs = {}) {
  return element('tr', { role: 'row', ...attrs }, cells);
}

export function showRows(table, body, empty, rows) {
  body.replaceChildren(...rows);
  table.hidden = rows.length === 0;
  empty.hidden = rows.length > 0;
}

export function serviceName(service) {
  return t(`service.${service}`);
}

export function languageName(language) {
  return t(`language.${language}`);
}

export function stateName(status) {
  const key = `supervisor.state.${status}`;
  return hasMessage(key) ? t(key) : String(status);
}

export function reasonName(reason) {
  if (!reason) {
    return '—';
  }
  const key = `staff.away_reason.${reason}`;
  return hasMessage(key) ? t(key) : String(reason);
}

export function badge(text, attrs = {}) {
  const span = element('span', { class: 'badge', ...attrs });
  span.textContent = text;
  return span;
}

export function tile(key, value, attrs = {}) {
  const box = element('div', { class: 'tile', ...attrs });
  const dt = element('dt');
  dt.textContent = t(key);
  const dd = element('dd', {}, [value].flat());
  box.append(dt, dd);
  return box;
}
