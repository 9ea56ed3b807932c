// The supervisor dashboard's alert limit: the wait that raises the long-wait alert, remembered in this browser.

import { clearMessage, setMessage } from './i18n.js';

/** Where the alert limit is remembered in this browser (seconds). */
const LIMIT_STORAGE = 'dasan-supervisor-alert-seconds';
export const DEFAULT_LIMIT_S = 120;
const LIMIT_MIN_S = 1;
const LIMIT_MAX_S = 3600;

/** The limit as its hint says it, minutes:seconds, even past an hour ("60:00"). */
function minutesSeconds(total) {
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

function validLimit(value) {
  return Number.isInteger(value) && value >= LIMIT_MIN_S && value <= LIMIT_MAX_S;
}

export function rememberedLimit() {
  try {
    const raw = window.localStorage.getItem(LIMIT_STORAGE);
    const value = raw === null ? NaN : Number(raw);
    return validLimit(value) ? value : DEFAULT_LIMIT_S;
  } catch {
    return DEFAULT_LIMIT_S; // storage is disabled: the default for this visit
  }
}

export class SupervisorLimit {
  /** `page`: the dashboard's {ui, state, board}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
  }

  showLimit() {
    const { ui, state } = this;
    ui.limit.value = String(state.limitS);
    setMessage(ui.limitHint, 'supervisor.limit.now', { limit: minutesSeconds(state.limitS) });
  }

  setLimit(event) {
    const { ui, state } = this;
    event.preventDefault();
    const value = ui.limit.value.trim() === '' ? NaN : Number(ui.limit.value);
    if (!validLimit(value)) {
      ui.limit.setAttribute('aria-invalid', 'true');
      setMessage(ui.limitProblem, 'supervisor.limit.invalid', { min: LIMIT_MIN_S, max: LIMIT_MAX_S });
      ui.limit.focus();
      return;
    }
    ui.limit.removeAttribute('aria-invalid');
    clearMessage(ui.limitProblem);
    state.limitS = value;
    try {
      window.localStorage.setItem(LIMIT_STORAGE, String(value));
    } catch {
      // kept for this visit only
    }
    this.showLimit();
    this.page.board.tick();
  }
}
