// The citizen page's camera: turning it on (or the microphone alone), the help
// panel when video cannot work, switching front and back, and getting it back.

import { playVideo } from './call.js';
import { CameraHelp, inCallProblemMessage, noCalls } from './camera_help.js';
import { CameraRecovery } from './camera_recovery.js';
import { CameraSwitch } from './cameras.js';
import { clearMessage, setMessage } from './i18n.js';
import { MediaProblem, hasLiveTrack, openCamera, openMicrophone, problemMessage, stopStream } from './media.js';
import { SERVICE, isChatOnly } from './protocol.js';

export class CitizenCamera {
  /** `page`: the citizen page's {ui, state, errors, chat, services, quality}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
    const { ui, state } = page;
    this.cameraSwitch = new CameraSwitch(ui.switchCamera, {
      preview: ui.localVideo,
      stream: () => state.localStream,
      peerConnection: () => (state.call ? state.call.pc : null),
    });
    this.cameraHelp = new CameraHelp(document.getElementById('camera-help'), {
      onChat: () => this.chatInstead(),
      onVoice: () => this.voiceOnly(),
      onRetry: () => this.retryCamera(),
      bookingHref: () => page.services.bookingHref(),
      callPlace: document.querySelector('.session'),
    });
    // The camera back after the phone stopped it in the background.
    this.cameraRecovery = new CameraRecovery({
      preview: ui.localVideo,
      stream: () => state.localStream,
      peerConnection: () => (state.call ? state.call.pc : null),
    });
  }

  /** Listen to the camera switch and the camera's recovery. */
  listen() {
    this.cameraSwitch.addEventListener('switched', (event) => this.onCameraSwitched(event));
    this.cameraSwitch.addEventListener('failed', (event) => this.onCameraSwitchFailed(event));
    this.cameraRecovery.addEventListener('restored', (event) => this.onTrackRestored(event));
    this.cameraRecovery.addEventListener('failed', (event) => this.onTrackNotRestored(event));
  }

  /** Every service but text chat is a video call. */
  cameraNeeded() {
    return !isChatOnly(this.page.services.selectedService().service);
  }

  /** The service chosen, or asked for and in session. */
  currentService() {
    return this.state.view === 'choose' ? this.page.services.selectedService().service : this.state.askedService;
  }

  /** Voice without video: only a foreign-language session (sign language is seen). */
  voiceCounts() {
    const { state } = this;
    return (
      state.voiceOnly && this.currentService() === SERVICE.FOREIGN_LANGUAGE && hasLiveTrack(state.localStream, 'audio')
    );
  }

  renderCamera() {
    const { ui, state } = this;
    const video = hasLiveTrack(state.localStream, 'video');
    const voice = !video && this.voiceCounts();
    const on = video || voice;
    const needed = this.cameraNeeded();
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
    const service = gone ? state.askedService : this.page.services.selectedService().service;
    this.cameraHelp.render(state.mediaProblem, service, {
      reserved: Boolean(state.joinToken),
      show: (state.view === 'choose' && !on) || gone,
      inCall: gone,
    });
    this.cameraSwitch.refresh();
    this.page.quality.renderQuality();
  }

  /** Show why video cannot work here, in words for this browser or app. */
  showMediaProblem(code) {
    this.state.mediaProblem = code;
    const key = problemMessage(code);
    // In a call there is no "Turn on camera" button to press: "Try the camera again" is.
    this.errors.show(this.state.view === 'call' ? inCallProblemMessage(key) : key, {}, `media.${code}`);
  }

  /**
   * When `track` ends by itself (the phone stopped the camera in the background, or
   * it was unplugged), open it again once the page is seen (camera_recovery.js).
   */
  watchTrack(stream, track) {
    this.cameraRecovery.watch(stream, track);
  }

  onTrackRestored({ detail }) {
    const { state } = this;
    const retried = state.cameraGone;
    if (retried && state.view === 'call' && !state.localStream) {
      state.localStream = detail.stream; // the stream cameraLost() let go, its camera back
    }
    state.cameraGone = false;
    if (retried && state.mediaProblem) {
      state.mediaProblem = null;
      this.errors.clear();
    }
    if (retried && state.call) {
      this.page.quality.watchFrameRate(state.call); // cameraLost() stopped watching what is sent
    }
    this.renderCamera();
  }

  /** "Try the camera again" in a call: the same camera, on the same sender. */
  async retryCamera() {
    const hadFocus = document.activeElement === this.cameraHelp.retry;
    const back = await this.cameraRecovery.retry();
    if (back && hadFocus) {
      this.page.chat.focus(); // the button is gone; the call's chat is where the citizen goes on
    }
  }

  /** The camera (or the microphone alone) did not come back: say why, offer the chat. */
  onTrackNotRestored({ detail }) {
    const { state, cameraHelp } = this;
    const stream = state.localStream;
    if (hasLiveTrack(stream, 'video')) {
      return; // only the microphone is gone: the citizen is still seen
    }
    if (!this.voiceCounts()) {
      this.cameraLost(stream);
    }
    if (detail.kind === 'video' || !hasLiveTrack(stream, 'audio')) {
      state.cameraGone = state.view === 'call';
      this.showMediaProblem(detail.code);
      this.renderCamera();
      const first = detail.retry && !cameraHelp.retry.hidden ? cameraHelp.retry : cameraHelp.firstOption();
      if (first) {
        first.focus();
      }
    }
  }

  async startCamera() {
    const { ui, state } = this;
    this.errors.clear();
    ui.startCamera.disabled = true;
    setMessage(ui.cameraNote, 'camera.starting');
    try {
      const stream = await openCamera();
      stopStream(state.localStream); // the microphone alone, if voice was chosen before
      this.cameraRecovery.forget();
      state.localStream = stream;
      state.voiceOnly = false;
      state.mediaProblem = null;
      state.cameraGone = false;
      ui.localVideo.srcObject = stream;
      await playVideo(ui.localVideo);
      for (const track of stream.getVideoTracks()) {
        this.watchTrack(stream, track); // unplugged
      }
    } catch (err) {
      this.showMediaProblem(err instanceof MediaProblem ? err.code : 'failed');
    } finally {
      ui.startCamera.disabled = false;
      this.renderCamera();
    }
    if (state.localStream && !ui.ask.disabled) {
      // The camera button is gone: the next step takes the focus (and comes into view).
      ui.ask.focus();
    }
  }

  cameraLost(stream) {
    const { ui, state } = this;
    if (state.localStream === stream) {
      state.localStream = null;
      state.voiceOnly = false;
      ui.localVideo.srcObject = null;
      this.page.quality.stopWatchingFrameRate(); // no camera: nothing is sent, so nothing is jerky
      this.renderCamera();
    }
  }

  /** Foreign language without a camera: the microphone alone. Resolves whether it opened. */
  async openVoice() {
    const { state } = this;
    try {
      const stream = await openMicrophone();
      state.localStream = stream;
      state.voiceOnly = true;
      for (const track of stream.getAudioTracks()) {
        this.watchTrack(stream, track);
      }
      return true;
    } catch {
      this.errors.show('camera_help.voice.failed');
      return false;
    }
  }

  /** "Continue by voice only" (foreign language, no camera). */
  async voiceOnly() {
    this.errors.clear();
    const opened = await this.openVoice();
    this.renderCamera();
    if (opened && !this.ui.ask.disabled) {
      this.ui.ask.focus();
    }
  }

  /** "Write to a counselor instead": the text chat service, asked for at once. */
  chatInstead() {
    const { ui } = this;
    this.errors.clear();
    if (this.state.view === 'call') {
      this.page.chat.focus(); // the camera went during the call: its chat is the way to write
      return;
    }
    ui.service.value = SERVICE.CHAT;
    this.page.services.onServiceChange();
    if (ui.ask.disabled) {
      ui.ask.focus(); // not connected yet: the citizen asks once it is
    } else {
      ui.form.requestSubmit();
    }
  }

  onCameraSwitched({ detail }) {
    this.watchTrack(this.state.localStream, detail.track);
    const key = detail.facing ? `camera.switched.${detail.facing}` : 'camera.switched';
    setMessage(this.ui.cameraSwitched, key);
  }

  onCameraSwitchFailed({ detail }) {
    const { state } = this;
    if (detail.track) {
      this.watchTrack(state.localStream, detail.track);
    } else if (!hasLiveTrack(state.localStream, 'video')) {
      this.cameraLost(state.localStream);
    }
    this.errors.show('camera.switch_failed');
  }
}
