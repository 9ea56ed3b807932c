// Text chat in a session, shared by the citizen page and the staff console: the
// message list, the input with its counter, sending with an ack, and the
// transcript again after a reload. Deaf participants depend on it.

import {
  MessageArea,
  errorMessage,
  hasMessage,
  intlLocale,
  onLocaleChange,
  setMessage,
  titleCue,
} from './i18n.js';
import { MAX_CHAT_LENGTH, PARTY, emitWithAck } from './protocol.js';

/** The length the server checks: code points (not UTF-16 units), trimmed as sent. */
export function chatLength(text) {
  return [...text.trim()].length;
}

const FRESH_MS = 4000; // how long a new message from the other side stands out

const messageKey = ({ case_id: caseId, seq }) => `${caseId}:${seq}`;

function formatCount(count) {
  return new Intl.NumberFormat(intlLocale()).format(count);
}

function formatTime(iso) {
  return new Intl.DateTimeFormat(intlLocale(), { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/**
 * The chat of one room at a time. `root` holds the elements with the ids used
 * below; `self` is this page's role, whose messages read "You" only until the
 * server has said which party we are (each message names its sender's party,
 * `sender_party`, and the history's ack names ours, `you`: two guests, or two
 * staff of one role, are two parties); `events` is the page's
 * namespace (CITIZEN or STAFF from protocol.js); `alert` is an optional button
 * that says "New message" while the list is out of view (e.g. below the video).
 */
export class ChatPanel {
  constructor({ root, self, events, alert = null }) {
    const part = (id) => root.querySelector(`#${id}`);
    this.root = root;
    this.self = self;
    this.events = events;
    this.alert = alert;
    this.log = part('chat-log');
    this.list = part('chat-messages');
    this.empty = part('chat-empty');
    this.form = part('chat-form');
    this.input = part('chat-input');
    this.counter = part('chat-counter');
    this.sendButton = part('chat-send');
    this.notes = new MessageArea(part('chat-note'));
    this.socket = null;
    this.listening = new WeakSet(); // sockets whose chat_message we handle
    this.roomId = null;
    this.selfParty = null; // our roster party id in this room, once known
    this.open = false;
    this.sending = false;
    this.tooLong = false;
    this.messages = new Map(); // messageKey -> {notice, element}

    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener('input', () => this.renderCounter());
    this.input.addEventListener('keydown', (event) => this.onKeyDown(event));
    // In the chat already: the "new message" button must not cover what has the focus.
    root.addEventListener('focusin', () => this.hideAlert());
    onLocaleChange(() => this.renderTimes());
    if (this.alert) {
      this.alert.addEventListener('click', () => {
        this.log.scrollIntoView({ block: 'nearest' });
        this.input.focus();
        this.hideAlert();
      });
      if (typeof IntersectionObserver === 'function') {
        // Scrolled (or resized) so that the newest messages show: no need to point at them.
        new IntersectionObserver(
          () => {
            if (this.newestInView()) {
              this.hideAlert();
            }
          },
          { threshold: [0, 0.25, 0.5, 0.75, 1] },
        ).observe(this.log);
      }
    }
    this.reset();
  }

  /**
   * A new session in `roomId`: an empty list, then whatever was written before.
   * `party`: our roster party id, when the page knows it (a guest's join ack).
   */
  start({ socket, roomId, party = null }) {
    this.clear();
    this.socket = socket;
    this.roomId = roomId;
    this.selfParty = party;
    if (!this.listening.has(socket)) {
      this.listening.add(socket);
      socket.on(this.events.on.CHAT_MESSAGE, (notice) => this.receive(notice));
    }
    this.open = true;
    this.setShown(true);
    this.form.hidden = false;
    this.renderCounter();
    window.dasanChat = this; // for the browser tests, as window.dasanCall
    return this.loadHistory();
  }

  focus() {
    this.input.focus();
  }

  /** Focus the message list without scrolling (the video stays in view). */
  focusLog() {
    this.log.focus({ preventScroll: true });
  }

  /** The session ended: keep the transcript readable, stop writing. */
  close() {
    if (!this.open) {
      return;
    }
    this.open = false;
    this.form.hidden = true;
    this.renderCounter();
    this.notes.show('chat.closed');
    this.hideAlert();
  }

  /** Hide the panel and forget the transcript (no session, or a new one coming). */
  reset() {
    this.close();
    this.clear();
    this.socket = null;
    this.roomId = null;
    this.selfParty = null;
    this.setShown(false);
  }

  clear() {
    this.messages.clear();
    this.list.replaceChildren();
    this.input.value = '';
    this.notes.clear();
    this.hideAlert();
    this.renderEmpty();
  }

  setShown(shown) {
    this.root.hidden = !shown;
    document.body.dataset.chat = shown ? 'on' : 'off';
  }

  /** Everything said so far in the room: after a reload the console shows it again. */
  async loadHistory() {
    const roomId = this.roomId;
    this.log.setAttribute('aria-busy', 'true'); // one update, not one announcement each
    try {
      const ack = await emitWithAck(this.socket, this.events.emit.CHAT_HISTORY, { room_id: roomId });
      if (this.roomId === roomId) {
        this.setSelfParty(ack.you);
        for (const notice of ack.messages || []) {
          this.add(notice, { fresh: false });
        }
      }
    } catch (err) {
      if (this.roomId === roomId && this.open) {
        this.showError('chat.history_failed', err);
      }
    } finally {
      this.log.removeAttribute('aria-busy');
    }
  }

  /** A chat_message from the server (our own ones come back too). */
  receive(notice) {
    if (notice && notice.room_id === this.roomId) {
      this.add(notice, { fresh: true });
    }
  }

  onKeyDown(event) {
    // Enter sends, Shift+Enter starts a new line; never while an IME (Korean!)
    // is still composing a syllable.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) {
      return;
    }
    event.preventDefault();
    this.submit();
  }

  async submit() {
    const text = this.input.value;
    const length = chatLength(text);
    if (!this.open || this.sending || length === 0) {
      return;
    }
    if (length > MAX_CHAT_LENGTH) {
      this.renderCounter(); // says how much to remove; nothing is sent
      this.input.focus();
      return;
    }
    if (await this.send(text.trim())) {
      this.input.value = '';
      this.renderCounter();
    }
    this.input.focus();
  }

  /**
   * Send `text` as it is (the form checks the length first; the server checks
   * again). Resolves true once the server has it; on failure the reason is shown.
   */
  async send(text) {
    if (!this.open || !this.socket) {
      return false;
    }
    this.sending = true;
    this.renderCounter();
    this.notes.clear();
    const roomId = this.roomId;
    try {
      const ack = await emitWithAck(this.socket, this.events.emit.SEND_CHAT, { room_id: roomId, text });
      if (this.roomId === roomId) {
        this.setSelfParty(ack.message.sender_party); // the ack's message is ours
        this.add(ack.message, { fresh: true });
      }
      return true;
    } catch (err) {
      this.showError('chat.send_failed', err);
      return false;
    } finally {
      this.sending = false;
      this.renderCounter();
    }
  }

  /** `key` says what failed; `key.<code>`, when the catalog has it, says why. */
  showError(key, err) {
    const specific = `${key}.${err.code}`;
    const reason = hasMessage(specific) ? { key: specific } : errorMessage(err.code, err.message);
    this.notes.show(key, { reason }, err.code);
  }

  /** Whether `notice` is ours: by party when we know ours, else by role. */
  isMine(notice) {
    return this.selfParty ? notice.sender_party === this.selfParty : notice.sender === this.self;
  }

  /** The server named our party: messages already shown say "You" by it from now on. */
  setSelfParty(party) {
    if (!party || party === this.selfParty) {
      return;
    }
    this.selfParty = party;
    for (const { notice, element } of this.messages.values()) {
      const mine = this.isMine(notice);
      if (element.dataset.mine !== String(mine)) {
        element.dataset.mine = String(mine);
        const who = document.createElement('span');
        who.className = 'chat-sender';
        this.renderSender(who, notice, mine);
        element.querySelector('.chat-sender').replaceWith(who);
      }
    }
  }

  /** Put a message in its place (by seq); a message seen before is kept once. */
  add(notice, { fresh }) {
    const key = messageKey(notice);
    if (this.messages.has(key)) {
      return;
    }
    const element = this.renderMessage(notice);
    const later = [...this.list.children].find((item) => Number(item.dataset.seq) > notice.seq);
    this.list.insertBefore(element, later || null);
    this.messages.set(key, { notice, element });
    this.renderEmpty();
    this.log.scrollTop = this.log.scrollHeight;
    if (fresh && !this.isMine(notice)) {
      element.classList.add('fresh'); // a visual cue; the log role reads it out
      setTimeout(() => element.classList.remove('fresh'), FRESH_MS);
      this.showAlert(notice);
      titleCue('chat.title_alert', { name: this.senderName(notice) });
    }
  }

  renderMessage(notice) {
    const mine = this.isMine(notice);
    const item = document.createElement('li');
    item.className = 'chat-message';
    item.dataset.sender = notice.sender;
    item.dataset.mine = String(mine);
    item.dataset.seq = String(notice.seq);

    const meta = document.createElement('p');
    meta.className = 'chat-meta';
    const who = document.createElement('span');
    who.className = 'chat-sender';
    this.renderSender(who, notice, mine);
    const time = document.createElement('time');
    time.className = 'chat-time';
    time.dateTime = notice.at;
    time.textContent = formatTime(notice.at);
    meta.append(who, ' ', time);

    const text = document.createElement('p');
    text.className = 'chat-text';
    text.textContent = notice.text; // never markup: the text is what was typed
    item.append(meta, text);
    return item;
  }

  renderSender(element, notice, mine) {
    if (mine) {
      setMessage(element, 'chat.sender.you');
    } else if (notice.sender === PARTY.INTERPRETER && notice.sender_name) {
      element.textContent = notice.sender_name;
    } else {
      setMessage(element, `chat.sender.${notice.sender}`);
    }
  }

  senderName(notice) {
    return notice.sender === PARTY.INTERPRETER && notice.sender_name
      ? notice.sender_name
      : { key: `chat.sender.${notice.sender}` };
  }

  renderTimes() {
    for (const { notice, element } of this.messages.values()) {
      element.querySelector('time').textContent = formatTime(notice.at);
    }
    this.renderCounter();
  }

  renderEmpty() {
    this.empty.hidden = this.messages.size > 0;
  }

  renderCounter() {
    const length = chatLength(this.input.value);
    const over = length > MAX_CHAT_LENGTH;
    setMessage(this.counter, 'chat.counter', { count: formatCount(length), max: formatCount(MAX_CHAT_LENGTH) });
    this.counter.dataset.over = String(over);
    this.input.setAttribute('aria-invalid', String(over));
    this.sendButton.disabled = !this.open || this.sending || length === 0 || over;
    if (over && !this.tooLong) {
      this.notes.show('chat.too_long', { max: formatCount(MAX_CHAT_LENGTH) });
    } else if (!over && this.tooLong) {
      this.notes.clear('chat.too_long');
    }
    this.tooLong = over;
  }

  showAlert(notice) {
    if (this.alert && !this.newestInView()) {
      setMessage(this.alert, 'chat.new_message', { name: this.senderName(notice) });
      this.alert.hidden = false;
    }
  }

  /**
   * Whether the end of the list (where a new message appears, the list being
   * scrolled to it) is on screen: on a phone the list is often below the video,
   * or only its top shows.
   */
  newestInView() {
    const box = this.log.getBoundingClientRect();
    let bottom = window.innerHeight || document.documentElement.clientHeight;
    // A phone's sticky Hang up bar (with the recording question in it) covers
    // what scrolls under it: the list is seen only above the bar.
    const bar = document.querySelector('.call-controls');
    const after = bar && this.log.compareDocumentPosition(bar) & Node.DOCUMENT_POSITION_FOLLOWING;
    if (after && getComputedStyle(bar).position === 'sticky') {
      const barBox = bar.getBoundingClientRect();
      if (barBox.height > 0) {
        bottom = Math.min(bottom, barBox.top);
      }
    }
    return box.height > 0 && box.bottom > 0 && box.bottom <= bottom;
  }

  hideAlert() {
    if (this.alert) {
      this.alert.hidden = true;
    }
  }
}
