// Consent to recording, for every page in a session (citizen, staff, guest):
// the recording notice as a dialog that asks (keyboard usable, labelled, plain
// words), and a badge that says in words whether the session is being recorded
// ("Recording", "Recording paused"), with a button to change one's answer.
//
// Neither covers the call nor moves it: the badge is a line under the page's
// status, and the question is a compact, non-modal sheet in the page's call
// controls (on a phone: the sticky bar with Hang up / Leave, above the home bar
// and clear of the safe-area insets; on the console: under its status line),
// while the picture gives up the sheet's
// height. The page never scrolls for it; the focus moves to it instead (unless
// someone is typing), so a keyboard or screen-reader user lands on the question.
//
// mountConsent(socket, {staff}) is all a page does: the server sends
// consent_request when the session starts or the party joins, and
// recording_state on every change; the answer goes back as give_consent.

import { MessageArea, setMessage } from './i18n.js';
import { CITIZEN, CONSENT, GUEST, RECORDING_STATE, emitWithAck } from './protocol.js';

const CITIZEN_KEYS = Object.freeze({
  title: 'consent.title',
  notice: 'consent.notice',
  agree: 'consent.agree',
  decline: 'consent.decline',
  later: 'consent.later',
  recording: 'consent.badge.recording',
  paused: 'consent.badge.paused',
  withdraw: 'consent.withdraw',
  give: 'consent.give',
});

const STAFF_KEYS = Object.freeze({
  title: 'staff.consent.title',
  notice: 'staff.consent.notice',
  agree: 'staff.consent.agree',
  decline: 'staff.consent.decline',
  later: 'staff.consent.later',
  recording: 'staff.consent.badge.recording',
  paused: 'staff.consent.badge.paused',
  withdraw: 'staff.consent.withdraw',
  give: 'staff.consent.give',
});

const STYLESHEET = new URL('../css/consent.css', import.meta.url).href;

let counter = 0;

function ensureStylesheet() {
  if (![...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === STYLESHEET)) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = STYLESHEET;
    document.head.append(link);
  }
}

/** Put `node` under the page's status line (or first in its main part). */
function placeUnderStatus(node) {
  const status = document.getElementById('status');
  if (status && status.parentElement) {
    status.after(node);
  } else {
    (document.querySelector('main') || document.body).prepend(node);
  }
}

/**
 * Put the question where it is seen without scrolling: first in the citizen's
 * and the guest's call controls (the bar that is sticky on a phone, above the
 * home bar); on the console, whose controls end a tall page, under the status
 * line at the top.
 */
function placeWithControls(node) {
  const controls = document.querySelector('.citizen .call-controls');
  if (controls) {
    controls.prepend(node);
  } else {
    placeUnderStatus(node);
  }
}

function element(tag, attributes = {}) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    made.setAttribute(name, value);
  }
  return made;
}

/** Someone is writing (the chat, a note): the question must not take their focus. */
function typing() {
  const active = document.activeElement;
  if (!active || active === document.body) {
    return false;
  }
  const editable = active.isContentEditable || ['TEXTAREA', 'INPUT', 'SELECT'].includes(active.tagName);
  return editable && Boolean(active.value);
}

/** Whether `node` has a box on screen (its view may still be hidden). */
function shown(node) {
  return node.getClientRects().length > 0;
}

/** The recording notice: a non-modal dialog with plain answers. */
export class ConsentPrompt {
  constructor(keys, answer) {
    ensureStylesheet();
    const id = `consent-${++counter}`;
    this.dialog = element('dialog', {
      class: 'consent-prompt',
      'aria-labelledby': `${id}-title`,
      'aria-describedby': `${id}-notice`,
      'data-testid': 'consent-dialog',
      tabindex: '-1',
    });
    const title = element('h2', { id: `${id}-title` });
    // On a phone the notice scrolls in a few lines (consent.css): the keyboard reaches it.
    const notice = element('p', { id: `${id}-notice`, class: 'consent-notice', tabindex: '0' });
    setMessage(title, keys.title);
    setMessage(notice, keys.notice);
    const buttons = element('div', { class: 'consent-actions' });
    this.agree = element('button', { type: 'button', class: 'primary', 'data-testid': 'consent-agree' });
    this.decline = element('button', { type: 'button', class: 'secondary', 'data-testid': 'consent-decline' });
    const later = element('button', { type: 'button', class: 'secondary', 'data-testid': 'consent-later' });
    setMessage(this.agree, keys.agree);
    setMessage(this.decline, keys.decline);
    setMessage(later, keys.later);
    buttons.append(this.agree, this.decline, later);
    this.errors = new MessageArea(element('p', { role: 'alert', class: 'consent-error' }));
    this.dialog.append(title, notice, buttons, this.errors.element);
    this.agree.addEventListener('click', () => answer(true));
    this.decline.addEventListener('click', () => answer(false));
    later.addEventListener('click', () => this.close());
    this.dialog.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault(); // a non-modal dialog: Escape puts the question off
        this.close();
      }
    });
    this.returnFocus = null; // where the focus was before the question took it
    this.wantsFocus = false; // asked while its view was hidden: focus it once shown
    placeWithControls(this.dialog);
    // The picture gives up the sheet's height (consent.css): nothing is covered.
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => this.measure()).observe(this.dialog);
    }
  }

  measure() {
    const height = this.dialog.open ? this.dialog.getBoundingClientRect().height : 0;
    document.documentElement.style.setProperty('--consent-height', `${Math.ceil(height)}px`);
  }

  /** Show the notice where it is, never scrolling; the focus moves to it. */
  open() {
    if (!this.dialog.open) {
      this.dialog.show();
      document.body.dataset.consent = 'asking';
      this.measure();
      this.wantsFocus = true;
    }
    this.takeFocus();
  }

  /** Move the focus to the question if it waits for it; true when it did. */
  takeFocus() {
    if (!this.dialog.open || !this.wantsFocus || typing() || !shown(this.dialog)) {
      return false;
    }
    this.wantsFocus = false;
    if (!this.dialog.contains(document.activeElement)) {
      this.returnFocus = document.activeElement;
      this.dialog.focus({ preventScroll: true });
    }
    return true;
  }

  close() {
    this.wantsFocus = false;
    if (!this.dialog.open) {
      return;
    }
    const hadFocus = this.dialog.contains(document.activeElement);
    this.dialog.close();
    delete document.body.dataset.consent;
    this.measure();
    const back = this.returnFocus;
    this.returnFocus = null;
    if (hadFocus && back && back !== document.body && back.isConnected && shown(back)) {
      back.focus({ preventScroll: true });
    }
  }
}

/** The recording badge: words and a symbol, never colour alone. */
export class RecordingBadge {
  constructor(keys, answer) {
    this.keys = keys;
    this.root = element('div', {
      class: 'recording-badge',
      role: 'status',
      'data-testid': 'recording-badge',
      hidden: '',
    });
    Object.assign(this.root.style, {
      display: 'none',
      gap: '0.5rem',
      alignItems: 'center',
      width: 'fit-content',
      margin: '0.25rem 0',
      padding: '0.25rem 0.6rem',
      border: '2px solid currentColor',
      borderRadius: '0.4rem',
      background: 'Canvas',
      color: 'CanvasText',
      fontWeight: '600',
    });
    this.symbol = element('span', { 'aria-hidden': 'true' });
    this.label = element('span', { 'data-testid': 'recording-label' });
    this.change = element('button', { type: 'button', 'data-testid': 'consent-change' });
    this.change.hidden = true;
    this.change.addEventListener('click', () => answer(this.mine !== 'given'));
    this.root.append(this.symbol, this.label, this.change);
    this.mine = null;
    placeUnderStatus(this.root);
  }

  show(state, mine) {
    this.mine = mine;
    const shown = state === RECORDING_STATE.RECORDING || state === RECORDING_STATE.PAUSED;
    this.root.hidden = !shown;
    this.root.style.display = shown ? 'flex' : 'none';
    if (!shown) {
      return;
    }
    const recording = state === RECORDING_STATE.RECORDING;
    this.root.dataset.state = state;
    this.symbol.textContent = recording ? '●' : '❚❚';
    setMessage(this.label, recording ? this.keys.recording : this.keys.paused);
    this.change.hidden = !mine;
    if (mine) {
      setMessage(this.change, mine === 'given' ? this.keys.withdraw : this.keys.give);
    }
  }
}

let mounted = null; // one prompt and one badge per page, whichever socket is current

/**
 * A page just showed its call (the question may have come while it was hidden):
 * the focus goes to an open question. True when it did; else the page focuses
 * what it would have.
 */
export function focusConsentPrompt() {
  return Boolean(mounted && mounted.prompt.takeFocus());
}

/** Wire the prompt and the badge to a page's socket (again after a new sign-in). */
export function mountConsent(socket, { staff = false } = {}) {
  if (!mounted) {
    const keys = staff ? STAFF_KEYS : CITIZEN_KEYS;
    const current = { socket: null, roomId: null };
    const answer = async (consent) => {
      if (!current.roomId) {
        return;
      }
      prompt.errors.clear();
      try {
        await emitWithAck(current.socket, CONSENT.emit.GIVE_CONSENT, { room_id: current.roomId, consent });
        prompt.close();
      } catch (error) {
        prompt.errors.showError(error);
        prompt.open();
      }
    };
    const prompt = new ConsentPrompt(keys, answer);
    const badge = new RecordingBadge(keys, answer);
    mounted = { prompt, badge, current };
  }
  const { prompt, badge, current } = mounted;
  current.socket = socket;
  current.roomId = null;
  badge.show(RECORDING_STATE.OFF, null);
  socket.on(CONSENT.on.CONSENT_REQUEST, (notice) => {
    current.roomId = notice.room_id;
    prompt.open();
  });
  socket.on(CONSENT.on.RECORDING_STATE, (notice) => {
    current.roomId = notice.room_id;
    const me = (notice.parties || []).find((party) => party.you);
    badge.show(notice.state, me ? me.consent : null);
  });
  // Out of the room: nothing is recorded any more, nothing to answer.
  for (const event of [CITIZEN.on.SESSION_ENDED, GUEST.on.ROOM_CLOSED, GUEST.on.LEFT_ROOM]) {
    socket.on(event, () => {
      current.roomId = null;
      badge.show(RECORDING_STATE.OFF, null);
      prompt.close();
    });
  }
  return mounted;
}
