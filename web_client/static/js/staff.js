// The interpreter console: sign in, become available, answer offers (also with
// Alt+A and Alt+X), run the call or the text chat (with a guest, a department
// counselor or a transfer: js/room_controls.js), then write the wrap-up.

import { Call, playVideo, wireUnmuteButton } from './call.js';
import { ChatPanel } from './chat.js';
import { mountConsent } from './consent.js';
import {
  MessageArea,
  STAFF_LOCALES,
  clearMessage,
  flash,
  hasMessage,
  initI18n,
  onLocaleChange,
  setMessage,
  t,
  titleCue,
} from './i18n.js';
import { MediaProblem, openCamera, stopStream, webRtcProblem } from './media.js';
import { OfferCard } from './offer_card.js';
import { RoomControls } from './room_controls.js';
import { WrapupSlot } from './staff_wrapup.js';
import {
  API,
  AWAY_REASON,
  CHOOSABLE_AWAY_REASONS,
  NAMESPACE,
  OFFER_CLOSED_REASON,
  PARTY,
  STAFF,
  STAFF_STATUS,
  emitWithAck,
  isChatOnly,
} from './protocol.js';

const $ = (id) => document.getElementById(id);
const ui = {
  title: document.querySelector('title'),
  locale: $('locale'),
  who: $('who'),
  logout: $('logout'),
  status: $('status'),
  notice: $('notice'),
  loginForm: $('login-form'),
  username: $('username'),
  password: $('password'),
  login: $('login'),
  available: $('available'),
  awayReason: $('away-reason'),
  presence: $('presence'),
  skills: $('skills'),
  accept: $('accept'),
  decline: $('decline'),
  localVideo: $('local-video'),
  remoteVideo: $('remote-video'),
  unmute: $('unmute'),
  hangUp: $('hang-up'),
  links: $('staff-links'),
  linksList: $('staff-links-list'),
};
const errors = new MessageArea($('error'));
const chat = new ChatPanel({ root: $('chat'), self: PARTY.INTERPRETER, events: STAFF, alert: $('chat-alert') });
const room = new RoomControls({ root: $('room'), errors });
const offerCard = new OfferCard($('offer'));
const wrapup = new WrapupSlot({
  slot: $('wrapup-slot'),
  pending: $('wrapup-pending'),
  pendingList: $('wrapup-pending-list'),
});
const CONNECTION_ERRORS = ['error.unreachable', 'error.disconnected'];

const TAKING_CALLS = [STAFF_STATUS.AVAILABLE, STAFF_STATUS.OFFERED, STAFF_STATUS.IN_SESSION];

/** The other staff pages, by role; they open in a new tab, so the console stays on duty. */
const STAFF_LINKS = Object.freeze({
  supervisor: [
    ['/supervisor', 'staff.nav.supervisor'],
    ['/stats', 'staff.nav.stats'],
    ['/cases', 'staff.nav.cases'],
  ],
  interpreter: [['/cases', 'staff.nav.cases']],
  scheduler: [['/scheduler', 'staff.nav.scheduler']],
});

const state = {
  view: 'loading', // loading | login | connecting | idle | offer | call | ended
  me: null,
  socket: null,
  presence: { status: STAFF_STATUS.OFFLINE, reason: null },
  localStream: null,
  session: null, // the session_started notice of the session in progress
  roster: null, // the last roster of the session's room
  role: PARTY.INTERPRETER, // ours in its room: the interpreter, or a department counselor
  lastRoomId: null, // the room we were in last, for a left_room that comes after the status
  accepted: null, // the offer we accepted last (its purpose: session, counselor, transfer)
  call: null,
};

function setView(view) {
  state.view = view;
  document.body.dataset.state = view;
  const section = view === 'loading' || view === 'login' ? 'login' : 'console';
  for (const element of document.querySelectorAll('[data-view]')) {
    element.hidden = element.dataset.view !== section;
  }
  ui.logout.hidden = section !== 'console';
  ui.hangUp.hidden = view !== 'call';
  if (view !== 'call') {
    room.stop();
  }
  if (view !== 'call' && view !== 'ended') {
    chat.reset(); // the transcript stays through wrap-up, until the next call
  }
}

function setStatus(key, params) {
  setMessage(ui.status, key, params);
}

// -- sign in and out ------------------------------------------------------------

async function fetchMe() {
  try {
    const response = await fetch(API.ME, { headers: { Accept: 'application/json' } });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

function showLogin() {
  state.me = null;
  renderLinks(null);
  clearMessage(ui.who);
  clearMessage(ui.status);
  clearMessage(ui.notice);
  ui.skills.textContent = '';
  setView('login');
  ui.username.focus();
}

async function login(event) {
  event.preventDefault();
  errors.clear();
  ui.login.disabled = true;
  try {
    const response = await fetch(API.LOGIN, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username: ui.username.value.trim(), password: ui.password.value }),
    });
    if (response.ok) {
      ui.password.value = '';
      enterConsole(await response.json());
      return;
    }
    const body = await response.json().catch(() => ({}));
    const code = (body.error && body.error.code) || `http_${response.status}`;
    // bad_credentials, too_many_attempts: each says what to do; anything else is a failure.
    const key = hasMessage(`staff.login.${code}`) ? `staff.login.${code}` : 'staff.login.failed';
    errors.show(key, {}, code);
  } catch {
    errors.show('staff.login.failed');
  } finally {
    ui.login.disabled = false;
  }
}

async function logout() {
  endCall();
  hideOffer();
  wrapup.reset();
  if (state.socket) {
    state.socket.disconnect();
    state.socket = null;
  }
  stopStream(state.localStream);
  state.localStream = null;
  renderCamera();
  try {
    await fetch(API.LOGOUT, { method: 'POST' });
  } catch {
    // the sign-in expires on its own
  }
  errors.clear();
  showLogin();
}

function enterConsole(me) {
  state.me = me;
  setMessage(ui.who, 'staff.signed_in_as', { name: me.display_name });
  renderLinks(me.role);
  renderSkills();
  setView('connecting');
  setStatus('staff.status.connecting');
  renderPresence({ status: STAFF_STATUS.OFFLINE, reason: null });
  connect();
}

function renderLinks(role) {
  const links = (role && STAFF_LINKS[role]) || [];
  ui.linksList.replaceChildren(
    ...links.map(([href, key]) => {
      const name = document.createElement('span');
      setMessage(name, key);
      const arrow = document.createElement('span');
      arrow.setAttribute('aria-hidden', 'true');
      arrow.textContent = '↗';
      const note = document.createElement('span');
      note.className = 'visually-hidden';
      setMessage(note, 'staff.nav.new_tab');
      const link = document.createElement('a');
      link.href = href;
      link.target = '_blank';
      link.rel = 'noopener';
      link.append(name, ' ', arrow, ' ', note);
      const item = document.createElement('li');
      item.append(link);
      return item;
    }),
  );
  ui.links.hidden = links.length === 0;
}

function renderSkills() {
  if (!state.me) {
    return;
  }
  const skills = (state.me.skills || []).map((skill) => {
    const [service, language] = String(skill).split('/');
    return `${t(`service.${service}`)} (${t(`language.${language}`)})`;
  });
  ui.skills.textContent = t('staff.skills', { skills: skills.join(', ') });
}

// -- camera and presence ----------------------------------------------------------

function renderCamera() {
  document.body.dataset.camera = state.localStream ? 'on' : 'off';
  ui.localVideo.srcObject = state.localStream;
}

/** The camera is needed to take calls: open it once, explain if it fails. */
async function ensureCamera() {
  if (!state.localStream) {
    try {
      state.localStream = await openCamera();
    } catch (err) {
      errors.show(`media.${err instanceof MediaProblem ? err.code : 'failed'}`);
      return false;
    }
    renderCamera();
    await playVideo(ui.localVideo);
  }
  return true;
}

function renderAwayReasons() {
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

function renderPresence({ status, reason = null }) {
  state.presence = { status, reason };
  document.body.dataset.presence = status;
  ui.available.setAttribute('aria-pressed', String(TAKING_CALLS.includes(status)));
  ui.available.disabled = status === STAFF_STATUS.OFFERED || status === STAFF_STATUS.IN_SESSION;
  const label = presenceMessage('staff.presence_label', state.presence);
  setMessage(ui.presence, label.key, label.params);
  if (state.view === 'idle') {
    showPresence();
  } else if (state.view === 'ended') {
    renderEnded();
  } else if (state.view === 'call' && status !== STAFF_STATUS.IN_SESSION) {
    if (room.transferring) {
      leaveRoom('transferred'); // the new interpreter is connected; wrap-up follows
    } else if (state.role !== PARTY.INTERPRETER) {
      leaveRoom(null); // out of someone else's session; left_room or session_ended says why
    } else {
      showEnded(PARTY.SYSTEM); // e.g. back after the reconnect grace period ran out
    }
  }
}

function showPresence() {
  const { key, params } = presenceMessage('staff.presence', state.presence);
  setStatus(key, params);
}

/** Text chat alone needs no camera; any other skill does. */
function cameraNeeded() {
  return (state.me.skills || []).some((skill) => !isChatOnly(String(skill).split('/')[0]));
}

async function toggleAvailable() {
  errors.clear();
  const available = !TAKING_CALLS.includes(state.presence.status);
  if (available && cameraNeeded() && !(await ensureCamera())) {
    return;
  }
  const presence = available
    ? { status: STAFF_STATUS.AVAILABLE }
    : { status: STAFF_STATUS.AWAY, reason: ui.awayReason.value };
  ui.available.disabled = true;
  try {
    const ack = await emitWithAck(state.socket, STAFF.emit.SET_PRESENCE, presence);
    if (state.view === 'ended') {
      setView('idle');
    }
    renderPresence(ack);
  } catch (err) {
    errors.showError(err);
    renderPresence(state.presence);
  }
}

// -- offers ---------------------------------------------------------------------

function onOffer(offer) {
  hideOffer();
  wrapup.close(); // the next citizen: an unsaved wrap-up is listed to finish later
  errors.clear();
  clearMessage(ui.notice);
  setView('offer');
  setStatus('staff.presence.offered');
  setMessage(ui.title, 'staff.title_alert'); // visible in the tab strip, too
  offerCard.show(offer);
}

function hideOffer() {
  offerCard.hide();
  setMessage(ui.title, 'staff.title');
}

function backToIdle() {
  if (state.view === 'offer') {
    setView('idle');
    showPresence();
  }
}

function onOfferClosed({ offer_id: offerId, reason }) {
  if (!offerCard.offer || offerCard.offer.offer_id !== offerId) {
    return;
  }
  const joining = offerCard.offer.purpose === 'counselor' || offerCard.offer.purpose === 'transfer';
  hideOffer();
  backToIdle();
  if (joining && reason === OFFER_CLOSED_REASON.OFFER_WITHDRAWN) {
    setMessage(ui.notice, 'staff.offer_closed.join_withdrawn'); // cancelled, or the session ended
  } else if (Object.values(OFFER_CLOSED_REASON).includes(reason)) {
    setMessage(ui.notice, `staff.offer_closed.${reason}`);
  }
}

async function answerOffer(eventName, accept) {
  const offer = offerCard.offer;
  if (!offer) {
    return;
  }
  errors.clear();
  offerCard.setBusy(true);
  if (accept && !isChatOnly(offer.service) && !(await ensureCamera())) {
    offerCard.setBusy(false);
    return;
  }
  try {
    await emitWithAck(state.socket, eventName, { offer_id: offer.offer_id });
    if (accept) {
      state.accepted = offer;
    }
    if (accept && offerCard.offer === offer) {
      setStatus('staff.status.joining');
    }
  } catch (err) {
    errors.showError(err);
    if (offerCard.offer === offer) {
      hideOffer();
      backToIdle();
    }
  }
}

// -- the call -------------------------------------------------------------------

async function onSessionStarted(notice) {
  hideOffer();
  wrapup.close();
  endCall();
  errors.clear();
  state.session = notice;
  state.roster = null;
  state.lastRoomId = notice.room_id;
  // A counselor's offer brings us in as the department's counselor; the roster
  // confirms our role either way (after a reload the offer is long gone).
  const accepted = state.accepted && state.accepted.case_id === notice.case_id ? state.accepted : null;
  setRole(accepted && accepted.purpose === 'counselor' ? PARTY.COUNSELOR : PARTY.INTERPRETER);
  room.start({ socket: state.socket, session: notice, manager: state.role === PARTY.INTERPRETER });
  const chatOnly = isChatOnly(notice.service);
  const what = { service: { key: `service.${notice.service}` }, language: { key: `language.${notice.language}` } };
  document.body.dataset.channel = chatOnly ? 'chat' : 'video';
  renderHangUp();
  setView('call');
  chat.start({ socket: state.socket, roomId: notice.room_id }); // after a reload: the transcript so far
  flash(ui.status);
  if (chatOnly) {
    setStatus('staff.status.in_chat', what);
    chat.focus();
    return;
  }
  setStatus('staff.status.joining');
  chat.focusLog(); // Accept is gone; keep keyboard focus in the session
  // After a reload the console rejoins a held session: the camera must come back
  // first, or the offer would only receive and the citizen would see nothing.
  await ensureCamera();
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
  call.addEventListener('connected', () => setStatus('staff.status.in_call', what));
  call.addEventListener('problem', ({ detail }) => errors.showError(detail));
  call.connect();
}

/** Our role in the room: who writes the wrap-up, whose chat lines read "You". */
function setRole(role) {
  state.role = role;
  chat.self = role;
  renderHangUp();
}

function renderHangUp() {
  const chatOnly = Boolean(state.session) && isChatOnly(state.session.service);
  let key = chatOnly ? 'staff.hang_up.chat' : 'staff.hang_up';
  if (state.role !== PARTY.INTERPRETER) {
    key = 'staff.hang_up.leave'; // a counselor leaves; the session goes on
  }
  setMessage(ui.hangUp, key);
}

/** Who is in the room, and which of our slots carries whom (the call's tiles follow it too). */
function onRoster(roster) {
  if (!state.session || roster.room_id !== state.session.room_id) {
    return;
  }
  state.roster = roster;
  const me = roster.parties.find((party) => party.you);
  if (me && me.role !== state.role && (me.role === PARTY.INTERPRETER || me.role === PARTY.COUNSELOR)) {
    setRole(me.role);
  }
  room.setManager(state.role === PARTY.INTERPRETER);
  room.setRoster(roster);
}

/**
 * We are out of a room that goes on: handed over (`transferred`), taken out
 * (`removed`), left as a counselor (`left`), or not told yet (null).
 */
function leaveRoom(reason) {
  if (state.session) {
    state.session = null;
    endCall();
    chat.close();
    setView('ended');
    renderEnded();
    titleCue('staff.title_alert.ended');
    ui.available.focus();
  }
  if (reason) {
    setMessage(ui.notice, `staff.left_room.${reason}`);
    flash(ui.notice);
  }
}

function onLeftRoom({ room_id: roomId, reason }) {
  if (roomId === state.lastRoomId && (state.session || state.view === 'ended')) {
    leaveRoom(reason);
  }
}

function endCall() {
  if (state.call) {
    state.call.close();
    state.call = null;
  }
}

function renderEnded() {
  const key = `staff.status.ended_${state.presence.status}`;
  setStatus(hasMessage(key) ? key : 'staff.status.ended');
}

function showEnded(endedBy) {
  const session = state.session;
  state.session = null;
  endCall();
  chat.close();
  setView('ended');
  renderEnded();
  setMessage(ui.notice, `staff.ended_by.${endedBy}`);
  titleCue('staff.title_alert.ended');
  flash(ui.notice);
  if (session && state.role === PARTY.INTERPRETER) {
    wrapup.open(session); // the case is the interpreter's to write up, not a counselor's
  }
  ui.available.focus(); // the next step: Available for calls (hang-up is gone)
}

function sessionWhat(notice) {
  return { service: { key: `service.${notice.service}` }, language: { key: `language.${notice.language}` } };
}

/** The citizen dropped (often a reload): the session is held for them, so say so. */
function onPeerReconnecting({ room_id: roomId, deadline }) {
  if (state.session && state.session.room_id === roomId) {
    const seconds = Math.max(0, Math.round((Date.parse(deadline) - Date.now()) / 1000));
    setStatus('staff.status.peer_reconnecting', { seconds });
    flash(ui.status);
  }
}

function onPeerReconnected({ room_id: roomId }) {
  if (state.session && state.session.room_id === roomId) {
    const chatOnly = isChatOnly(state.session.service);
    setStatus(chatOnly ? 'staff.status.in_chat' : 'staff.status.in_call', sessionWhat(state.session));
    flash(ui.status);
  }
}

function onSessionEnded({ room_id: roomId, ended_by: endedBy }) {
  if (state.session && state.session.room_id === roomId) {
    showEnded(endedBy);
  }
}

async function hangUp() {
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
    showEnded(PARTY.INTERPRETER);
  } else {
    leaveRoom('left');
  }
}

// -- socket -------------------------------------------------------------------

function connect() {
  const socket = window.io(NAMESPACE.STAFF, { withCredentials: true });
  mountConsent(socket, { staff: true });
  state.socket = socket;
  socket.on('connect', () => {
    errors.clear(...CONNECTION_ERRORS);
    if (state.view === 'connecting') {
      // The first status event arrives just before 'connect' (socket.io delivers
      // events buffered during the handshake first): show it now.
      setView('idle');
      showPresence();
    }
  });
  socket.on('connect_error', () => {
    if (socket.active) {
      errors.show('error.unreachable'); // socket.io keeps retrying
      return;
    }
    // The server refused us: the sign-in cookie is missing or has expired.
    socket.disconnect();
    state.socket = null;
    showLogin();
    errors.show('staff.session_expired');
  });
  socket.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') {
      return;
    }
    // A session is held for a grace period: on reconnecting the server sends
    // session_started again (rejoin) or a status that shows it is over.
    hideOffer();
    backToIdle();
    errors.show('error.disconnected');
  });
  socket.on(STAFF.on.STATUS, renderPresence);
  socket.on(STAFF.on.SERVICE_CLOSING, ({ closes_at: closesAt }) => {
    // Shown, never only heard: a deaf interpreter must see it too.
    setMessage(document.getElementById('closing-notice'), 'staff.service_closing', {
      when: { moment: closesAt },
    });
  });
  socket.on(STAFF.on.OFFER, onOffer);
  socket.on(STAFF.on.OFFER_CLOSED, onOfferClosed);
  socket.on(STAFF.on.SESSION_STARTED, onSessionStarted);
  socket.on(STAFF.on.SESSION_ENDED, onSessionEnded);
  socket.on(STAFF.on.PEER_RECONNECTING, onPeerReconnecting);
  socket.on(STAFF.on.PEER_RECONNECTED, onPeerReconnected);
  socket.on(STAFF.on.ROSTER, onRoster);
  socket.on(STAFF.on.LEFT_ROOM, onLeftRoom);
  socket.on(STAFF.on.JOIN_REQUEST_ENDED, (notice) => room.onJoinRequestEnded(notice));
  socket.on(STAFF.on.STAFF_PRESENCE, (notice) => room.onStaffPresence(notice)); // supervisors only
}

// -- start --------------------------------------------------------------------

async function main() {
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  onLocaleChange(renderSkills);
  renderAwayReasons();
  setView('loading');

  ui.loginForm.addEventListener('submit', login);
  ui.logout.addEventListener('click', logout);
  ui.available.addEventListener('click', toggleAvailable);
  ui.accept.addEventListener('click', () => answerOffer(STAFF.emit.ACCEPT_OFFER, true));
  ui.decline.addEventListener('click', () => answerOffer(STAFF.emit.DECLINE_OFFER, false));
  ui.hangUp.addEventListener('click', hangUp);
  wireUnmuteButton(ui.unmute, ui.remoteVideo);

  const problem = webRtcProblem();
  if (problem) {
    errors.show(`media.${problem}`);
  }
  const me = await fetchMe();
  if (me) {
    enterConsole(me);
  } else {
    showLogin();
  }
}

main();
