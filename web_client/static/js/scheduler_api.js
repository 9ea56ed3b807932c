// The scheduler page's calls to the server, and how a refusal is explained beside the form that caused it.

import { clearMessage, hasMessage, setMessage } from './i18n.js';

/** The page's `api(method, path, body)`; `showLogin` runs when the server answers 401. */
export function schedulerApi(showLogin) {
  return async function api(method, path, body) {
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
    if (response.status === 401) {
      showLogin();
    }
    return { ok: false, status: response.status, error };
  };
}

/** Explain a refusal in `area`, and mark and focus the field it names. */
export function showRefusal(area, error, fields) {
  const key = `scheduler.error.${error.code}`;
  area.dataset.code = error.code;
  if (hasMessage(key)) {
    setMessage(area, key);
  } else {
    setMessage(area, 'scheduler.error.other', { message: error.message || error.code });
  }
  const input = fields[error.field];
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-errormessage', area.id);
    input.focus();
  }
}

export function clearRefusal(area, fields) {
  delete area.dataset.code;
  clearMessage(area);
  for (const input of Object.values(fields)) {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-errormessage');
  }
}
