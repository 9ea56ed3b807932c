// The citizen page's session: the call (or text chat) once someone answers, its
// hang-up and end, the satisfaction question after it, and resuming after a reload.

import { Call } from './call.js';
import { focusConsentPrompt } from './consent.js';
import { FeedbackForm } from './feedback.js';
import { clearMessage, flash, setMessage, titleCue } from './i18n.js';
import { CITIZEN, PARTY, SERVICE, emitWithAck, isChatOnly } from './protocol.js';

// The session's resume token: a reload (or a dropped connection) takes the session up again.
const RESUME_KEY = 'dasan:resume_token';

export class CitizenSession {
  /** `page`: the citizen page's {ui, state, errors, setView, setStatus, readyStatus, chat, camera, quality}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
  }

  // -- the call -------------------------------------------------------------------

  onSessionStarted(notice) {
    const { ui, state, page } = this;
    const { chat } = page;
    this.endCall();
    this.errors.clear();
    if (notice.resume_token) {
      sessionStorage.setItem(RESUME_KEY, notice.resume_token);
    }
    state.caseId = notice.case_id;
    state.roomId = notice.room_id;
    state.askedService = notice.service;
    state.chatOnly = isChatOnly(notice.service);
    state.peerName = notice.peer.display_name;
    state.cameraGone = false;
    const name = state.peerName;
    document.body.dataset.channel = state.chatOnly ? 'chat' : 'video';
    setMessage(ui.hangUp, state.chatOnly ? 'citizen.hang_up.chat' : 'citizen.hang_up');
    page.setView('call');
    chat.start({ socket: state.socket, roomId: notice.room_id });
    // Someone answered: seen on the page, and in the tab strip when the page is hidden.
    titleCue('citizen.title_alert.joined', { name });
    flash(ui.status);
    if (state.chatOnly) {
      page.setStatus('citizen.status.in_chat', { name });
      chat.focus();
      return;
    }
    page.setStatus('citizen.status.joining', { name });
    if (!focusConsentPrompt()) {
      chat.focusLog(); // the start button is gone; keep keyboard focus in the session
    }
    const call = new Call({
      socket: state.socket,
      events: CITIZEN.emit,
      roomId: notice.room_id,
      localStream: state.localStream || new MediaStream(),
      remoteVideo: ui.remoteVideo,
      unmuteButton: ui.unmute,
    });
    state.call = call;
    call.addEventListener('connected', () => {
      page.setStatus('citizen.status.in_call', { name });
      page.quality.watchFrameRate(call);
    });
    call.addEventListener('problem', ({ detail }) => this.errors.showError(detail));
    call.connect();
  }

  inSessionStatus() {
    return this.state.chatOnly ? 'citizen.status.in_chat' : 'citizen.status.in_call';
  }

  onPeerReconnecting({ room_id: roomId, deadline }) {
    const { state } = this;
    if (state.view === 'call' && state.roomId === roomId) {
      const seconds = Math.max(0, Math.round((Date.parse(deadline) - Date.now()) / 1000));
      this.page.setStatus('citizen.status.peer_reconnecting', { name: state.peerName, seconds });
    }
  }

  onPeerReconnected({ room_id: roomId }) {
    const { state } = this;
    if (state.view === 'call' && state.roomId === roomId) {
      this.page.setStatus(this.inSessionStatus(), { name: state.peerName });
    }
  }

  endCall() {
    const { state } = this;
    this.page.quality.stopWatchingFrameRate();
    if (state.call) {
      state.call.close();
      state.call = null;
    }
  }

  onSessionEnded(notice) {
    const { state } = this;
    const { room_id: roomId, ended_by: endedBy, feedback_token: feedbackToken } = notice;
    if (state.view === 'call' && state.roomId === roomId) {
      this.showEnded('citizen.status.ended', `citizen.ended_by.${endedBy}`);
    }
    // Also when the citizen's own hang-up ack came first and the page already shows the end.
    if (state.view === 'ended' && state.endedRoomId === roomId && feedbackToken) {
      this.askForFeedback(feedbackToken);
    }
  }

  /** The satisfaction question (1-5 and a comment), once per session, in the ended view. */
  askForFeedback(token) {
    const { ui, state } = this;
    if (state.feedback) {
      return;
    }
    state.feedback = new FeedbackForm(ui.feedback, {
      token,
      onDone: (how) => {
        if (how === 'skipped') {
          ui.again.focus(); // the form is gone: the focus must not be lost with it
        }
      },
    });
  }

  dropFeedback() {
    const { state } = this;
    if (state.feedback) {
      state.feedback.destroy();
      state.feedback = null;
    }
  }

  async hangUp() {
    const { ui, state } = this;
    const roomId = state.roomId;
    if (!roomId) {
      return;
    }
    ui.hangUp.disabled = true;
    try {
      await emitWithAck(state.socket, CITIZEN.emit.HANG_UP, { room_id: roomId });
    } catch {
      // the session is over either way
    } finally {
      ui.hangUp.disabled = false;
    }
    if (state.view === 'call' && state.roomId === roomId) {
      this.showEnded('citizen.status.ended', `citizen.ended_by.${PARTY.CITIZEN}`);
    }
  }

  /**
   * On (re)connecting: take up the session this tab had, if it had one and the page
   * still shows the choice or the call. Resolves whether it was taken up.
   */
  async resumeSaved() {
    const token = sessionStorage.getItem(RESUME_KEY);
    const { view } = this.state;
    return Boolean(token && (view === 'choose' || view === 'call') && (await this.resumeSession(token)));
  }

  /** Take the session up again after a reload or a dropped connection; false if it is over. */
  async resumeSession(token) {
    const { state, page } = this;
    let notice;
    try {
      notice = (await emitWithAck(state.socket, CITIZEN.emit.RESUME, { resume_token: token })).session;
    } catch {
      sessionStorage.removeItem(RESUME_KEY); // ended while we were away
      return false;
    }
    if (!isChatOnly(notice.service) && !state.localStream) {
      await page.camera.startCamera(); // allowed before the reload, so no question is asked again
      if (!state.localStream && notice.service === SERVICE.FOREIGN_LANGUAGE) {
        await page.camera.openVoice(); // the session went on by voice before the reload
      }
    }
    this.onSessionStarted(notice);
    return true;
  }

  showEnded(statusKey, detailKey) {
    const { ui, state, page } = this;
    sessionStorage.removeItem(RESUME_KEY);
    this.endCall();
    page.chat.close(); // the transcript stays readable
    this.dropFeedback();
    state.endedRoomId = state.roomId;
    state.caseId = null;
    state.roomId = null;
    state.askedService = null;
    state.cameraGone = false;
    page.setView('ended');
    page.camera.renderCamera();
    page.setStatus(statusKey);
    setMessage(ui.endedDetail, detailKey);
    titleCue('citizen.title_alert.ended');
    flash(ui.status);
    ui.again.focus();
  }

  startAgain() {
    const { ui, state, page } = this;
    this.errors.clear();
    this.dropFeedback();
    state.endedRoomId = null;
    page.chat.reset();
    clearMessage(ui.endedDetail);
    document.body.dataset.channel = 'video';
    page.setView('choose');
    page.setStatus(state.connected ? page.readyStatus() : 'citizen.status.connecting');
    page.camera.renderCamera();
  }
}
