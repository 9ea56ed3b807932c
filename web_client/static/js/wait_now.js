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
    this.asked = 0; // refreshes started: only the latest one's answer counts
  }

  /**
   * Fetch the current waits and show the last chosen one again. Never throws and
   * never holds up asking: when the server cannot estimate (503 pool_unavailable,
   * its pool store is unreachable), or the network fails, no wait is shown at all.
   */
  async refresh() {
    const asked = ++this.asked;
    let waits = null;
    try {
      const response = await fetch(API.WAITS, { headers: { Accept: 'application/json' } });
      if (response.ok) {
        const body = await response.json();
        waits = new Map(
          (Array.isArray(body.waits) ? body.waits : []).map((w) => [`${w.service}/${w.language}`, w.wait_seconds]),
        );
      }
    } catch {
      waits = null; // say nothing rather than something stale
    }
    if (asked !== this.asked) {
      return; // a later refresh answers instead
    }
    this.waits = waits;
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
