// Shared by the record pages (case search, statistics) and the wrap-up form:
// calls to the HTTP API, the staff sign-in on a page, and times and durations
// written in the center's time zone.

import { clearMessage, intlLocale, setMessage } from './i18n.js';

/** Call the API; resolves to {ok, status, data} or {ok: false, status, error}. */
export async function api(method, path, body) {
  const options = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    return { ok: false, status: 0, error: { code: 'unreachable', message: '', field: null } };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.ok) {
    return { ok: true, status: response.status, data };
  }
  const error = (data && data.error) || { code: `http_${response.status}`, message: '', field: null };
  return { ok: false, status: response.status, error };
}

/** A moment as date and time (or time only) in `timeZone`, 24-hour clock. */
export function formatTime(iso, timeZone, { date = true, seconds = false } = {}) {
  if (!iso) {
    return '—';
  }
  const options = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone };
  if (date) {
    Object.assign(options, { year: 'numeric', month: '2-digit', day: '2-digit' });
  }
  if (seconds) {
    options.second = '2-digit';
  }
  return new Intl.DateTimeFormat(intlLocale(), options).format(new Date(iso));
}

/** Seconds as m:ss (or h:mm:ss); a dash when there is no value. */
export function formatSeconds(value) {
  if (value === null || value === undefined) {
    return '—';
  }
  const total = Math.round(value);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A number the reader's way, with `digits` decimals; a dash when missing. */
export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '—';
  }
  return new Intl.NumberFormat(intlLocale(), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** A share as a percentage ("87.5%"), or a dash when the whole is 0. */
export function formatShare(part, whole) {
  if (!whole) {
    return '—';
  }
  return new Intl.NumberFormat(intlLocale(), { style: 'percent', maximumFractionDigits: 1 }).format(
    part / whole,
  );
}

/**
 * The staff sign-in of a record page: shows the form until someone signs in,
 * then calls `onSignedIn(profile)`; a 401 later brings the form back.
 * `ui` holds: loginForm, username, password, login, who, logout; `errors` is a
 * MessageArea; `setView(name)` switches the page's sections.
 */
export class SignIn {
  constructor({ ui, errors, setView, onSignedIn }) {
    this.ui = ui;
    this.errors = errors;
    this.setView = setView;
    this.onSignedIn = onSignedIn;
    this.me = null;
    ui.loginForm.addEventListener('submit', (event) => this.submit(event));
    ui.logout.addEventListener('click', () => this.logout());
  }

  async start() {
    const result = await api('GET', '/api/me');
    if (result.ok) {
      await this.enter(result.data);
    } else {
      this.show();
    }
  }

  show() {
    this.me = null;
    clearMessage(this.ui.who);
    this.ui.logout.hidden = true;
    this.setView('login');
    this.ui.username.focus();
  }

  async enter(me) {
    this.me = me;
    setMessage(this.ui.who, 'staff.signed_in_as', { name: me.display_name });
    this.ui.logout.hidden = false;
    this.errors.clear();
    await this.onSignedIn(me);
  }

  async submit(event) {
    event.preventDefault();
    this.errors.clear();
    this.ui.login.disabled = true;
    const result = await api('POST', '/api/login', {
      username: this.ui.username.value.trim(),
      password: this.ui.password.value,
    });
    this.ui.login.disabled = false;
    if (result.ok) {
      this.ui.password.value = '';
      await this.enter(result.data);
    } else if (result.error.code === 'bad_credentials') {
      this.errors.show('staff.login.bad_credentials', {}, result.error.code);
    } else {
      this.errors.show('staff.login.failed', {}, result.error.code);
    }
  }

  async logout() {
    await api('POST', '/api/logout');
    this.show();
  }

  /** After a refused call: a lapsed sign-in shows the form again. */
  handle(result) {
    if (result.status === 401) {
      this.errors.show('staff.session_expired', {}, 'not_signed_in');
      this.show();
      return true;
    }
    return false;
  }
}
