/**
 * The wait a request made now would have, shown before the citizen asks
 * (GET /api/waits: per service and language, shared by every caller for a few seconds).
 */
import { clearMessage, setMessage } from './i18n.js';
import { API } from './protocol.js';

export class WaitNow {
  /** @param {HTMLElement} element where the wait is written, in words */
  constructor(element) {
    this.element = element;
    this.waits = null; // Map "service/language" -> seconds or null; null until loaded
    this.shown = null; // {service, language, open} last asked for
  }

  /** Fetch the current waits and show the last chosen one again. */
  async refresh() {
    try {
      const response = await fetch(API.WAITS, { headers: { Accept: 'application/json' } });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      const body = await response.json();
      this.waits = new Map(
        (Array.isArray(body.waits) ? body.waits : []).map((w) => [`${w.service}/${w.language}`, w.wait_seconds]),
      );
    } catch {
      this.waits = null; // say nothing rather than something stale
    }
    if (this.shown) {
      this.show(this.shown.service, this.shown.language, this.shown.open);
    }
  }

  /** Show the wait for a service and language; nothing while it is closed or unknown. */
  show(service, language, open) {
    this.shown = { service, language, open };
    const key = `${service}/${language}`;
    if (open === false || !this.waits || !this.waits.has(key)) {
      clearMessage(this.element);
      delete this.element.dataset.waitSeconds;
      return;
    }
    const seconds = this.waits.get(key);
    this.element.dataset.waitSeconds = seconds === null ? 'none' : String(seconds);
    if (seconds === null) {
      setMessage(this.element, 'citizen.wait_now.nobody');
    } else if (seconds <= 0) {
      setMessage(this.element, 'citizen.wait_now.none');
    } else if (seconds < 60) {
      setMessage(this.element, 'citizen.estimate.soon');
    } else {
      setMessage(this.element, 'citizen.estimate', { minutes: Math.ceil(seconds / 60) });
    }
  }
}
