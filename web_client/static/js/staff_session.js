// The interpreter console's session: the call or text chat once an offer is accepted, the room's roster, and its end.

import { Call } from './call.js';
import { flash, hasMessage, setMessage, titleCue } from './i18n.js';
import { PARTY, STAFF, emitWithAck, isChatOnly } from './protocol.js';

function sessionWhat(notice) {
  return { service: { key: `service.${notice.service}` }, language: { key: `language.${notice.language}` } };
}

export class StaffSession {
  /** `page`: the console's {ui, state, errors, chat, room, wrapup, setView, setStatus, presence, offers}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
    this.chat = page.chat;
    this.room = page.room;
  }

  async onSessionStarted(notice) {
    const { ui, state, errors, page, chat, room } = this;
    page.offers.hideOffer();
    page.wrapup.close();
    this.endCall();
    errors.clear();
    state.session = notice;
    state.roster = null;
    state.lastRoomId = notice.room_id;
    // A counselor's offer brings us in as the department's counselor; the roster
    // confirms our role either way (after a reload the offer is long gone).
    const accepted = state.accepted && state.accepted.case_id === notice.case_id ? state.accepted : null;
    this.setRole(accepted && accepted.purpose === 'counselor' ? PARTY.COUNSELOR : PARTY.INTERPRETER);
    room.start({ socket: state.socket, session: notice, manager: state.role === PARTY.INTERPRETER });
    const chatOnly = isChatOnly(notice.service);
    const what = { service: { key: `service.${notice.service}` }, language: { key: `language.${notice.language}` } };
    document.body.dataset.channel = chatOnly ? 'chat' : 'video';
    this.renderHangUp();
    page.setView('call');
    chat.start({ socket: state.socket, roomId: notice.room_id }); // after a reload: the transcript so far
    flash(ui.status);
    if (chatOnly) {
      page.setStatus('staff.status.in_chat', what);
      chat.focus();
      return;
    }
    page.setStatus('staff.status.joining');
    chat.focusLog(); // Accept is gone; keep keyboard focus in the session
    // After a reload the console rejoins a held session: the camera must come back
    // first, or the offer would only receive and the citizen would see nothing.
    await page.presence.ensureCamera();
    if (state.session !== notice) {
      return; // ended, or started again, while the camera was opening
    }
    const call = new Call({
      socket: state.socket,
      events: STAFF.emit,
      roomId: notice.room_id,
      localStream: state.localStream || new MediaStream(),
      remoteVideo: ui.remoteVideo,
      unmuteButton: ui.unmute,
      roster: state.roster, // one may have come while the camera opened
    });
    state.call = call;
    call.addEventListener('connected', () => page.setStatus('staff.status.in_call', what));
    call.addEventListener('problem', ({ detail }) => errors.showError(detail));
    call.connect();
  }

  /** Our role in the room: who writes the wrap-up, whose chat lines read "You". */
  setRole(role) {
    this.state.role = role;
    this.chat.self = role;
    this.renderHangUp();
  }

  renderHangUp() {
    const { ui, state } = this;
    const chatOnly = Boolean(state.session) && isChatOnly(state.session.service);
    let key = chatOnly ? 'staff.hang_up.chat' : 'staff.hang_up';
    if (state.role !== PARTY.INTERPRETER) {
      key = 'staff.hang_up.leave'; // a counselor leaves; the session goes on
    }
    setMessage(ui.hangUp, key);
  }

  /** Who is in the room, and which of our slots carries whom (the call's tiles follow it too). */
  onRoster(roster) {
    const { state, room } = this;
    if (!state.session || roster.room_id !== state.session.room_id) {
      return;
    }
    state.roster = roster;
    const me = roster.parties.find((party) => party.you);
    if (me && me.role !== state.role && (me.role === PARTY.INTERPRETER || me.role === PARTY.COUNSELOR)) {
      this.setRole(me.role);
    }
    room.setManager(state.role === PARTY.INTERPRETER);
    room.setRoster(roster);
  }

  /**
   * We are out of a room that goes on: handed over (`transferred`), taken out
   * (`removed`), left as a counselor (`left`), or not told yet (null).
   */
  leaveRoom(reason) {
    const { ui, state, page, chat } = this;
    if (state.session) {
      state.session = null;
      this.endCall();
      chat.close();
      page.setView('ended');
      this.renderEnded();
      titleCue('staff.title_alert.ended');
      page.presence.focusAvailable();
    }
    if (reason) {
      setMessage(ui.notice, `staff.left_room.${reason}`);
      flash(ui.notice);
    }
  }

  onLeftRoom({ room_id: roomId, reason }) {
    const { state } = this;
    if (roomId === state.lastRoomId && (state.session || state.view === 'ended')) {
      this.leaveRoom(reason);
    }
  }

  endCall() {
    const { state } = this;
    if (state.call) {
      state.call.close();
      state.call = null;
    }
  }

  renderEnded() {
    const { state, page } = this;
    const key = `staff.status.ended_${state.presence.status}`;
    page.setStatus(hasMessage(key) ? key : 'staff.status.ended');
  }

  showEnded(endedBy) {
    const { ui, state, page, chat } = this;
    const session = state.session;
    state.session = null;
    this.endCall();
    chat.close();
    page.setView('ended');
    this.renderEnded();
    setMessage(ui.notice, `staff.ended_by.${endedBy}`);
    titleCue('staff.title_alert.ended');
    flash(ui.notice);
    if (session && state.role === PARTY.INTERPRETER) {
      page.wrapup.open(session); // the case is the interpreter's to write up, not a counselor's
    }
    page.presence.focusAvailable(); // the next step: Available for calls (hang-up is gone)
  }

  /** The citizen dropped (often a reload): the session is held for them, so say so. */
  onPeerReconnecting({ room_id: roomId, deadline }) {
    const { ui, state, page } = this;
    if (state.session && state.session.room_id === roomId) {
      const seconds = Math.max(0, Math.round((Date.parse(deadline) - Date.now()) / 1000));
      page.setStatus('staff.status.peer_reconnecting', { seconds });
      flash(ui.status);
    }
  }

  onPeerReconnected({ room_id: roomId }) {
    const { ui, state, page } = this;
    if (state.session && state.session.room_id === roomId) {
      const chatOnly = isChatOnly(state.session.service);
      page.setStatus(chatOnly ? 'staff.status.in_chat' : 'staff.status.in_call', sessionWhat(state.session));
      flash(ui.status);
    }
  }

  onSessionEnded({ room_id: roomId, ended_by: endedBy }) {
    const { state } = this;
    if (state.session && state.session.room_id === roomId) {
      this.showEnded(endedBy);
    }
  }

  async hangUp() {
    const { ui, state } = this;
    const session = state.session;
    if (!session) {
      return;
    }
    ui.hangUp.disabled = true;
    try {
      await emitWithAck(state.socket, STAFF.emit.HANG_UP, { room_id: session.room_id });
    } catch {
      // the session is over either way
    } finally {
      ui.hangUp.disabled = false;
    }
    if (state.session !== session) {
      return;
    }
    if (state.role === PARTY.INTERPRETER) {
      this.showEnded(PARTY.INTERPRETER);
    } else {
      this.leaveRoom('left');
    }
  }
}
