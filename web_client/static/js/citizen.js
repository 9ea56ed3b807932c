// The citizen page: choose a service, turn on the camera (not for text chat), wait
// in line, talk and chat, hang up, say how it went. For sign language the page
// also advises on the citizen's own picture and warns when their video is jerky.
// Where video cannot work, the page offers a text chat, a booking, or (foreign
// languages) a call by voice; on a phone the camera switches front and back.
// This module wires the parts together: citizen_services.js (the choice and the hours),
// citizen_camera.js, citizen_quality.js (sign language), citizen_wait.js (the request
// and the queue) and citizen_session.js (the call, its end, feedback and resuming).

import { wireUnmuteButton } from './call.js';
import { noCalls } from './camera_help.js';
import { ChatPanel } from './chat.js';
import { CitizenCamera } from './citizen_camera.js';
import { CitizenQuality } from './citizen_quality.js';
import { CitizenServices } from './citizen_services.js';
import { CitizenSession } from './citizen_session.js';
import { CitizenWait } from './citizen_wait.js';
import { mountConsent } from './consent.js';
import { MessageArea, initI18n, onLocaleChange, setMessage } from './i18n.js';
import { webRtcProblem } from './media.js';
import { CITIZEN, DEFAULT_SERVICES, END_REASON, NAMESPACE, PARTY } from './protocol.js';

const $ = (id) => document.getElementById(id);
const ui = {
  locale: $('locale'),
  status: $('status'),
  form: $('request-form'),
  service: $('service'),
  languageField: $('language-field'),
  language: $('language'),
  cameraNote: $('camera-note'),
  serviceHours: $('service-hours'),
  startCamera: $('start-camera'),
  ask: $('ask'),
  askHint: $('ask-hint'),
  position: $('position'),
  estimate: $('estimate'),
  cancel: $('cancel'),
  hangUp: $('hang-up'),
  again: $('again'),
  endedDetail: $('ended-detail'),
  localVideo: $('local-video'),
  remoteVideo: $('remote-video'),
  unmute: $('unmute'),
  reservationNote: $('reservation-note'),
  bookWhenClosed: $('book-when-closed'),
  bookWhenLong: $('book-when-long'),
  quality: $('quality'),
  smoothness: $('smoothness'),
  feedback: $('feedback'),
  switchCamera: $('switch-camera'),
  cameraSwitched: $('camera-switched'),
  recordingNotice: $('recording-notice'),
};
const errors = new MessageArea($('error'));
const CONNECTION_ERRORS = ['error.unreachable', 'error.disconnected'];

const state = {
  view: 'choose', // choose | waiting | call | ended (mirrored in body[data-state])
  socket: null,
  connected: false,
  services: DEFAULT_SERVICES,
  timeZone: 'Asia/Seoul', // the center's, from /api/services
  localStream: null,
  caseId: null,
  cancelling: false,
  earlyEnd: null, // a request_ended that overtook the request's ack
  roomId: null, // the session in progress
  chatOnly: false, // ... is a text chat: no camera, no peer connection
  call: null,
  peerName: '',
  longWaitMinutes: 15, // from /api/services: offer booking when the wait is longer
  joinToken: null, // a reservation's join link token (from #join=), sent with the request
  askedService: null, // the service of the request or session in progress
  frameRate: null, // SendFrameRateWatch on the call's peer connection (sign language)
  endedRoomId: null, // the session just ended: its session_ended may trail the hang-up ack
  feedback: null, // the FeedbackForm of the session just ended
  mediaProblem: null, // why video cannot work here (MEDIA_PROBLEM), until a camera opens
  voiceOnly: false, // localStream is the microphone alone (foreign language without a camera)
  cameraGone: false, // in a call, the camera stopped and could not be opened again
  queueSeen: null, // {caseId, seq} of the last queue_position shown
};

// The page's parts share `page`: its elements, state and messages, and each other.
const page = { ui, state, errors, setView, setStatus, readyStatus };
page.quality = new CitizenQuality(page); // the sign-language picture advice
page.services = new CitizenServices(page); // with the wait before asking
page.chat = new ChatPanel({ root: $('chat'), self: PARTY.CITIZEN, events: CITIZEN, alert: $('chat-alert') });
page.camera = new CitizenCamera(page);
page.wait = new CitizenWait(page);
page.session = new CitizenSession(page);
const { quality, services, camera, wait, session } = page;

function setView(view) {
  state.view = view;
  document.body.dataset.state = view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
  quality.renderQuality();
}

function setStatus(key, params) {
  setMessage(ui.status, key, params);
}

function readyStatus() {
  if (!camera.cameraNeeded()) {
    return 'citizen.status.ready.chat';
  }
  // Without WebRTC no camera helps: the message under the status says what does.
  return noCalls(state.mediaProblem) ? 'citizen.status.ready.no_calls' : 'citizen.status.ready';
}

// -- socket -------------------------------------------------------------------

function connect() {
  const socket = window.io(NAMESPACE.CITIZEN);
  state.socket = socket;
  mountConsent(socket);
  socket.on('connect', async () => {
    state.connected = true;
    errors.clear(...CONNECTION_ERRORS);
    camera.renderCamera();
    if (await session.resumeSaved()) {
      return;
    }
    if (state.view === 'choose') {
      setStatus(readyStatus());
    } else if (state.view === 'waiting' || state.view === 'call') {
      // A new connection is a new citizen to the server: the request (or a session
      // that could not be taken up again) is gone.
      session.showEnded('citizen.status.ended', `reason.${END_REASON.CONNECTION_LOST}`);
    }
  });
  socket.on('connect_error', () => errors.show('error.unreachable'));
  socket.on('disconnect', (reason) => {
    state.connected = false;
    camera.renderCamera();
    if (reason !== 'io client disconnect') {
      errors.show('error.disconnected');
    }
  });
  socket.on(CITIZEN.on.QUEUE_POSITION, (notice) => wait.onQueuePosition(notice));
  socket.on(CITIZEN.on.REQUEST_ENDED, (notice) => wait.onRequestEnded(notice));
  socket.on(CITIZEN.on.SESSION_STARTED, (notice) => session.onSessionStarted(notice));
  socket.on(CITIZEN.on.SESSION_ENDED, (notice) => session.onSessionEnded(notice));
  socket.on(CITIZEN.on.PEER_RECONNECTING, (notice) => session.onPeerReconnecting(notice));
  socket.on(CITIZEN.on.PEER_RECONNECTED, (notice) => session.onPeerReconnected(notice));
  socket.on(CITIZEN.on.VIDEO_QUALITY, (notice) => quality.onVideoQuality(notice));
}

// -- start --------------------------------------------------------------------

async function main() {
  await initI18n(ui.locale);
  onLocaleChange(() => services.renderLanguageOptions());
  setView('choose');
  setStatus('citizen.status.connecting');
  camera.renderCamera();

  ui.service.addEventListener('change', () => services.onServiceChange());
  ui.language.addEventListener('change', () => {
    services.renderHours();
    services.waitNow.refresh();
  });
  ui.startCamera.addEventListener('click', () => camera.startCamera());
  ui.form.addEventListener('submit', (event) => wait.ask(event));
  ui.cancel.addEventListener('click', () => wait.cancel());
  ui.hangUp.addEventListener('click', () => session.hangUp());
  ui.again.addEventListener('click', () => session.startAgain());
  wireUnmuteButton(ui.unmute, ui.remoteVideo);
  camera.listen();

  await services.loadServices();
  await services.loadReservation();
  services.waitNow.refresh();
  setInterval(() => {
    if (state.view === 'choose') {
      services.waitNow.refresh();
    }
  }, 30_000);
  // Opening and closing times pass while the page stays open.
  setInterval(() => {
    if (state.view === 'choose') {
      services.loadServices();
    }
  }, 60_000);
  const problem = webRtcProblem();
  if (problem) {
    camera.showMediaProblem(problem); // with a text chat and a booking offered instead
    ui.startCamera.disabled = true;
    camera.renderCamera();
  }
  if (typeof window.io !== 'function') {
    errors.show('error.unreachable');
    return;
  }
  connect();
}

main();
