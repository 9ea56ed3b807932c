// The citizen page's request and its place in the queue: asking, the position and
// estimated wait while waiting, cancelling, and a request that ended unanswered.

import { clearMessage, setMessage } from './i18n.js';
import { CITIZEN, END_REASON, emitWithAck } from './protocol.js';

export class CitizenWait {
  /** `page`: the citizen page's {ui, state, errors, setView, setStatus, readyStatus, services, camera, session}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
  }

  renderPosition(position, estimatedWaitSeconds) {
    const { ui, state } = this;
    if (position <= 1) {
      setMessage(ui.position, 'citizen.position.first');
    } else {
      setMessage(ui.position, 'citizen.position', { position });
    }
    ui.position.dataset.position = String(position);
    if (estimatedWaitSeconds === undefined) {
      clearMessage(ui.estimate);
    } else if (estimatedWaitSeconds === null) {
      setMessage(ui.estimate, 'citizen.estimate.unknown'); // nobody qualified on duty
    } else if (estimatedWaitSeconds < 60) {
      setMessage(ui.estimate, 'citizen.estimate.soon');
    } else {
      setMessage(ui.estimate, 'citizen.estimate', { minutes: Math.ceil(estimatedWaitSeconds / 60) });
    }
    const long = estimatedWaitSeconds === null || estimatedWaitSeconds > state.longWaitMinutes * 60;
    this.page.services.showBookingLink(ui.bookWhenLong, long && !state.joinToken);
  }

  async ask(event) {
    const { ui, state, errors, page } = this;
    event.preventDefault();
    if (!state.localStream && page.camera.cameraNeeded()) {
      errors.show('citizen.ask.hint');
      return;
    }
    errors.clear();
    const { service, languages } = page.services.selectedService();
    const language = languages.length < 2 ? null : ui.language.value;
    ui.ask.disabled = true;
    state.earlyEnd = null;
    page.setStatus('citizen.status.asking');
    try {
      const payload = { service, language };
      if (state.joinToken) {
        payload.join_token = state.joinToken; // the server takes service and language from the reservation
      }
      const ack = await emitWithAck(state.socket, CITIZEN.emit.REQUEST, payload);
      if (state.earlyEnd && state.earlyEnd.case_id === ack.case_id) {
        page.session.showEnded('citizen.status.request_ended', `reason.${state.earlyEnd.reason}`);
      } else if (state.view === 'choose') {
        state.caseId = ack.case_id;
        state.askedService = service;
        page.setView('waiting');
        page.setStatus(`citizen.status.waiting.${service}`);
        this.renderPosition(ack.position, ack.estimated_wait_seconds);
        ui.cancel.focus();
      }
    } catch (err) {
      if (err.nextOpen) {
        err.params = { when: { moment: err.nextOpen, timeZone: state.timeZone } }; // follows a language switch
      }
      errors.showError(err);
      page.setStatus(page.readyStatus());
      page.services.loadServices(); // the hours may have changed since the page loaded
    } finally {
      page.camera.renderCamera();
    }
  }

  async cancel() {
    const { ui, state, page } = this;
    this.errors.clear();
    ui.cancel.disabled = true;
    state.cancelling = true;
    try {
      await emitWithAck(state.socket, CITIZEN.emit.CANCEL, {});
      if (state.view === 'waiting') {
        state.caseId = null;
        state.askedService = null;
        page.setView('choose');
        page.setStatus('citizen.status.cancelled');
      }
    } catch (err) {
      this.errors.showError(err);
    } finally {
      state.cancelling = false;
      ui.cancel.disabled = false;
    }
  }

  onQueuePosition({ case_id: caseId, position, estimated_wait_seconds: estimate, seq }) {
    const { state } = this;
    if (state.view !== 'waiting' || caseId !== state.caseId) {
      return;
    }
    const last = state.queueSeen;
    if (last && last.caseId === caseId && seq <= last.seq) {
      return; // overtaken by a newer notice (they are sent after the server's lock)
    }
    state.queueSeen = { caseId, seq };
    this.renderPosition(position, estimate);
  }

  onRequestEnded(notice) {
    const { state } = this;
    const { case_id: caseId, reason } = notice;
    if (state.view === 'choose') {
      state.earlyEnd = notice; // ask() checks it when the ack arrives
      return;
    }
    if (state.view !== 'waiting' || caseId !== state.caseId) {
      return;
    }
    if (state.cancelling && reason === END_REASON.CITIZEN_CANCELLED) {
      return; // cancel() shows the outcome when its ack arrives
    }
    this.page.session.showEnded('citizen.status.request_ended', `reason.${reason}`);
  }
}
