// The guest page: someone an interpreter invited with a single-use link (an
// official, a relative beside the citizen) joins the session with a camera or
// with sound only, sees the others as tiles labelled by role, chats, and leaves.
// A guest never sees case data: the server sends none to this namespace.
// A reload (or a dropped connection) keeps the guest's place: the join's resume
// token is kept for this tab and taken up again within the reconnect grace period.

import { Call, playVideo, wireUnmuteButton } from './call.js';
import { ChatPanel } from './chat.js';
import { focusConsentPrompt, mountConsent } from './consent.js';
import { MessageArea, clearMessage, errorMessage, flash, initI18n, setMessage, titleCue } from './i18n.js';
import { MediaProblem, openCamera, openMicrophone, problemMessage, stopStream, webRtcProblem } from './media.js';
import { ERROR_CODE, GUEST, NAMESPACE, PARTY, emitWithAck, isChatOnly } from './protocol.js';

const $ = (id) => document.getElementById(id);
const ui = {
  locale: $('locale'),
  status: $('status'),
  joinCamera: $('join-camera'),
  joinAudio: $('join-audio'),
  leave: $('leave'),
  localVideo: $('local-video'),
  remoteVideo: $('remote-video'),
  unmute: $('unmute'),
  endedDetail: $('ended-detail'),
  problemHeading: $('problem-heading'),
  problemDetail: $('problem-detail'),
};
const errors = new MessageArea($('error'));
const chat = new ChatPanel({ root: $('chat'), self: PARTY.GUEST, events: GUEST, alert: $('chat-alert') });

// The guest's own words where the shared ones name the citizen page's "Turn on camera"
// (and the camera alone, when sound only was asked for).
const GUEST_MEDIA = {
  'media.denied': 'guest.media.denied',
  'media.denied.webview': 'guest.media.denied.webview',
  'media.busy': 'guest.media.busy',
};

/** Where this tab keeps {invite, token} of the place it holds (a key, not a message). */
const RESUME_KEY = 'dasan:guest_resume';

function keepResume(token) {
  sessionStorage.setItem(RESUME_KEY, JSON.stringify({ invite: state.invite, token }));
}

function forgetResume() {
  sessionStorage.removeItem(RESUME_KEY);
}

/** The resume token kept for this invitation, or null. */
function keptResume() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(RESUME_KEY) || 'null');
    return kept && kept.invite === state.invite && typeof kept.token === 'string' ? kept.token : null;
  } catch {
    return null;
  }
}

/** The invitation token of the link (signaling/room_payloads.py INVITE_PATTERN). */
const INVITE = /^[A-Za-z0-9_-]{22}$/;
/** Codes that mean this link will not work, whatever the guest does now. */
const INVITE_PROBLEMS = new Set([
  ERROR_CODE.INVITE_UNKNOWN,
  ERROR_CODE.INVITE_EXPIRED,
  ERROR_CODE.INVITE_USED,
  ERROR_CODE.ROOM_FULL,
  ERROR_CODE.INVALID_PAYLOAD,
]);

const state = {
  view: 'loading', // loading | choose | joining | call | ended | invalid
  invite: null,
  socket: null,
  stream: null,
  audioOnly: false,
  roomId: null,
  call: null,
};

function setView(view) {
  state.view = view;
  document.body.dataset.state = view === 'joining' ? 'choose' : view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== (view === 'joining' ? 'choose' : view);
  }
  const busy = view !== 'choose';
  ui.joinCamera.disabled = busy;
  ui.joinAudio.disabled = busy;
}

function setStatus(key, params) {
  setMessage(ui.status, key, params);
}

/** The link cannot be used: say why, and that nothing else is needed from this page. */
function showInvalid(key, params = {}) {
  stopLocal();
  errors.clear();
  setStatus('guest.invite_problem');
  setMessage(ui.problemDetail, key, params);
  setView('invalid');
  ui.problemHeading.focus();
}

function showLocal(stream) {
  state.stream = stream;
  const video = stream.getVideoTracks().length > 0;
  document.body.dataset.camera = video ? 'on' : 'off';
  ui.localVideo.srcObject = video ? stream : null;
  if (video) {
    playVideo(ui.localVideo);
  }
}

function stopLocal() {
  stopStream(state.stream);
  state.stream = null;
  ui.localVideo.srcObject = null;
  document.body.dataset.camera = 'off';
}

async function openMedia(audioOnly) {
  try {
    return audioOnly ? await openMicrophone() : await openCamera();
  } catch (err) {
    const code = err instanceof MediaProblem ? err.code : 'failed';
    const key = problemMessage(code);
    errors.show(GUEST_MEDIA[key] || key, {}, `media.${code}`);
    if (!audioOnly) {
      setStatus('guest.camera_failed'); // the other button still works
    }
    return null;
  }
}

async function join(audioOnly) {
  if (state.view !== 'choose') {
    return;
  }
  errors.clear();
  setView('joining');
  setStatus('guest.status.joining');
  // The camera first: the link works once, so it is spent only when media is ready.
  const stream = await openMedia(audioOnly);
  if (!stream) {
    setView('choose');
    if (audioOnly) {
      setStatus('guest.status.ready'); // not joining after all (a refused camera leaves its own hint)
    }
    (audioOnly ? ui.joinAudio : ui.joinCamera).focus();
    return;
  }
  showLocal(stream);
  state.audioOnly = audioOnly;
  let ack;
  try {
    ack = await emitWithAck(state.socket, GUEST.emit.JOIN, { invite: state.invite, audio_only: audioOnly });
  } catch (err) {
    if (INVITE_PROBLEMS.has(err.code)) {
      const { key, params } = errorMessage(err.code, err.message);
      showInvalid(key, params);
    } else {
      stopLocal();
      setView('choose');
      setStatus('guest.status.ready');
      errors.showError(err);
    }
    return;
  }
  keepResume(ack.resume_token);
  startCall(ack);
}

/**
 * Take our place up again after a reload or a dropped connection: the same
 * party in the room, a new peer connection, the chat so far. False when the
 * place is gone (left, or not back within the grace period).
 */
async function resume(token) {
  let ack;
  try {
    ack = await emitWithAck(state.socket, GUEST.emit.RESUME, { resume_token: token });
  } catch {
    forgetResume();
    return false;
  }
  if (state.call) {
    state.call.close();
    state.call = null;
  }
  state.audioOnly = ack.audio_only;
  if (!isChatOnly(ack.service) && !state.stream) {
    // Allowed before the reload: no question is asked again.
    const stream = await openMedia(ack.audio_only);
    if (stream) {
      showLocal(stream);
    }
  }
  if (state.view !== 'call') {
    setView('call');
  }
  errors.clear('error.disconnected');
  startCall(ack);
  return true;
}

function startCall({ room_id: roomId, service, party }) {
  state.roomId = roomId;
  setView('call');
  setStatus('guest.status.joining');
  chat.start({ socket: state.socket, roomId, party });
  if (isChatOnly(service)) {
    // A text chat counseling session: no video for anyone, the chat is all.
    stopLocal();
    document.body.dataset.channel = 'chat';
    setStatus('guest.status.in_call');
    if (!focusConsentPrompt()) {
      chat.focus();
    }
    return;
  }
  if (!focusConsentPrompt()) {
    chat.focusLog(); // the question about recording, if it came first, has the focus
  }
  const call = new Call({
    socket: state.socket,
    events: GUEST.emit,
    roomId,
    localStream: state.stream || new MediaStream(),
    remoteVideo: ui.remoteVideo,
    unmuteButton: ui.unmute,
  });
  state.call = call;
  call.addEventListener('connected', () => {
    setStatus(state.audioOnly ? 'guest.status.in_call.audio' : 'guest.status.in_call');
    flash(ui.status);
  });
  call.addEventListener('problem', ({ detail }) => errors.showError(detail));
  call.connect();
}

/** Out of the room (left, taken out, the session over, the line lost): say so, keep the chat readable. */
function showEnded(key) {
  if (state.view !== 'call') {
    return;
  }
  forgetResume();
  if (state.call) {
    state.call.close();
    state.call = null;
  }
  chat.close();
  stopLocal();
  state.roomId = null;
  setView('ended');
  clearMessage(ui.status); // the detail says it, and takes the focus
  setMessage(ui.endedDetail, key);
  titleCue('citizen.title_alert.ended');
  flash(ui.endedDetail);
  ui.endedDetail.focus();
}

async function leave() {
  const roomId = state.roomId;
  if (!roomId) {
    return;
  }
  ui.leave.disabled = true;
  try {
    await emitWithAck(state.socket, GUEST.emit.LEAVE, { room_id: roomId });
  } catch {
    // out either way: closing the connection leaves the room too
  } finally {
    ui.leave.disabled = false;
  }
  showEnded('guest.status.left');
}

function connect() {
  const socket = window.io(NAMESPACE.GUEST);
  mountConsent(socket);
  state.socket = socket;
  socket.on('connect', async () => {
    errors.clear('error.unreachable');
    const token = keptResume();
    if (!token || !(state.view === 'loading' || state.view === 'choose' || state.view === 'call')) {
      return;
    }
    if (await resume(token)) {
      return;
    }
    if (state.view === 'call') {
      showEnded('guest.connection_lost'); // not back in time: the place is gone
    } else {
      showInvalid('guest.connection_lost'); // the link was spent by this tab before
    }
  });
  socket.on('connect_error', () => {
    if (state.view === 'choose' || state.view === 'joining') {
      errors.show('error.unreachable');
    } else if (state.view === 'call') {
      errors.show('error.disconnected');
    }
  });
  socket.on('disconnect', (reason) => {
    if (reason === 'io client disconnect' || state.view !== 'call') {
      return;
    }
    if (keptResume() && reason !== 'io server disconnect') {
      // The room keeps our place for a while: socket.io reconnects, and we resume.
      errors.show('error.disconnected');
      return;
    }
    showEnded('guest.connection_lost');
  });
  const here = (handler) => (notice) => {
    if (notice && notice.room_id === state.roomId) {
      handler(notice);
    }
  };
  socket.on(
    GUEST.on.LEFT_ROOM,
    here(({ reason }) => showEnded(reason === 'removed' ? 'guest.status.removed' : 'guest.status.left')),
  );
  socket.on(
    GUEST.on.ROOM_CLOSED,
    here(() => showEnded('guest.status.closed')),
  );
}

async function main() {
  await initI18n(ui.locale);
  ui.joinCamera.addEventListener('click', () => join(false));
  ui.joinAudio.addEventListener('click', () => join(true));
  ui.leave.addEventListener('click', leave);
  wireUnmuteButton(ui.unmute, ui.remoteVideo);

  const invite = new URLSearchParams(window.location.search).get('invite') || '';
  if (!INVITE.test(invite)) {
    showInvalid('guest.invite_missing');
    return;
  }
  state.invite = invite;
  if (keptResume()) {
    setStatus('guest.status.joining'); // a reload in the session: back in a moment
  } else {
    setView('choose');
    setStatus('guest.status.ready');
  }
  const problem = webRtcProblem();
  if (problem) {
    errors.show(problemMessage(problem), {}, `media.${problem}`);
    ui.joinCamera.disabled = true;
    ui.joinAudio.disabled = true;
  }
  connect();
}

main();
