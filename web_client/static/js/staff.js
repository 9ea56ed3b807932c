// The interpreter console: sign in, become available, answer offers (also with
// Alt+A and Alt+X), run the call or the text chat (with a guest, a department
// counselor or a transfer: js/room_controls.js), then write the wrap-up.
// This module holds sign-in and the socket, and wires the parts together:
// staff_presence.js (camera and presence), staff_offers.js, staff_session.js (the
// call, its roster and its end) and staff_wrapup.js.

import { wireUnmuteButton } from './call.js';
import { ChatPanel } from './chat.js';
import { mountConsent } from './consent.js';
import {
  MessageArea,
  STAFF_LOCALES,
  clearMessage,
  hasMessage,
  initI18n,
  onLocaleChange,
  setMessage,
  t,
} from './i18n.js';
import { stopStream, webRtcProblem } from './media.js';
import { OfferCard } from './offer_card.js';
import { API, NAMESPACE, PARTY, STAFF, STAFF_STATUS } from './protocol.js';
import { RoomControls } from './room_controls.js';
import { StaffOffers } from './staff_offers.js';
import { StaffPresence } from './staff_presence.js';
import { StaffSession } from './staff_session.js';
import { WrapupSlot } from './staff_wrapup.js';

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

// The console's parts share `page`: its elements, state and messages, and each other.
const page = { ui, state, errors, chat, room, offerCard, wrapup, setView, setStatus };
page.presence = new StaffPresence(page); // the camera, too
page.offers = new StaffOffers(page);
page.session = new StaffSession(page);
const { presence, offers, session } = page;

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
  session.endCall();
  offers.hideOffer();
  wrapup.reset();
  if (state.socket) {
    state.socket.disconnect();
    state.socket = null;
  }
  stopStream(state.localStream);
  state.localStream = null;
  presence.renderCamera();
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
  presence.renderPresence({ status: STAFF_STATUS.OFFLINE, reason: null });
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
      presence.showPresence();
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
    offers.hideOffer();
    offers.backToIdle();
    errors.show('error.disconnected');
  });
  socket.on(STAFF.on.STATUS, (notice) => presence.renderPresence(notice));
  socket.on(STAFF.on.SERVICE_CLOSING, ({ closes_at: closesAt }) => {
    // Shown, never only heard: a deaf interpreter must see it too.
    setMessage(document.getElementById('closing-notice'), 'staff.service_closing', {
      when: { moment: closesAt },
    });
  });
  socket.on(STAFF.on.OFFER, (offer) => offers.onOffer(offer));
  socket.on(STAFF.on.OFFER_CLOSED, (notice) => offers.onOfferClosed(notice));
  socket.on(STAFF.on.SESSION_STARTED, (notice) => session.onSessionStarted(notice));
  socket.on(STAFF.on.SESSION_ENDED, (notice) => session.onSessionEnded(notice));
  socket.on(STAFF.on.PEER_RECONNECTING, (notice) => session.onPeerReconnecting(notice));
  socket.on(STAFF.on.PEER_RECONNECTED, (notice) => session.onPeerReconnected(notice));
  socket.on(STAFF.on.ROSTER, (roster) => session.onRoster(roster));
  socket.on(STAFF.on.LEFT_ROOM, (notice) => session.onLeftRoom(notice));
  socket.on(STAFF.on.JOIN_REQUEST_ENDED, (notice) => room.onJoinRequestEnded(notice));
  socket.on(STAFF.on.STAFF_PRESENCE, (notice) => room.onStaffPresence(notice)); // supervisors only
}

// -- start --------------------------------------------------------------------

async function main() {
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  onLocaleChange(renderSkills);
  presence.renderAwayReasons();
  setView('loading');

  ui.loginForm.addEventListener('submit', login);
  ui.logout.addEventListener('click', logout);
  ui.available.addEventListener('click', () => presence.toggleAvailable());
  ui.awayReason.addEventListener('change', () => presence.changeAwayReason());
  ui.accept.addEventListener('click', () => offers.answerOffer(STAFF.emit.ACCEPT_OFFER, true));
  ui.decline.addEventListener('click', () => offers.answerOffer(STAFF.emit.DECLINE_OFFER, false));
  ui.hangUp.addEventListener('click', () => session.hangUp());
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
