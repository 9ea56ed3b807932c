// Front and back camera: which cameras this device has, and switching the one the
// citizen shows, before asking and during a call. In a call the new picture goes
// out on the same RTCRtpSender (replaceTrack): no renegotiation, the call goes on.

import { playVideo } from './call.js';
import { MEDIA_PROBLEM, MediaProblem, VIDEO, classify } from './media.js';

/** MediaTrackSettings.facingMode of a phone's two cameras. */
export const FACING = Object.freeze({ USER: 'user', ENVIRONMENT: 'environment' });

/** The picture media.js asks for, from whichever side (a deviceId or facingMode is added). */
export function anySide() {
  const picture = { ...VIDEO };
  delete picture.facingMode;
  return picture;
}

/** The video inputs this device lists (labels and ids only once a camera was allowed). */
export async function videoInputs() {
  const devices = navigator.mediaDevices;
  if (!devices || typeof devices.enumerateDevices !== 'function') {
    return [];
  }
  try {
    return (await devices.enumerateDevices()).filter((device) => device.kind === 'videoinput');
  } catch {
    return [];
  }
}

/** Which way the camera behind `track` faces: 'user', 'environment', or null (a webcam). */
export function facingOf(track) {
  const settings = track && typeof track.getSettings === 'function' ? track.getSettings() : {};
  return Object.values(FACING).includes(settings.facingMode) ? settings.facingMode : null;
}

/**
 * The video constraints to try, in order, for the camera after the one showing now
 * (`current`: {deviceId, facing}) among `cameras` (device ids). A phone says which
 * way its cameras face: the other side first, since a phone may list several back
 * cameras (wide, ultra-wide, tele) and the citizen means "the other side". Then, as
 * on a computer with two webcams, the next camera in the list.
 */
export function nextCameraConstraints(current, cameras) {
  const attempts = [];
  const picture = anySide();
  if (current.facing === FACING.USER || current.facing === FACING.ENVIRONMENT) {
    const other = current.facing === FACING.USER ? FACING.ENVIRONMENT : FACING.USER;
    attempts.push({ ...picture, facingMode: { exact: other } });
  }
  const ids = cameras.filter(Boolean);
  if (ids.length >= 2) {
    const at = ids.indexOf(current.deviceId);
    const next = ids[(at + 1) % ids.length]; // at -1 (not listed): the first
    if (next !== current.deviceId) {
      attempts.push({ ...picture, deviceId: { exact: next } });
    }
  }
  return attempts;
}

/**
 * Send `track` instead of the `kind` ('audio' or 'video') the peer connection `pc`
 * sends now, on every such sender, without renegotiation. Returns how many changed.
 */
export async function replaceSenderTrack(pc, kind, track) {
  let replaced = 0;
  for (const transceiver of pc.getTransceivers()) {
    const { sender, receiver } = transceiver;
    const sends = sender.track ? sender.track.kind === kind : receiver.track.kind === kind;
    if (sends && !transceiver.stopped && /send/.test(transceiver.direction)) {
      await sender.replaceTrack(track);
      replaced += 1;
    }
  }
  return replaced;
}

/**
 * Send `track` instead of the video the peer connection `pc` sends now, on every
 * video sender, without renegotiation. Returns how many senders changed.
 * (The hook call.js could offer as Call.replaceVideoTrack(track).)
 */
export async function replaceVideoTrack(pc, track) {
  return replaceSenderTrack(pc, 'video', track);
}

async function openVideo(video) {
  const stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
  return stream.getVideoTracks()[0];
}

/**
 * Open the camera after `track`'s. Most phones open one camera at a time: when the
 * other one is busy, the current one is let go and the other tried again; if none
 * opens then, the current camera is opened again. Resolves {track, stopped} (stopped:
 * the old track was let go); rejects with MediaProblem.
 */
export async function openOtherCamera(track, cameras) {
  const { deviceId } = track.getSettings(); // read now: a stopped track may forget it
  const attempts = nextCameraConstraints({ deviceId, facing: facingOf(track) }, cameras);
  if (attempts.length === 0) {
    throw new MediaProblem(MEDIA_PROBLEM.NOT_FOUND);
  }
  let lastError = null;
  for (const letGo of [false, true]) {
    if (letGo) {
      if (!lastError || classify(lastError) !== MEDIA_PROBLEM.BUSY) {
        break;
      }
      track.stop();
    }
    for (const video of attempts) {
      try {
        return { track: await openVideo(video), stopped: letGo };
      } catch (err) {
        lastError = err;
      }
    }
  }
  if (track.readyState === 'ended') {
    // Let go for nothing: take the camera we had back, so the citizen is still seen.
    const again = await openVideo({ ...anySide(), deviceId: { exact: deviceId } });
    throw Object.assign(new MediaProblem(classify(lastError), lastError), { reopened: again });
  }
  throw new MediaProblem(classify(lastError), lastError);
}

/**
 * The "switch camera" button on the video: shown while a camera is on and the
 * device has two or more; a press shows (and, in a call, sends) the other camera.
 * Events: 'switched' (detail: {track, facing}) and 'failed' (detail: {code, track}:
 * track is the camera reopened after a failed switch, or null).
 */
export class CameraSwitch extends EventTarget {
  /**
   * @param {HTMLButtonElement} button
   * @param {{preview: HTMLVideoElement, stream: () => MediaStream|null,
   *          peerConnection: () => RTCPeerConnection|null}} options
   */
  constructor(button, { preview, stream, peerConnection }) {
    super();
    this.button = button;
    this.preview = preview;
    this.stream = stream;
    this.peerConnection = peerConnection;
    this.cameras = [];
    this.busy = false;
    button.addEventListener('click', () => this.switchCamera());
    const devices = navigator.mediaDevices;
    if (devices && typeof devices.addEventListener === 'function') {
      devices.addEventListener('devicechange', () => this.refresh()); // plugged in or out
    }
  }

  currentTrack() {
    const stream = this.stream();
    const track = stream ? stream.getVideoTracks().find((each) => each.readyState === 'live') : null;
    return track || null;
  }

  /** Count the cameras again and show the button when there is a choice. */
  async refresh() {
    const track = this.currentTrack();
    this.cameras = track ? (await videoInputs()).map((device) => device.deviceId) : [];
    this.button.hidden = !(this.currentTrack() && this.cameras.length >= 2);
    this.mirror(this.currentTrack());
  }

  /** Your own picture mirrored as in a mirror, except from the back camera (the world). */
  mirror(track) {
    this.preview.classList.toggle('mirrored', facingOf(track) !== FACING.ENVIRONMENT);
  }

  async switchCamera() {
    const old = this.currentTrack();
    const stream = this.stream();
    if (this.busy || !old || !stream) {
      return;
    }
    this.busy = true; // presses meanwhile do nothing (not disabled: that would drop the focus)
    this.button.setAttribute('aria-busy', 'true');
    try {
      const { track } = await openOtherCamera(old, this.cameras);
      await this.use(stream, old, track);
      this.dispatchEvent(new CustomEvent('switched', { detail: { track, facing: facingOf(track) } }));
    } catch (err) {
      const reopened = err && err.reopened ? err.reopened : null;
      if (reopened) {
        await this.use(stream, old, reopened);
      }
      const code = err instanceof MediaProblem ? err.code : MEDIA_PROBLEM.FAILED;
      this.dispatchEvent(new CustomEvent('failed', { detail: { code, track: reopened } }));
    } finally {
      this.busy = false;
      this.button.removeAttribute('aria-busy');
      await this.refresh();
    }
  }

  /** Put `track` in `old`'s place: in the call, in the stream, in the preview. */
  async use(stream, old, track) {
    track.contentHint = old.contentHint || 'motion'; // signing: frames over detail
    const pc = this.peerConnection();
    if (pc && pc.connectionState !== 'closed') {
      await replaceVideoTrack(pc, track);
    }
    stream.removeTrack(old);
    stream.addTrack(track);
    old.stop();
    this.mirror(track);
    // Set the stream again so that every browser shows the new track.
    this.preview.srcObject = null;
    this.preview.srcObject = stream;
    await playVideo(this.preview);
  }
}
