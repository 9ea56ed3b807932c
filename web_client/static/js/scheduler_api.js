// The scheduler page's calls to the server, and how a refusal is explained beside the form that caused it.

import { clearMessage, hasMessage, setMessage } from './i18n.js';
import { api } from './records_common.js';

/** The page's `api(method, path, body)` (records_common's); `showLogin` runs when the server answers 401. */
export function schedulerApi(showLogin) {
  return async function schedulerCall(method, path, body) {
    const result = await api(method, path, body);
    if (result.status === 401) {
      showLogin();
    }
    return result;
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
