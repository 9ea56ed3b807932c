// The staff console's in-call controls for rooms of more than two: who is in the
// room (with Remove for guests and counselors), a single-use guest invitation
// link, a department counselor through the counselor queue, and a warm transfer
// to another interpreter. Only the session's interpreter (or a supervisor) may;
// the server checks again and answers anyone else with not_allowed.

import { clearMessage, hasMessage, onLocaleChange, setMessage } from './i18n.js';
import { partyName } from './room_tiles.js';
import { DEFAULT_DEPARTMENTS, ERROR_CODE, PARTY, ROOM, STAFF, STAFF_STATUS, emitWithAck } from './protocol.js';

/** How long a new invitation link works, in minutes (the server allows 1-240). */
export const INVITE_MINUTES = Object.freeze([15, 30, 60, 120]);
const DEFAULT_INVITE_MINUTES = 30;

/** Roles the interpreter may take out of the room (never the citizen or the interpreter). */
const REMOVABLE = new Set([PARTY.GUEST, PARTY.COUNSELOR, PARTY.SUPERVISOR]);

/** A department's name: the catalog's, or as the server spells it. */
export function departmentName(department) {
  const key = `staff.room.department.${department}`;
  return hasMessage(key) ? { key } : String(department);
}

/**
 * `root` holds the elements with the ids used below. `errors` is the page's
 * MessageArea (failures are explained there, in the reader's language).
 * Only a manager (the session's interpreter) gets the forms and Remove.
 */
export class RoomControls {
  constructor({ root, errors }) {
    const part = (id) => root.querySelector(`#${id}`);
    this.root = root;
    this.errors = errors;
    this.ui = {
      parties: part('room-parties'),
      note: part('room-note'),
      manage: part('room-manage'),
      inviteForm: part('invite-form'),
      inviteMinutes: part('invite-minutes'),
      inviteCreate: part('invite-create'),
      inviteResult: part('invite-result'),
      inviteLink: part('invite-link'),
      inviteCopy: part('invite-copy'),
      inviteExpires: part('invite-expires'),
      inviteCopied: part('invite-copied'),
      counselorForm: part('counselor-form'),
      department: part('counselor-department'),
      counselorRequest: part('counselor-request'),
      transferForm: part('transfer-form'),
      transferTo: part('transfer-to'),
      transferSubmit: part('transfer-submit'),
      cancel: part('join-cancel'),
    };
    this.socket = null;
    this.session = null;
    this.roster = null;
    this.manager = false;
    this.departments = [...DEFAULT_DEPARTMENTS];
    this.loadedFor = new WeakSet(); // sockets whose department list we have
    this.colleagues = new Map(); // staff_id -> {display_name, status}: supervisors see them
    this.pending = null; // {kind: 'counselor'|'transfer'|null (open, from elsewhere), department?}

    this.renderMinutes();
    onLocaleChange(() => this.renderParties()); // the Remove buttons' labels
    this.ui.inviteForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.createInvite();
    });
    this.ui.inviteCopy.addEventListener('click', () => this.copyInvite());
    this.ui.counselorForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.requestCounselor();
    });
    this.ui.transferForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.transfer();
    });
    this.ui.cancel.addEventListener('click', () => this.cancelRequest());
  }

  /** A session began (or was taken up again): show the panel for `session`. */
  start({ socket, session, manager }) {
    this.socket = socket;
    this.session = session;
    this.manager = manager;
    this.roster = null;
    this.pending = null;
    this.ui.parties.replaceChildren();
    clearMessage(this.ui.note);
    this.ui.inviteResult.hidden = true;
    this.ui.inviteLink.value = '';
    this.ui.manage.hidden = !manager;
    this.root.hidden = false;
    this.renderBusy();
    this.renderTransferTargets();
    if (manager) {
      this.loadDepartments();
    }
  }

  stop() {
    this.session = null;
    this.roster = null;
    this.pending = null;
    this.root.hidden = true;
    this.ui.parties.replaceChildren();
    this.ui.inviteLink.value = ''; // the link is a secret: gone with the session
    this.ui.inviteResult.hidden = true;
  }

  get roomId() {
    return this.session ? this.session.room_id : null;
  }

  /** The interpreter runs the room; a counselor or an incoming interpreter only sees it. */
  setManager(manager) {
    this.manager = manager;
    this.ui.manage.hidden = !manager;
    this.renderBusy();
    if (manager) {
      this.loadDepartments();
    }
    this.renderParties();
  }

  // -- the roster ---------------------------------------------------------------

  setRoster(roster) {
    if (!this.session || roster.room_id !== this.roomId) {
      return;
    }
    const before = this.roster;
    this.roster = roster;
    const counselors = (r) => (r ? r.parties.filter((p) => p.role === PARTY.COUNSELOR).length : 0);
    if (this.pending && this.pending.kind !== 'transfer' && counselors(roster) > counselors(before)) {
      this.pending = null;
      setMessage(this.ui.note, 'staff.room.counselor.joined');
      this.renderBusy();
    }
    this.renderParties();
  }

  renderParties() {
    const parties = this.roster ? this.roster.parties : [];
    this.ui.parties.replaceChildren(...parties.map((party) => this.partyItem(party)));
  }

  partyItem(party) {
    const item = document.createElement('li');
    item.dataset.party = party.party;
    item.dataset.role = party.role;
    const name = document.createElement('span');
    name.className = 'room-party-name';
    const { key, params } = partyName(party);
    setMessage(name, key, params);
    item.append(name);
    if (party.audio_only) {
      const only = document.createElement('span');
      only.className = 'room-tile-audio-only';
      setMessage(only, 'room.audio_only');
      item.append(' ', only);
    }
    if (party.you) {
      const you = document.createElement('span');
      setMessage(you, 'staff.room.you');
      item.append(' ', you);
    } else if (this.manager && REMOVABLE.has(party.role)) {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary room-remove';
      setMessage(remove, 'staff.room.remove');
      const label = document.createElement('span');
      setMessage(label, 'staff.room.remove.label', { who: { key, params } });
      remove.setAttribute('aria-label', label.textContent);
      remove.addEventListener('click', () => this.remove(party, remove));
      item.append(' ', remove);
    }
    return item;
  }

  async remove(party, button) {
    button.disabled = true;
    await this.ask(ROOM.emit.REMOVE_PARTY, { room_id: this.roomId, party: party.party });
    button.disabled = false; // the next roster takes the row away
  }

  // -- guest invitation -------------------------------------------------------

  renderMinutes() {
    const chosen = Number(this.ui.inviteMinutes.value) || DEFAULT_INVITE_MINUTES;
    this.ui.inviteMinutes.replaceChildren(
      ...INVITE_MINUTES.map((minutes) => {
        const option = document.createElement('option');
        option.value = String(minutes);
        setMessage(option, 'staff.room.invite.minutes_option', { minutes });
        return option;
      }),
    );
    this.ui.inviteMinutes.value = String(chosen);
  }

  async createInvite() {
    this.ui.inviteCreate.disabled = true;
    const ack = await this.ask(ROOM.emit.CREATE_INVITE, {
      room_id: this.roomId,
      expires_in_minutes: Number(this.ui.inviteMinutes.value) || DEFAULT_INVITE_MINUTES,
    });
    this.ui.inviteCreate.disabled = false;
    if (!ack) {
      return;
    }
    this.ui.inviteLink.value = new URL(ack.url, window.location.origin).href;
    setMessage(this.ui.inviteExpires, 'staff.room.invite.expires', { when: { moment: ack.expires_at } });
    clearMessage(this.ui.inviteCopied);
    this.ui.inviteResult.hidden = false;
    this.ui.inviteLink.focus();
    this.ui.inviteLink.select();
  }

  async copyInvite() {
    this.ui.inviteLink.select();
    try {
      await navigator.clipboard.writeText(this.ui.inviteLink.value);
      setMessage(this.ui.inviteCopied, 'staff.room.invite.copied');
    } catch {
      setMessage(this.ui.inviteCopied, 'staff.room.invite.copy_failed');
    }
  }

  // -- a department counselor ---------------------------------------------------

  async loadDepartments() {
    const socket = this.socket;
    if (!socket || this.loadedFor.has(socket)) {
      this.renderDepartments();
      return;
    }
    try {
      const ack = await emitWithAck(socket, STAFF.emit.DEPARTMENTS, {});
      if (Array.isArray(ack.departments) && ack.departments.length > 0) {
        this.departments = ack.departments;
      }
      this.loadedFor.add(socket);
    } catch {
      // the built-in list stands in; the server checks the choice
    }
    this.renderDepartments();
  }

  renderDepartments() {
    const chosen = this.ui.department.value;
    this.ui.department.replaceChildren(
      ...this.departments.map((department) => {
        const option = document.createElement('option');
        option.value = department;
        const name = departmentName(department);
        if (typeof name === 'string') {
          option.textContent = name;
        } else {
          setMessage(option, name.key);
        }
        return option;
      }),
    );
    if (this.departments.includes(chosen)) {
      this.ui.department.value = chosen;
    }
  }

  async requestCounselor() {
    const department = this.ui.department.value;
    this.ui.counselorRequest.disabled = true;
    const ack = await this.ask(ROOM.emit.REQUEST_COUNSELOR, { room_id: this.roomId, department });
    if (ack) {
      this.pending = { kind: 'counselor', department };
      setMessage(this.ui.note, 'staff.room.counselor.pending', { department: departmentName(department) });
    }
    this.renderBusy();
  }

  // -- warm transfer ---------------------------------------------------------------

  /** Supervisors see everyone's presence: named interpreters to hand over to. */
  onStaffPresence(notice) {
    if (notice.status === STAFF_STATUS.OFFLINE) {
      this.colleagues.delete(notice.staff_id);
    } else {
      this.colleagues.set(notice.staff_id, notice);
    }
    this.renderTransferTargets();
  }

  renderTransferTargets() {
    const chosen = this.ui.transferTo.value;
    const queue = document.createElement('option');
    queue.value = '';
    setMessage(queue, 'staff.room.transfer.queue');
    const named = [...this.colleagues.values()]
      .filter((c) => c.status === STAFF_STATUS.AVAILABLE)
      .sort((a, b) => String(a.display_name).localeCompare(String(b.display_name)))
      .map((c) => {
        const option = document.createElement('option');
        option.value = c.staff_id;
        option.textContent = c.display_name;
        return option;
      });
    this.ui.transferTo.replaceChildren(queue, ...named);
    if ([...this.ui.transferTo.options].some((option) => option.value === chosen)) {
      this.ui.transferTo.value = chosen;
    }
  }

  async transfer() {
    const to = this.ui.transferTo.value || null;
    this.ui.transferSubmit.disabled = true;
    const ack = await this.ask(ROOM.emit.TRANSFER, { room_id: this.roomId, to_staff_id: to });
    if (ack) {
      this.pending = { kind: 'transfer' };
      setMessage(this.ui.note, 'staff.room.transfer.pending');
    }
    this.renderBusy();
  }

  // -- withdrawing the open request ---------------------------------------------------

  /** Cancel the open counselor or transfer request; the next one may follow at once. */
  async cancelRequest() {
    const hadFocus = document.activeElement === this.ui.cancel; // before disabling drops it
    this.ui.cancel.disabled = true;
    const ack = await this.ask(ROOM.emit.CANCEL_JOIN_REQUEST, { room_id: this.roomId });
    this.ui.cancel.disabled = false;
    if (ack) {
      this.requestGone();
    }
    if (hadFocus && this.ui.cancel.hidden) {
      this.ui.counselorRequest.focus(); // where the next request starts
    }
  }

  /** The open request was cancelled (here, in another tab, or by a supervisor). */
  requestGone() {
    this.pending = null;
    setMessage(this.ui.note, 'staff.room.request.cancelled');
    this.renderBusy();
  }

  /** Whether a transfer this console asked for is under way (the old interpreter's side). */
  get transferring() {
    return Boolean(this.pending && this.pending.kind === 'transfer');
  }

  // -- answers from the server ---------------------------------------------------

  /** A counselor or transfer request ended unanswered. */
  onJoinRequestEnded({ room_id: roomId, kind, reason }) {
    if (roomId !== this.roomId) {
      return;
    }
    if (reason === 'cancelled') {
      this.requestGone(); // perhaps from another tab, or by a supervisor
      return;
    }
    const department = this.pending && this.pending.department;
    this.pending = null;
    this.renderBusy();
    if (reason !== 'declined_by_all') {
      clearMessage(this.ui.note);
      return;
    }
    if (kind === 'counselor') {
      setMessage(this.ui.note, 'staff.room.counselor.declined', {
        department: department ? departmentName(department) : '—',
      });
    } else {
      setMessage(this.ui.note, 'staff.room.transfer.declined');
    }
  }

  /** One request at a time (the server says join_pending otherwise); the open one can be cancelled. */
  renderBusy() {
    const busy = Boolean(this.pending);
    this.ui.counselorRequest.disabled = busy;
    this.ui.transferSubmit.disabled = busy;
    this.ui.cancel.hidden = !(busy && this.manager && this.session);
  }

  /** Emit a room event; on refusal the reason is shown (translated) and null returned. */
  async ask(event, payload) {
    if (!this.socket || !this.roomId) {
      return null;
    }
    this.errors.clear();
    try {
      return await emitWithAck(this.socket, event, payload);
    } catch (err) {
      this.errors.showError(err);
      if (err.code === ERROR_CODE.JOIN_PENDING && !this.pending) {
        this.pending = { kind: null }; // open from before a reload, or another tab: it can be cancelled
        this.renderBusy();
      } else if (err.code === ERROR_CODE.NO_JOIN_REQUEST) {
        this.pending = null; // already taken, declined or cancelled
        this.renderBusy();
      }
      return null;
    }
  }
}
