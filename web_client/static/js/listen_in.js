// A supervisor listens in to a session from the dashboard: watch_session joins
// the room without publishing (every slot receive-only), the tiles show everyone
// by role, and everyone in the room sees a "supervisor listening" badge. The
// panel is built here so that the dashboard's markup stays as it is. A reload
// (or a dropped connection) within the reconnect grace period listens again:
// the server hands the session back with session_started, and watch_session from
// the new connection takes the place, even when the server has not yet seen the
// old connection close (that one is sent left_room, reason "elsewhere", and says
// so in its panel).

import { Call } from './call.js';
import { clearMessage, flash, setMessage, t } from './i18n.js';
import { STAFF, emitWithAck } from './protocol.js';
import { ensureStylesheet } from './room_tiles.js';

// The session this tab listens to (sessionStorage: this tab only, gone with it).
const LISTENING = 'dasan:listening';

// What the panel says when left_room takes this tab out (`left`: we hung up, nothing to say).
const LEFT_ROOM_SAYS = new Map([
  ['elsewhere', 'supervisor.listen.elsewhere'], // another tab or window of ours listens now
  ['removed', 'supervisor.listen.removed'], // someone in charge of the room took us out
]);

function remembered() {
  try {
    return JSON.parse(sessionStorage.getItem(LISTENING) || 'null');
  } catch {
    return null;
  }
}

function remember(session) {
  try {
    if (session) {
      sessionStorage.setItem(LISTENING, JSON.stringify({ room_id: session.room_id, staff_name: session.staff_name }));
    } else {
      sessionStorage.removeItem(LISTENING);
    }
  } catch {
    // storage refused: a reload just will not listen again
  }
}

function make(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export class ListenIn {
  /** The panel goes first on `board`; failures are explained in `errors` (a MessageArea). */
  constructor({ board, errors }) {
    ensureStylesheet();
    this.errors = errors;
    this.socket = null;
    this.session = null; // {room_id, staff_name} of the session listened to
    this.call = null;
    this.status = make('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.video = make('video', {
      id: 'listen-video',
      class: 'remote',
      autoplay: '',
      playsinline: '',
      'data-i18n-attr': 'aria-label:video.remote.label',
    });
    this.unmute = make('button', { type: 'button', class: 'unmute', hidden: '', 'data-i18n': 'video.unmute' });
    this.stage = make('div', { class: 'stage listen-stage' }, [this.video, this.unmute]);
    this.stop = make('button', { type: 'button', id: 'listen-stop', class: 'secondary', 'data-i18n': 'supervisor.listen.stop' });
    this.stop.addEventListener('click', () => this.leave());
    const heading = make('h2', { id: 'listen-heading', 'data-i18n': 'supervisor.listen.heading' });
    const note = make('p', { class: 'hint', 'data-i18n': 'supervisor.listen.note' });
    this.panel = make('section', { id: 'listen', class: 'card listen', 'aria-labelledby': 'listen-heading', hidden: '' }, [
      heading,
      this.status,
      note,
      this.stage,
      make('div', { class: 'actions' }, [this.stop]),
    ]);
    board.prepend(this.panel);
    for (const node of [heading, note, this.stop, this.unmute]) {
      setMessage(node, node.dataset.i18n);
    }
    this.video.setAttribute('aria-label', t('video.remote.label'));
  }

  /** The dashboard's socket: session_ended and left_room end the listening. */
  attach(socket) {
    this.close();
    this.socket = socket;
    const mine = (handler) => (notice) => {
      if (this.session && notice && notice.room_id === this.session.room_id) {
        handler(notice);
      }
    };
    socket.on(
      STAFF.on.SESSION_ENDED,
      mine(() => {
        remember(null);
        this.close('supervisor.listen.ended');
      }),
    );
    socket.on(
      STAFF.on.LEFT_ROOM,
      mine(({ reason }) => {
        // Hung up, removed, or listening from another window (or this tab's
        // next page) now: this one stops for good (nothing remembered, so a
        // later session_started here does not take the other's place back).
        remember(null);
        this.close(LEFT_ROOM_SAYS.get(reason) ?? null);
      }),
    );
    socket.on(STAFF.on.SESSION_STARTED, (notice) => this.rejoin(notice));
  }

  /** The server hands back the session we listened to (after a reload or a dropped connection): listen again. */
  rejoin(notice) {
    const held = this.session || remembered();
    if (!notice || !held || held.room_id !== notice.room_id) {
      return;
    }
    this.close();
    this.listen(held, { resuming: true });
  }

  /** The sessions table's column for the buttons (the markup has five). */
  addColumn(table) {
    const head = table.querySelector('thead tr');
    if (head && !head.querySelector('[data-column="listen"]')) {
      const th = make('th', { scope: 'col', role: 'columnheader', 'data-column': 'listen' });
      setMessage(th, 'supervisor.column.listen');
      head.append(th);
    }
  }

  /** "Listen in" for one row of the sessions table. */
  button(session) {
    const button = make('button', { type: 'button', class: 'secondary listen-in', 'data-room': session.room_id });
    setMessage(button, 'supervisor.listen.button');
    button.setAttribute('aria-label', t('supervisor.listen.button.label', { name: session.staff_name || '—' }));
    button.disabled = Boolean(this.session);
    button.addEventListener('click', () => this.listen(session));
    return button;
  }

  /** Listen to `session`; `resuming`: after a reload, quietly (a session gone meanwhile is no error). */
  async listen(session, { resuming = false } = {}) {
    if (!this.socket || this.session) {
      return;
    }
    this.errors.clear();
    this.session = session;
    this.panel.hidden = false;
    setMessage(this.status, 'supervisor.listen.connecting');
    this.renderButtons();
    try {
      await emitWithAck(this.socket, STAFF.emit.WATCH_SESSION, { room_id: session.room_id });
      remember(session);
    } catch (err) {
      remember(null);
      this.session = null;
      this.panel.hidden = true;
      this.renderButtons();
      if (!resuming) {
        this.errors.showError(err);
      }
      return;
    }
    if (this.session !== session) {
      return;
    }
    const call = new Call({
      socket: this.socket,
      events: STAFF.emit,
      roomId: session.room_id,
      localStream: new MediaStream(), // nothing of ours: every slot only receives
      remoteVideo: this.video,
      unmuteButton: this.unmute,
    });
    this.call = call;
    call.addEventListener('connected', () => {
      setMessage(this.status, 'supervisor.listen.live', { name: session.staff_name || '—' });
      flash(this.status);
    });
    call.addEventListener('problem', ({ detail }) => this.errors.showError(detail));
    call.connect();
    this.stop.focus();
  }

  async leave() {
    const session = this.session;
    if (!session) {
      return;
    }
    this.stop.disabled = true;
    remember(null);
    try {
      await emitWithAck(this.socket, STAFF.emit.HANG_UP, { room_id: session.room_id });
    } catch {
      // out either way
    } finally {
      this.stop.disabled = false;
    }
    this.close();
  }

  /** Stop listening; with `key`, say why (the panel stays to show it). */
  close(key = null) {
    if (this.call) {
      this.call.close();
      this.call = null;
    }
    const was = this.session;
    this.session = null;
    if (key && was) {
      setMessage(this.status, key);
      flash(this.status);
    } else {
      clearMessage(this.status);
      this.panel.hidden = true;
    }
    this.stage.hidden = Boolean(key);
    this.renderButtons();
  }

  renderButtons() {
    for (const button of document.querySelectorAll('button.listen-in')) {
      button.disabled = Boolean(this.session);
    }
    this.stage.hidden = !this.session;
    this.stop.hidden = !this.session;
  }
}
