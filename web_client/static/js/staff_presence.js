// The interpreter console's camera and presence: opening the camera, the away reasons, and the Available button.

import { playVideo } from './call.js';
import { hasMessage, setMessage } from './i18n.js';
import { MediaProblem, openCamera } from './media.js';
import {
  AWAY_REASON,
  CHOOSABLE_AWAY_REASONS,
  PARTY,
  STAFF,
  STAFF_STATUS,
  emitWithAck,
  isChatOnly,
} from './protocol.js';

const TAKING_CALLS = [STAFF_STATUS.AVAILABLE, STAFF_STATUS.OFFERED, STAFF_STATUS.IN_SESSION];

/**
 * The catalog key and parameters that describe a presence ({status, reason}).
 * `prefix` is 'staff.presence' (a sentence) or 'staff.presence_label' (a caption);
 * a status or reason this page does not know yet is shown as the server spells it.
 */
function presenceMessage(prefix, { status, reason }) {
  if (hasMessage(`${prefix}.${status}.${reason}`)) {
    return { key: `${prefix}.${status}.${reason}`, params: {} };
  }
  const key = hasMessage(`${prefix}.${status}`) ? `${prefix}.${status}` : `${prefix}.other`;
  const reasonKey = `staff.away_reason.${reason}`;
  const reasonText = hasMessage(reasonKey) ? { key: reasonKey } : String(reason);
  return { key, params: { status, reason: reasonText } };
}

/** The keyboard focus is nowhere a key would act: on the page itself, or on a control now disabled or hidden. */
export function focusLost() {
  const active = document.activeElement;
  return !active || active === document.body || active.disabled === true || active.getClientRects().length === 0;
}

export class StaffPresence {
  /** `page`: the console's {ui, state, errors, room, setView, setStatus, session}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
    this.focusWhenEnabled = false;
  }

  renderCamera() {
    const { ui, state } = this;
    document.body.dataset.camera = state.localStream ? 'on' : 'off';
    ui.localVideo.srcObject = state.localStream;
  }

  /** The camera is needed to take calls: open it once, explain if it fails. */
  async ensureCamera() {
    const { ui, state, errors } = this;
    if (!state.localStream) {
      try {
        state.localStream = await openCamera();
      } catch (err) {
        errors.show(`media.${err instanceof MediaProblem ? err.code : 'failed'}`);
        return false;
      }
      this.renderCamera();
      await playVideo(ui.localVideo);
    }
    return true;
  }

  renderAwayReasons() {
    const { ui } = this;
    const chosen = ui.awayReason.value || AWAY_REASON.BREAK;
    ui.awayReason.replaceChildren(
      ...CHOOSABLE_AWAY_REASONS.map((reason) => {
        const option = document.createElement('option');
        option.value = reason;
        setMessage(option, `staff.away_reason.${reason}`);
        return option;
      }),
    );
    ui.awayReason.value = chosen;
  }

  renderPresence({ status, reason = null }) {
    const { ui, state, page } = this;
    state.presence = { status, reason };
    document.body.dataset.presence = status;
    ui.available.setAttribute('aria-pressed', String(TAKING_CALLS.includes(status)));
    ui.available.disabled = status === STAFF_STATUS.OFFERED || status === STAFF_STATUS.IN_SESSION;
    if (this.focusWhenEnabled && !ui.available.disabled) {
      this.focusWhenEnabled = false;
      if (focusLost()) {
        ui.available.focus(); // unless the focus went somewhere meanwhile
      }
    }
    if (status === STAFF_STATUS.AWAY && [...ui.awayReason.options].some((o) => o.value === reason)) {
      ui.awayReason.value = reason; // the reason held, also when set in another tab
    }
    const label = presenceMessage('staff.presence_label', state.presence);
    setMessage(ui.presence, label.key, label.params);
    if (state.view === 'idle') {
      this.showPresence();
    } else if (state.view === 'ended') {
      page.session.renderEnded();
    } else if (state.view === 'call' && status !== STAFF_STATUS.IN_SESSION) {
      if (page.room.transferring) {
        page.session.leaveRoom('transferred'); // the new interpreter is connected; wrap-up follows
      } else if (state.role !== PARTY.INTERPRETER) {
        page.session.leaveRoom(null); // out of someone else's session; left_room or session_ended says why
      } else {
        page.session.showEnded(PARTY.SYSTEM); // e.g. back after the reconnect grace period ran out
      }
    }
  }

  /**
   * Keyboard focus to Available, the next step after a session or an offer. The
   * button stays disabled until the status that ends them arrives (often just
   * after): it takes the focus then.
   */
  focusAvailable() {
    const { ui } = this;
    this.focusWhenEnabled = ui.available.disabled;
    if (!ui.available.disabled) {
      ui.available.focus();
    }
  }

  showPresence() {
    const { key, params } = presenceMessage('staff.presence', this.state.presence);
    this.page.setStatus(key, params);
  }

  /** Another reason chosen while away is sent at once, so the status says it. */
  async changeAwayReason() {
    const { ui, state, errors } = this;
    const reason = ui.awayReason.value;
    if (state.presence.status !== STAFF_STATUS.AWAY || reason === state.presence.reason) {
      return; // not away: the reason goes with the next press of Available
    }
    errors.clear();
    try {
      this.renderPresence(
        await emitWithAck(state.socket, STAFF.emit.SET_PRESENCE, { status: STAFF_STATUS.AWAY, reason }),
      );
    } catch (err) {
      errors.showError(err);
      this.renderPresence(state.presence); // the menu shows the reason still held
    }
  }

  /** Text chat alone needs no camera; any other skill does. */
  cameraNeeded() {
    const { state } = this;
    return (state.me.skills || []).some((skill) => !isChatOnly(String(skill).split('/')[0]));
  }

  async toggleAvailable() {
    const { ui, state, errors, page } = this;
    errors.clear();
    const available = !TAKING_CALLS.includes(state.presence.status);
    if (available && this.cameraNeeded() && !(await this.ensureCamera())) {
      return;
    }
    const presence = available
      ? { status: STAFF_STATUS.AVAILABLE }
      : { status: STAFF_STATUS.AWAY, reason: ui.awayReason.value };
    const focused = document.activeElement === ui.available; // disabled meanwhile, it loses the focus
    ui.available.disabled = true;
    try {
      const ack = await emitWithAck(state.socket, STAFF.emit.SET_PRESENCE, presence);
      if (state.view === 'ended') {
        page.setView('idle');
      }
      this.renderPresence(ack);
    } catch (err) {
      errors.showError(err);
      this.renderPresence(state.presence);
    }
    if (focused && focusLost()) {
      this.focusAvailable(); // pressed from the keyboard: the focus stays on it (not on an offer's Accept)
    }
  }
}
