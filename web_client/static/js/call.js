// One call: one RTCPeerConnection from this browser to the media server, which
// forwards the other party's audio and video back on the same transceivers.

import { AckError, ERROR_CODE, emitWithAck } from './protocol.js';

const ICE_GATHERING_DEADLINE_MS = 5000;

/** Resolve when ICE gathering completes, or at the deadline with what we have. */
function iceGatheringDone(pc, deadlineMs) {
  if (pc.iceGatheringState === 'complete') {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') {
        finish();
      }
    };
    const timer = setTimeout(finish, deadlineMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * Start playing `video`. If the browser blocks sound until the page is tapped,
 * play it muted (the picture matters most) and resolve false.
 */
export async function playVideo(video) {
  try {
    await video.play();
    return true;
  } catch (err) {
    if (err.name !== 'NotAllowedError') {
      return true; // e.g. AbortError when srcObject changed: the new load plays itself
    }
  }
  video.muted = true;
  try {
    await video.play();
  } catch {
    // autoplay starts it once the page is touched
  }
  return false;
}

/** The "Turn on sound" button shown when a remote video had to start muted. */
export function wireUnmuteButton(button, video) {
  button.addEventListener('click', () => {
    video.muted = false;
    video.play().catch(() => {});
    button.hidden = true;
  });
}

/**
 * The media of a video session in one room (a text chat has none; the page
 * itself hangs up). Events: 'connected' once media flows, and 'problem'
 * (detail: {code, message}) when negotiation fails or the connection breaks.
 */
export class Call extends EventTarget {
  constructor({ socket, events, roomId, localStream, remoteVideo, unmuteButton }) {
    super();
    this.socket = socket;
    this.events = events; // the page namespace's emits ({RTC_OFFER, ...})
    this.roomId = roomId;
    this.localStream = localStream;
    this.remoteVideo = remoteVideo;
    this.unmuteButton = unmuteButton;
    this.remoteStream = new MediaStream();
    this.pc = null;
    this.closed = false;
  }

  /** Negotiate with the media server; failures arrive as a 'problem' event. */
  async connect() {
    try {
      await this.negotiate();
    } catch (err) {
      if (!this.closed) {
        const problem = err instanceof AckError ? err : new AckError(ERROR_CODE.MEDIA_FAILED, err.message);
        this.dispatchEvent(new CustomEvent('problem', { detail: problem }));
      }
    }
  }

  async negotiate() {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    window.dasanCall = { pc, roomId: this.roomId };

    pc.addEventListener('track', (event) => this.addRemoteTrack(event.track));
    pc.addEventListener('connectionstatechange', () => {
      if (this.closed) {
        return;
      }
      if (pc.connectionState === 'connected') {
        this.dispatchEvent(new Event('connected'));
      } else if (pc.connectionState === 'failed') {
        this.dispatchEvent(new CustomEvent('problem', { detail: new AckError(ERROR_CODE.CALL_FAILED, '') }));
      }
    });

    for (const track of this.localStream.getTracks()) {
      pc.addTrack(track, this.localStream);
    }
    // Without a microphone (or camera) still receive the other party's media.
    for (const kind of ['audio', 'video']) {
      if (this.localStream.getTracks().every((track) => track.kind !== kind)) {
        pc.addTransceiver(kind, { direction: 'recvonly' });
      }
    }

    await pc.setLocalDescription(await pc.createOffer());
    await iceGatheringDone(pc, ICE_GATHERING_DEADLINE_MS);
    if (this.closed) {
      return;
    }
    const answer = await emitWithAck(this.socket, this.events.RTC_OFFER, {
      room_id: this.roomId,
      type: 'offer',
      sdp: pc.localDescription.sdp,
    });
    if (!this.closed) {
      await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
    }
  }

  addRemoteTrack(track) {
    this.remoteStream.addTrack(track);
    track.addEventListener('unmute', () => this.showRemote());
    this.showRemote();
  }

  async showRemote() {
    const video = this.remoteVideo;
    if (video.srcObject !== this.remoteStream) {
      video.srcObject = this.remoteStream;
    }
    if (video.paused && !(await playVideo(video)) && this.unmuteButton && !this.closed) {
      this.unmuteButton.hidden = false;
    }
  }

  /** Close the peer connection; the camera stays on for the next call. */
  close() {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.pc) {
      this.pc.close();
    }
    for (const track of this.remoteStream.getTracks()) {
      track.stop();
    }
    this.remoteVideo.srcObject = null;
    if (this.unmuteButton) {
      this.unmuteButton.hidden = true;
    }
  }
}
