// The camera (or microphone) back after the phone stopped it: an app sent to the
// background may lose its camera, and the local track ends. When the page is seen
// again the same camera is opened and sent on the same RTCRtpSender (replaceTrack,
// no renegotiation), with a short notice meanwhile. One that does not come back can
// be tried again when the citizen asks (retry), the same way.

import { playVideo } from './call.js';
import { FACING, anySide, facingOf, replaceSenderTrack } from './cameras.js';
import { clearMessage, setMessage } from './i18n.js';
import { MEDIA_PROBLEM, MediaProblem, classify, openMicrophone } from './media.js';
import { ensureStylesheet } from './room_tiles.js';

/** The constraints for the camera behind `track`, as read when it was live. */
export function sameCameraConstraints({ deviceId, facing }) {
  const attempts = [];
  if (deviceId) {
    attempts.push({ ...anySide(), deviceId: { exact: deviceId } });
  }
  if (facing === FACING.USER || facing === FACING.ENVIRONMENT) {
    attempts.push({ ...anySide(), facingMode: { exact: facing } }); // a phone may renumber its cameras
  }
  return attempts;
}

async function reopenCamera(source) {
  const attempts = sameCameraConstraints(source);
  if (attempts.length === 0) {
    attempts.push(anySide()); // a camera that said nothing about itself: any will do
  }
  let lastError = null;
  for (const video of attempts) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
      return stream.getVideoTracks()[0];
    } catch (err) {
      lastError = err;
    }
  }
  throw new MediaProblem(classify(lastError), lastError);
}

async function reopenMicrophone() {
  return (await openMicrophone()).getAudioTracks()[0];
}

/**
 * Watches the local tracks of the stream `stream()` returns. A track that ends
 * while the page is hidden comes back when it is visible again (at once if it
 * ended in view). Events: 'restored' (detail: {kind, track, stream}) and 'failed'
 * (detail: {kind, code, retry}: the track could not be opened again; `retry`: on
 * the citizen's own try). A track that failed can be tried again with retry().
 */
export class CameraRecovery extends EventTarget {
  /**
   * @param {{preview: HTMLVideoElement, stream: () => MediaStream|null,
   *          peerConnection: () => RTCPeerConnection|null}} options
   */
  constructor({ preview, stream, peerConnection }) {
    super();
    this.preview = preview;
    this.stream = stream;
    this.peerConnection = peerConnection;
    this.lost = new Map(); // kind -> {stream, track, deviceId, facing}
    this.failed = new Map(); // the same, for tracks that did not come back
    this.running = false;
    ensureStylesheet();
    // Over the video, so it is seen where the picture froze; a live region, so it is heard.
    this.notice = document.createElement('p');
    this.notice.className = 'camera-recovery';
    this.notice.setAttribute('role', 'status');
    this.notice.setAttribute('aria-live', 'polite');
    this.notice.dataset.testid = 'camera-recovery';
    preview.after(this.notice);
    document.addEventListener('visibilitychange', () => this.recover());
  }

  /** Watch `track` of `stream`: when it ends, it is to be opened again. */
  watch(stream, track) {
    // Read now: an ended track may forget which camera it was.
    const { deviceId } = track.getSettings ? track.getSettings() : {};
    const source = { stream, track, deviceId, facing: track.kind === 'video' ? facingOf(track) : null };
    track.addEventListener('ended', () => {
      if (this.stream() === stream && stream.getTracks().includes(track)) {
        this.lost.set(track.kind, source);
        this.recover();
      }
    });
  }

  /** Whether a track of `kind` waits to be opened again. */
  waiting(kind) {
    return this.lost.has(kind);
  }

  /** Forget what was lost (the citizen turned the camera off or the stream changed). */
  forget() {
    this.lost.clear();
    this.failed.clear();
    this.show(null);
  }

  /** Whether a track that did not come back can be tried again. */
  canRetry() {
    return this.failed.size > 0;
  }

  /**
   * Try once more to open what did not come back (the camera first), and send it
   * as recover() does. Resolves whether it is back; a failure is told by 'failed'.
   */
  async retry() {
    if (this.running) {
      return false;
    }
    const kind = ['video', 'audio'].find((k) => this.failed.has(k));
    if (!kind) {
      return false;
    }
    const source = this.failed.get(kind);
    this.running = true;
    let track;
    try {
      this.show(kind === 'video' ? 'camera.restarting' : 'camera.restarting.microphone');
      track = kind === 'video' ? await reopenCamera(source) : await reopenMicrophone();
    } catch (err) {
      const code = err instanceof MediaProblem ? err.code : MEDIA_PROBLEM.FAILED;
      this.dispatchEvent(new CustomEvent('failed', { detail: { kind, code, retry: true } }));
      return false;
    } finally {
      this.running = false;
      this.show(null);
    }
    if (this.failed.get(kind) !== source) {
      track.stop(); // forgotten meanwhile (the call ended, the camera was turned on anew)
      return false;
    }
    this.failed.delete(kind);
    await this.use(source, track);
    this.watch(source.stream, track);
    this.dispatchEvent(new CustomEvent('restored', { detail: { kind, track, stream: source.stream } }));
    return true;
  }

  async recover() {
    if (this.running || this.lost.size === 0 || document.visibilityState === 'hidden') {
      return;
    }
    this.running = true;
    try {
      // The picture first: it is what a signing citizen is seen by.
      for (const kind of ['video', 'audio']) {
        const source = this.lost.get(kind);
        if (source) {
          await this.reopen(kind, source);
        }
      }
    } finally {
      this.running = false;
      this.show(null);
    }
    if (this.lost.size > 0 && document.visibilityState !== 'hidden') {
      this.recover(); // another track ended meanwhile
    }
  }

  async reopen(kind, source) {
    this.show(kind === 'video' ? 'camera.restarting' : 'camera.restarting.microphone');
    let track;
    try {
      track = kind === 'video' ? await reopenCamera(source) : await reopenMicrophone();
    } catch (err) {
      if (this.lost.get(kind) === source) {
        this.lost.delete(kind);
        this.failed.set(kind, source);
      }
      const code = err instanceof MediaProblem ? err.code : MEDIA_PROBLEM.FAILED;
      this.dispatchEvent(new CustomEvent('failed', { detail: { kind, code, retry: false } }));
      return;
    }
    if (this.lost.get(kind) !== source || this.stream() !== source.stream) {
      track.stop(); // the citizen moved on meanwhile (hung up, another camera)
      return;
    }
    this.lost.delete(kind);
    await this.use(source, track);
    this.watch(source.stream, track);
    this.dispatchEvent(new CustomEvent('restored', { detail: { kind, track, stream: source.stream } }));
  }

  /** Put `track` in the ended track's place: in the call, in the stream, in the preview. */
  async use({ stream, track: old }, track) {
    if (old.contentHint) {
      track.contentHint = old.contentHint;
    }
    const pc = this.peerConnection();
    if (pc && pc.connectionState !== 'closed') {
      await replaceSenderTrack(pc, track.kind, track);
    }
    stream.removeTrack(old);
    stream.addTrack(track);
    if (track.kind === 'video') {
      this.preview.classList.toggle('mirrored', facingOf(track) !== FACING.ENVIRONMENT);
      // Set the stream again so that every browser shows the new track.
      this.preview.srcObject = null;
      this.preview.srcObject = stream;
      await playVideo(this.preview);
    }
  }

  show(key) {
    if (key) {
      setMessage(this.notice, key);
    } else {
      clearMessage(this.notice);
    }
  }
}
