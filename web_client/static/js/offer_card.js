// The staff console's offer card: what is offered (a waiting citizen, a seat as a
// department's counselor, or a session to take over), a countdown to answer, and
// the Alt+A / Alt+X shortcuts. The console decides what an answer does.

import { clearMessage, setMessage } from './i18n.js';
import { departmentName } from './room_controls.js';

// The staff PC's clock may be off; past this much disagreement trust timeout_seconds.
const MAX_CLOCK_SKEW_MS = 2000;
const TICK_MS = 250;

/**
 * Answer an offer from anywhere on the page. Alt+letter is free in Chrome, Edge
 * and Firefox (Alt+D would take the address bar) and in screen readers (NVDA and
 * JAWS use Insert or Caps Lock, VoiceOver Control+Option). Matched by the key's
 * place (event.code), so a Korean layout or macOS's Option characters do not matter.
 */
const SHORTCUTS = Object.freeze({ KeyA: 'accept', KeyX: 'decline' });

/** When the offer lapses, by this browser's clock. */
export function offerDeadline(offer, now = Date.now()) {
  const byTimeout = now + offer.timeout_seconds * 1000;
  const byClock = Date.parse(offer.expires_at);
  if (Number.isFinite(byClock) && Math.abs(byClock - byTimeout) <= MAX_CLOCK_SKEW_MS) {
    return byClock;
  }
  return byTimeout;
}

/** The card `root` with #offer-what, #offer-purpose, #offer-countdown, #offer-progress, #accept, #decline. */
export class OfferCard {
  constructor(root) {
    const part = (id) => root.querySelector(`#${id}`);
    this.root = root;
    this.what = part('offer-what');
    this.purpose = part('offer-purpose');
    this.countdown = part('offer-countdown');
    this.progress = part('offer-progress');
    this.accept = part('accept');
    this.decline = part('decline');
    this.offer = null;
    this.deadline = 0;
    this.timer = null;
    document.addEventListener('keydown', (event) => this.onShortcut(event));
  }

  show(offer) {
    this.hide();
    this.offer = offer;
    this.deadline = offerDeadline(offer);
    setMessage(this.what, 'staff.offer.what', {
      service: { key: `service.${offer.service}` },
      language: { key: `language.${offer.language}` },
    });
    this.renderPurpose(offer);
    this.root.dataset.offerId = offer.offer_id;
    this.root.hidden = false;
    this.setBusy(false);
    this.tick();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.accept.focus();
  }

  /** A counselor's or a transfer's offer joins a session in progress: say which. */
  renderPurpose({ purpose, department }) {
    this.root.dataset.purpose = purpose || 'session';
    if (purpose === 'counselor') {
      setMessage(this.purpose, 'staff.offer.purpose.counselor', {
        department: department ? departmentName(department) : '—',
      });
    } else if (purpose === 'transfer') {
      setMessage(this.purpose, 'staff.offer.purpose.transfer');
    } else {
      clearMessage(this.purpose);
    }
    this.purpose.hidden = !purpose || purpose === 'session';
  }

  tick() {
    if (!this.offer) {
      return;
    }
    const leftMs = Math.max(0, this.deadline - Date.now());
    setMessage(this.countdown, 'staff.offer.countdown', { seconds: Math.ceil(leftMs / 1000) });
    const totalMs = this.offer.timeout_seconds * 1000;
    this.progress.value = totalMs > 0 ? leftMs / totalMs : 0;
    if (leftMs === 0) {
      clearInterval(this.timer);
      this.timer = null;
      this.accept.disabled = true; // the server is closing the offer; do not race it
    }
  }

  hide() {
    clearInterval(this.timer);
    this.timer = null;
    this.offer = null;
    this.root.hidden = true;
    delete this.root.dataset.offerId;
  }

  setBusy(busy) {
    this.accept.disabled = busy;
    this.decline.disabled = busy;
  }

  onShortcut(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return; // AltGr (Ctrl+Alt) types letters on many layouts: leave it alone
    }
    const action = SHORTCUTS[event.code];
    if (!action || !this.offer) {
      return;
    }
    event.preventDefault();
    const button = action === 'accept' ? this.accept : this.decline;
    if (!event.repeat && !button.disabled) {
      button.click();
    }
  }
}
