// The citizen page: choose a service, turn on the camera (not for text chat), wait
// in line, talk and chat, hang up, say how it went. For sign language the page
// also advises on the citizen's own picture and warns when their video is jerky.
// Where video cannot work, the page offers a text chat, a booking, or (foreign
// languages) a call by voice; on a phone the camera switches front and back.

import { Call, SendFrameRateWatch, playVideo, wireUnmuteButton } from './call.js';
import { CameraHelp, inCallProblemMessage, noCalls } from './camera_help.js';
import { CameraRecovery } from './camera_recovery.js';
import { CameraSwitch } from './cameras.js';
import { focusConsentPrompt, mountConsent } from './consent.js';
import { ChatPanel } from './chat.js';
import { FeedbackForm } from './feedback.js';
import {
  MessageArea,
  clearMessage,
  endonym,
  flash,
  formatMoment,
  initI18n,
  onLocaleChange,
  setMessage,
  t,
  titleCue,
} from './i18n.js';
import {
  MediaProblem,
  hasLiveTrack,
  openCamera,
  openMicrophone,
  problemMessage,
  stopStream,
  webRtcProblem,
} from './media.js';
import {
  API,
  CITIZEN,
  DEFAULT_SERVICES,
  END_REASON,
  LANGUAGE,
  NAMESPACE,
  PARTY,
  SERVICE,
  emitWithAck,
  isChatOnly,
} from './protocol.js';
import { AdviceLine } from './quality.js';
import { WaitNow } from './wait_now.js';

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
const pictureAdvice = new AdviceLine(ui.quality, ui.localVideo);
const waitNow = new WaitNow($('wait-now')); // the wait before asking
const chat = new ChatPanel({ root: $('chat'), self: PARTY.CITIZEN, events: CITIZEN, alert: $('chat-alert') });
const cameraSwitch = new CameraSwitch(ui.switchCamera, {
  preview: ui.localVideo,
  stream: () => state.localStream,
  peerConnection: () => (state.call ? state.call.pc : null),
});
const cameraHelp = new CameraHelp($('camera-help'), {
  onChat: chatInstead,
  onVoice: voiceOnly,
  onRetry: retryCamera,
  bookingHref: () => bookingHref(),
  callPlace: document.querySelector('.session'),
});
// The camera back after the phone stopped it in the background.
const cameraRecovery = new CameraRecovery({
  preview: ui.localVideo,
  stream: () => state.localStream,
  peerConnection: () => (state.call ? state.call.pc : null),
});
const CONNECTION_ERRORS = ['error.unreachable', 'error.disconnected'];
// The session's resume token: a reload (or a dropped connection) takes the session up again.
const RESUME_KEY = 'dasan:resume_token';

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

function setView(view) {
  state.view = view;
  document.body.dataset.state = view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
  renderQuality();
}

function setStatus(key, params) {
  setMessage(ui.status, key, params);
}

function readyStatus() {
  if (!cameraNeeded()) {
    return 'citizen.status.ready.chat';
  }
  // Without WebRTC no camera helps: the message under the status says what does.
  return noCalls(state.mediaProblem) ? 'citizen.status.ready.no_calls' : 'citizen.status.ready';
}

// -- services -----------------------------------------------------------------

function selectedService() {
  return state.services.find((entry) => entry.service === ui.service.value) || state.services[0];
}

function renderServiceOptions() {
  const chosen = ui.service.value;
  ui.service.replaceChildren(
    ...state.services.map(({ service }) => {
      const option = document.createElement('option');
      option.value = service;
      setMessage(option, `service.${service}`);
      return option;
    }),
  );
  if (state.services.some((entry) => entry.service === chosen)) {
    ui.service.value = chosen;
  }
  renderLanguageOptions();
}

/** Each language in itself, then in the page's language: "中文 (Chinese)". */
function renderLanguageOptions() {
  const { service, languages } = selectedService();
  const chosen = ui.language.value;
  ui.language.replaceChildren(
    ...languages.map((code) => {
      const option = document.createElement('option');
      option.value = code;
      if (code !== LANGUAGE.KSL) {
        option.lang = code; // the other codes are BCP 47 tags; KSL's would be "kvk"
      }
      const name = t(`language.${code}`);
      option.textContent = name === endonym(code) ? name : t('language.option', { endonym: endonym(code), name });
      return option;
    }),
  );
  if (languages.includes(chosen)) {
    ui.language.value = chosen;
  }
  // A service offered in one language (sign language: KSL) needs no choice.
  ui.languageField.hidden = languages.length < 2;
  setMessage(ui.ask, `citizen.ask.${service}`);
  renderHours();
  renderCamera();
}

function onServiceChange() {
  renderLanguageOptions();
  waitNow.refresh();
  if (state.view === 'choose' && state.connected) {
    setStatus(readyStatus());
  }
}

/** Open or closed, and until or from when, before the citizen asks. */
function renderHours() {
  const entry = selectedService();
  const { languages } = entry;
  waitNow.show(entry.service, languages.length < 2 ? languages[0] : ui.language.value, entry.open);
  if (typeof entry.open !== 'boolean') {
    clearMessage(ui.serviceHours);
    return;
  }
  const when = (iso) => formatMoment(iso, state.timeZone);
  let text;
  if (entry.open) {
    text = entry.closes_at ? t('hours.open_until', { when: when(entry.closes_at) }) : t('hours.open');
  } else {
    text = entry.next_open ? t('hours.closed', { when: when(entry.next_open) }) : t('hours.closed_unknown');
  }
  if (entry.note) {
    text = `${text} ${t('hours.note', { note: entry.note })}`;
  }
  ui.serviceHours.textContent = text;
  ui.serviceHours.dataset.open = String(entry.open);
  // Closed: a reservation is the way in (not for a citizen already holding one).
  showBookingLink(ui.bookWhenClosed, !entry.open && !state.joinToken);
}

/** The booking page for the chosen service (and language). */
function bookingHref() {
  const { service, languages } = selectedService();
  const query = new URLSearchParams({ service });
  if (languages.length > 1 && ui.language.value) {
    query.set('language', ui.language.value);
  }
  return `/book?${query}`;
}

/** Point a "book a time" link at the chosen service and show or hide it. */
function showBookingLink(container, visible) {
  container.querySelector('a').href = bookingHref();
  container.hidden = !visible;
}

async function loadServices() {
  try {
    const response = await fetch(API.SERVICES, { headers: { Accept: 'application/json' } });
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    }
    const body = await response.json();
    if (Array.isArray(body.services) && body.services.length > 0) {
      state.services = body.services;
    }
    if (typeof body.time_zone === 'string') {
      state.timeZone = body.time_zone;
    }
    if (typeof body.long_wait_minutes === 'number') {
      state.longWaitMinutes = body.long_wait_minutes;
    }
  } catch {
    errors.show('error.services_unavailable');
  }
  renderServiceOptions();
}

// -- camera -------------------------------------------------------------------

/** Every service but text chat is a video call. */
function cameraNeeded() {
  return !isChatOnly(selectedService().service);
}

/** The service chosen, or asked for and in session. */
function currentService() {
  return state.view === 'choose' ? selectedService().service : state.askedService;
}

/** Voice without video: only a foreign-language session (sign language is seen). */
function voiceCounts() {
  return state.voiceOnly && currentService() === SERVICE.FOREIGN_LANGUAGE && hasLiveTrack(state.localStream, 'audio');
}

function renderCamera() {
  const video = hasLiveTrack(state.localStream, 'video');
  const voice = !video && voiceCounts();
  const on = video || voice;
  const needed = cameraNeeded();
  document.body.dataset.camera = video ? 'on' : voice ? 'voice' : 'off';
  // Without WebRTC no call can start here: only the other ways are left to show.
  const impossible = needed && noCalls(state.mediaProblem);
  ui.ask.disabled = (needed && !on) || !state.connected;
  ui.ask.hidden = impossible;
  ui.askHint.hidden = on || !needed || impossible;
  ui.startCamera.hidden = on || !needed || impossible;
  if (!needed) {
    setMessage(ui.cameraNote, 'citizen.chat_note');
  } else if (video) {
    setMessage(ui.cameraNote, 'camera.on');
  } else if (voice) {
    setMessage(ui.cameraNote, 'camera_help.voice.on');
  } else {
    clearMessage(ui.cameraNote);
  }
  setMessage(ui.recordingNotice, needed ? 'citizen.recording_notice' : 'citizen.recording_notice.chat');
  const gone = state.view === 'call' && state.cameraGone && !state.chatOnly;
  cameraHelp.render(state.mediaProblem, gone ? state.askedService : selectedService().service, {
    reserved: Boolean(state.joinToken),
    show: (state.view === 'choose' && !on) || gone,
    inCall: gone,
  });
  cameraSwitch.refresh();
  renderQuality();
}

/** Show why video cannot work here, in words for this browser or app. */
function showMediaProblem(code) {
  state.mediaProblem = code;
  const key = problemMessage(code);
  // In a call there is no "Turn on camera" button to press: "Try the camera again" is.
  errors.show(state.view === 'call' ? inCallProblemMessage(key) : key, {}, `media.${code}`);
}

// -- sign language: the citizen's own picture -------------------------------------

/** Whether the service chosen, asked for or in session is sign-language video. */
function signLanguageVideo() {
  if (state.view === 'choose') {
    return selectedService().service === SERVICE.SIGN_LANGUAGE;
  }
  return (state.view === 'waiting' || state.view === 'call') && state.askedService === SERVICE.SIGN_LANGUAGE;
}

/**
 * Advice on the light, contrast and focus of the local preview, from the moment
 * the camera is on until the session ends (or the camera stops, or another
 * service is chosen).
 */
function renderQuality() {
  pictureAdvice.run(hasLiveTrack(state.localStream, 'video') && signLanguageVideo());
}

/** Warn (without blocking anything) while the video sent is too jerky to sign. */
function watchFrameRate(call) {
  if (state.frameRate || !call.pc || state.askedService !== SERVICE.SIGN_LANGUAGE) {
    return;
  }
  const watch = new SendFrameRateWatch(call.pc);
  watch.addEventListener('change', ({ detail }) => {
    if (detail.low) {
      setMessage(ui.smoothness, 'video.framerate_low');
      ui.smoothness.hidden = false;
    } else {
      ui.smoothness.hidden = true;
      clearMessage(ui.smoothness);
    }
  });
  state.frameRate = watch;
  watch.start();
}

function stopWatchingFrameRate() {
  if (state.frameRate) {
    state.frameRate.stop();
    state.frameRate = null;
  }
  ui.smoothness.hidden = true;
  clearMessage(ui.smoothness);
}

/**
 * When `track` ends by itself (the phone stopped the camera in the background, or
 * it was unplugged), open it again once the page is seen (camera_recovery.js).
 */
function watchTrack(stream, track) {
  cameraRecovery.watch(stream, track);
}

function onTrackRestored({ detail }) {
  const retried = state.cameraGone;
  if (retried && state.view === 'call' && !state.localStream) {
    state.localStream = detail.stream; // the stream cameraLost() let go, its camera back
  }
  state.cameraGone = false;
  if (retried && state.mediaProblem) {
    state.mediaProblem = null;
    errors.clear();
  }
  if (retried && state.call) {
    watchFrameRate(state.call); // cameraLost() stopped watching what is sent
  }
  renderCamera();
}

/** "Try the camera again" in a call: the same camera, on the same sender. */
async function retryCamera() {
  const hadFocus = document.activeElement === cameraHelp.retry;
  const back = await cameraRecovery.retry();
  if (back && hadFocus) {
    chat.focus(); // the button is gone; the call's chat is where the citizen goes on
  }
}

/** The camera (or the microphone alone) did not come back: say why, offer the chat. */
function onTrackNotRestored({ detail }) {
  const stream = state.localStream;
  if (hasLiveTrack(stream, 'video')) {
    return; // only the microphone is gone: the citizen is still seen
  }
  if (!voiceCounts()) {
    cameraLost(stream);
  }
  if (detail.kind === 'video' || !hasLiveTrack(stream, 'audio')) {
    state.cameraGone = state.view === 'call';
    showMediaProblem(detail.code);
    renderCamera();
    const first = detail.retry && !cameraHelp.retry.hidden ? cameraHelp.retry : cameraHelp.firstOption();
    if (first) {
      first.focus();
    }
  }
}

async function startCamera() {
  errors.clear();
  ui.startCamera.disabled = true;
  setMessage(ui.cameraNote, 'camera.starting');
  try {
    const stream = await openCamera();
    stopStream(state.localStream); // the microphone alone, if voice was chosen before
    cameraRecovery.forget();
    state.localStream = stream;
    state.voiceOnly = false;
    state.mediaProblem = null;
    state.cameraGone = false;
    ui.localVideo.srcObject = stream;
    await playVideo(ui.localVideo);
    for (const track of stream.getVideoTracks()) {
      watchTrack(stream, track); // unplugged
    }
  } catch (err) {
    showMediaProblem(err instanceof MediaProblem ? err.code : 'failed');
  } finally {
    ui.startCamera.disabled = false;
    renderCamera();
  }
  if (state.localStream && !ui.ask.disabled) {
    // The camera button is gone: the next step takes the focus (and comes into view).
    ui.ask.focus();
  }
}

function cameraLost(stream) {
  if (state.localStream === stream) {
    state.localStream = null;
    state.voiceOnly = false;
    ui.localVideo.srcObject = null;
    stopWatchingFrameRate(); // no camera: nothing is sent, so nothing is jerky
    renderCamera();
  }
}

/** Foreign language without a camera: the microphone alone. Resolves whether it opened. */
async function openVoice() {
  try {
    const stream = await openMicrophone();
    state.localStream = stream;
    state.voiceOnly = true;
    for (const track of stream.getAudioTracks()) {
      watchTrack(stream, track);
    }
    return true;
  } catch {
    errors.show('camera_help.voice.failed');
    return false;
  }
}

/** "Continue by voice only" (foreign language, no camera). */
async function voiceOnly() {
  errors.clear();
  const opened = await openVoice();
  renderCamera();
  if (opened && !ui.ask.disabled) {
    ui.ask.focus();
  }
}

/** "Write to a counselor instead": the text chat service, asked for at once. */
function chatInstead() {
  errors.clear();
  if (state.view === 'call') {
    chat.focus(); // the camera went during the call: its chat is the way to write
    return;
  }
  ui.service.value = SERVICE.CHAT;
  onServiceChange();
  if (ui.ask.disabled) {
    ui.ask.focus(); // not connected yet: the citizen asks once it is
  } else {
    ui.form.requestSubmit();
  }
}

function onCameraSwitched({ detail }) {
  watchTrack(state.localStream, detail.track);
  const key = detail.facing ? `camera.switched.${detail.facing}` : 'camera.switched';
  setMessage(ui.cameraSwitched, key);
}

function onCameraSwitchFailed({ detail }) {
  if (detail.track) {
    watchTrack(state.localStream, detail.track);
  } else if (!hasLiveTrack(state.localStream, 'video')) {
    cameraLost(state.localStream);
  }
  errors.show('camera.switch_failed');
}

// -- request and queue ----------------------------------------------------------

function renderPosition(position, estimatedWaitSeconds) {
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
  showBookingLink(ui.bookWhenLong, long && !state.joinToken);
}

async function ask(event) {
  event.preventDefault();
  if (!state.localStream && cameraNeeded()) {
    errors.show('citizen.ask.hint');
    return;
  }
  errors.clear();
  const { service, languages } = selectedService();
  const language = languages.length < 2 ? null : ui.language.value;
  ui.ask.disabled = true;
  state.earlyEnd = null;
  setStatus('citizen.status.asking');
  try {
    const payload = { service, language };
    if (state.joinToken) {
      payload.join_token = state.joinToken; // the server takes service and language from the reservation
    }
    const ack = await emitWithAck(state.socket, CITIZEN.emit.REQUEST, payload);
    if (state.earlyEnd && state.earlyEnd.case_id === ack.case_id) {
      showEnded('citizen.status.request_ended', `reason.${state.earlyEnd.reason}`);
    } else if (state.view === 'choose') {
      state.caseId = ack.case_id;
      state.askedService = service;
      setView('waiting');
      setStatus(`citizen.status.waiting.${service}`);
      renderPosition(ack.position, ack.estimated_wait_seconds);
      ui.cancel.focus();
    }
  } catch (err) {
    if (err.nextOpen) {
      err.params = { when: { moment: err.nextOpen, timeZone: state.timeZone } }; // follows a language switch
    }
    errors.showError(err);
    setStatus(readyStatus());
    loadServices(); // the hours may have changed since the page loaded
  } finally {
    renderCamera();
  }
}

async function cancel() {
  errors.clear();
  ui.cancel.disabled = true;
  state.cancelling = true;
  try {
    await emitWithAck(state.socket, CITIZEN.emit.CANCEL, {});
    if (state.view === 'waiting') {
      state.caseId = null;
      state.askedService = null;
      setView('choose');
      setStatus('citizen.status.cancelled');
    }
  } catch (err) {
    errors.showError(err);
  } finally {
    state.cancelling = false;
    ui.cancel.disabled = false;
  }
}

function onQueuePosition({ case_id: caseId, position, estimated_wait_seconds: estimate, seq }) {
  if (state.view !== 'waiting' || caseId !== state.caseId) {
    return;
  }
  const last = state.queueSeen;
  if (last && last.caseId === caseId && seq <= last.seq) {
    return; // overtaken by a newer notice (they are sent after the server's lock)
  }
  state.queueSeen = { caseId, seq };
  renderPosition(position, estimate);
}

function onRequestEnded(notice) {
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
  showEnded('citizen.status.request_ended', `reason.${reason}`);
}

// -- the call -------------------------------------------------------------------

function onSessionStarted(notice) {
  endCall();
  errors.clear();
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
  setView('call');
  chat.start({ socket: state.socket, roomId: notice.room_id });
  // Someone answered: seen on the page, and in the tab strip when the page is hidden.
  titleCue('citizen.title_alert.joined', { name });
  flash(ui.status);
  if (state.chatOnly) {
    setStatus('citizen.status.in_chat', { name });
    chat.focus();
    return;
  }
  setStatus('citizen.status.joining', { name });
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
    setStatus('citizen.status.in_call', { name });
    watchFrameRate(call);
  });
  call.addEventListener('problem', ({ detail }) => errors.showError(detail));
  call.connect();
}

function inSessionStatus() {
  return state.chatOnly ? 'citizen.status.in_chat' : 'citizen.status.in_call';
}

function onPeerReconnecting({ room_id: roomId, deadline }) {
  if (state.view === 'call' && state.roomId === roomId) {
    const seconds = Math.max(0, Math.round((Date.parse(deadline) - Date.now()) / 1000));
    setStatus('citizen.status.peer_reconnecting', { name: state.peerName, seconds });
  }
}

function onPeerReconnected({ room_id: roomId }) {
  if (state.view === 'call' && state.roomId === roomId) {
    setStatus(inSessionStatus(), { name: state.peerName });
  }
}

function endCall() {
  stopWatchingFrameRate();
  if (state.call) {
    state.call.close();
    state.call = null;
  }
}

function onSessionEnded(notice) {
  const { room_id: roomId, ended_by: endedBy, feedback_token: feedbackToken } = notice;
  if (state.view === 'call' && state.roomId === roomId) {
    showEnded('citizen.status.ended', `citizen.ended_by.${endedBy}`);
  }
  // Also when the citizen's own hang-up ack came first and the page already shows the end.
  if (state.view === 'ended' && state.endedRoomId === roomId && feedbackToken) {
    askForFeedback(feedbackToken);
  }
}

/** The satisfaction question (1-5 and a comment), once per session, in the ended view. */
function askForFeedback(token) {
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

function dropFeedback() {
  if (state.feedback) {
    state.feedback.destroy();
    state.feedback = null;
  }
}

async function hangUp() {
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
    showEnded('citizen.status.ended', `citizen.ended_by.${PARTY.CITIZEN}`);
  }
}

/** Take the session up again after a reload or a dropped connection; false if it is over. */
async function resumeSession(token) {
  let notice;
  try {
    notice = (await emitWithAck(state.socket, CITIZEN.emit.RESUME, { resume_token: token })).session;
  } catch {
    sessionStorage.removeItem(RESUME_KEY); // ended while we were away
    return false;
  }
  if (!isChatOnly(notice.service) && !state.localStream) {
    await startCamera(); // allowed before the reload, so no question is asked again
    if (!state.localStream && notice.service === SERVICE.FOREIGN_LANGUAGE) {
      await openVoice(); // the session went on by voice before the reload
    }
  }
  onSessionStarted(notice);
  return true;
}

function showEnded(statusKey, detailKey) {
  sessionStorage.removeItem(RESUME_KEY);
  endCall();
  chat.close(); // the transcript stays readable
  dropFeedback();
  state.endedRoomId = state.roomId;
  state.caseId = null;
  state.roomId = null;
  state.askedService = null;
  state.cameraGone = false;
  setView('ended');
  renderCamera();
  setStatus(statusKey);
  setMessage(ui.endedDetail, detailKey);
  titleCue('citizen.title_alert.ended');
  flash(ui.status);
  ui.again.focus();
}

function startAgain() {
  errors.clear();
  dropFeedback();
  state.endedRoomId = null;
  chat.reset();
  clearMessage(ui.endedDetail);
  document.body.dataset.channel = 'video';
  setView('choose');
  setStatus(state.connected ? readyStatus() : 'citizen.status.connecting');
  renderCamera();
}

// -- socket -------------------------------------------------------------------

function connect() {
  const socket = window.io(NAMESPACE.CITIZEN);
  state.socket = socket;
  mountConsent(socket);
  socket.on('connect', async () => {
    state.connected = true;
    errors.clear(...CONNECTION_ERRORS);
    renderCamera();
    const token = sessionStorage.getItem(RESUME_KEY);
    if (token && (state.view === 'choose' || state.view === 'call') && (await resumeSession(token))) {
      return;
    }
    if (state.view === 'choose') {
      setStatus(readyStatus());
    } else if (state.view === 'waiting' || state.view === 'call') {
      // A new connection is a new citizen to the server: the request (or a session
      // that could not be taken up again) is gone.
      showEnded('citizen.status.ended', `reason.${END_REASON.CONNECTION_LOST}`);
    }
  });
  socket.on('connect_error', () => errors.show('error.unreachable'));
  socket.on('disconnect', (reason) => {
    state.connected = false;
    renderCamera();
    if (reason !== 'io client disconnect') {
      errors.show('error.disconnected');
    }
  });
  socket.on(CITIZEN.on.QUEUE_POSITION, onQueuePosition);
  socket.on(CITIZEN.on.REQUEST_ENDED, onRequestEnded);
  socket.on(CITIZEN.on.SESSION_STARTED, onSessionStarted);
  socket.on(CITIZEN.on.SESSION_ENDED, onSessionEnded);
  socket.on(CITIZEN.on.PEER_RECONNECTING, onPeerReconnecting);
  socket.on(CITIZEN.on.PEER_RECONNECTED, onPeerReconnected);
  socket.on(CITIZEN.on.VIDEO_QUALITY, ({ room_id: roomId, advice }) => {
    if (state.roomId === roomId) {
      pictureAdvice.setServerAdvice(advice);
    }
  });
}

// -- a reservation's join link (/#join=<token>) -------------------------------------

/** Read the join token from the address, take it out of the address bar, show the slot. */
async function loadReservation() {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('join');
  if (!token) {
    return;
  }
  // The token is a key to the reservation: keep it out of history and screenshots.
  history.replaceState(null, '', window.location.pathname + window.location.search);
  try {
    const response = await fetch(API.JOIN, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ token }),
    });
    const body = await response.json();
    if (!response.ok) {
      errors.show(`error.${body.error && body.error.code ? body.error.code : 'join_token_unknown'}`);
      return;
    }
    state.joinToken = token;
    ui.service.value = body.service;
    onServiceChange();
    if (!ui.languageField.hidden) {
      ui.language.value = body.language;
    }
    ui.service.disabled = true; // the reservation fixes the service and language
    ui.language.disabled = true;
    const moment = (iso) => ({ moment: iso, timeZone: state.timeZone });
    setMessage(ui.reservationNote, body.can_join_now ? 'citizen.reservation.now' : 'citizen.reservation.later', {
      start: moment(body.start),
      opens: moment(body.join_opens_at),
    });
    ui.reservationNote.hidden = false;
    renderHours();
  } catch {
    errors.show('error.unreachable');
  }
}

// -- start --------------------------------------------------------------------

async function main() {
  await initI18n(ui.locale);
  onLocaleChange(renderLanguageOptions);
  setView('choose');
  setStatus('citizen.status.connecting');
  renderCamera();

  ui.service.addEventListener('change', onServiceChange);
  ui.language.addEventListener('change', () => {
    renderHours();
    waitNow.refresh();
  });
  ui.startCamera.addEventListener('click', startCamera);
  ui.form.addEventListener('submit', ask);
  ui.cancel.addEventListener('click', cancel);
  ui.hangUp.addEventListener('click', hangUp);
  ui.again.addEventListener('click', startAgain);
  wireUnmuteButton(ui.unmute, ui.remoteVideo);
  cameraSwitch.addEventListener('switched', onCameraSwitched);
  cameraSwitch.addEventListener('failed', onCameraSwitchFailed);
  cameraRecovery.addEventListener('restored', onTrackRestored);
  cameraRecovery.addEventListener('failed', onTrackNotRestored);

  await loadServices();
  await loadReservation();
  waitNow.refresh();
  setInterval(() => {
    if (state.view === 'choose') {
      waitNow.refresh();
    }
  }, 30_000);
  // Opening and closing times pass while the page stays open.
  setInterval(() => {
    if (state.view === 'choose') {
      loadServices();
    }
  }, 60_000);
  const problem = webRtcProblem();
  if (problem) {
    showMediaProblem(problem); // with a text chat and a booking offered instead
    ui.startCamera.disabled = true;
    renderCamera();
  }
  if (typeof window.io !== 'function') {
    errors.show('error.unreachable');
    return;
  }
  connect();
}

main();
