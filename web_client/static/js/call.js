// One call: one RTCPeerConnection from this browser to the media server, which
// forwards everyone else's audio and video back on fixed receive slots.

import { preferFrameRate, withVideoBitrateFloor } from './call_sending.js';
import { AckError, ERROR_CODE, ROOM, emitWithAck } from './protocol.js';
import { RoomTiles } from './room_tiles.js';

// How this browser sends video lives in call_sending.js; its names stay importable from here.
export { SendFrameRateWatch, VIDEO_SENDING, preferFrameRate, withVideoBitrateFloor } from './call_sending.js';

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
 * Receive slots per kind in one peer connection. A room has four publishers at
 * most, so three others (a supervisor, who publishes nothing, sees four); own
 * sendrecv lines count, as the server forwards someone into them too.
 */
export const SLOTS_PER_KIND = 4;

/**
 * The media of a video session in one room (a text chat has none; the page
 * itself hangs up): one RTCPeerConnection, offered once with this browser's own
 * audio and video and receive slots for everyone else; the server's `roster`
 * says which slot carries whom, and the tiles follow it without renegotiating.
 * Events: 'connected' once media flows, 'roster' (detail: the notice), and
 * 'problem' (detail: {code, message}) when negotiation fails or the connection breaks.
 */
export class Call extends EventTarget {
  constructor({ socket, events, roomId, localStream, remoteVideo, unmuteButton, roster = null }) {
    super();
    this.socket = socket;
    this.events = events; // the page namespace's emits ({RTC_OFFER, ...})
    this.roomId = roomId;
    this.localStream = localStream;
    this.remoteVideo = remoteVideo;
    this.unmuteButton = unmuteButton;
    this.pc = null;
    this.closed = false;
    this.tracks = new Map(); // mid of a slot -> the remote track it carries
    this.firstMids = { audio: null, video: null }; // a call of two, before any roster
    this.roster = roster && roster.room_id === roomId ? roster : null;
    this.tiles = new RoomTiles({
      large: remoteVideo,
      play: playVideo,
      onMuted: () => {
        if (this.unmuteButton && !this.closed) {
          this.unmuteButton.hidden = false;
        }
      },
    });
    this.onRoster = (notice) => {
      if (notice && notice.room_id === this.roomId && !this.closed) {
        this.setRoster(notice);
      }
    };
    socket.on(ROOM.on.ROSTER, this.onRoster);
    this.onUnmute = () => {
      for (const media of this.tiles.mediaElements()) {
        media.muted = false;
        media.play().catch(() => {});
      }
    };
    if (unmuteButton) {
      unmuteButton.addEventListener('click', this.onUnmute);
    }
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
    // One transport for every slot: nothing to gather or check per m-line.
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    this.pc = pc;
    window.dasanCall = { pc, roomId: this.roomId, call: this };

    pc.addEventListener('track', (event) => this.addRemoteTrack(event));
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

    const videoSenders = [];
    for (const track of this.localStream.getTracks()) {
      const sender = pc.addTrack(track, this.localStream);
      if (track.kind === 'video') {
        // A hint for browsers that ignore degradationPreference: frames over detail.
        track.contentHint = 'motion';
        videoSenders.push(sender);
      }
    }
    const tuned = await Promise.all(videoSenders.map(preferFrameRate));
    // Receive slots for the others: also without a microphone or camera of our own.
    for (const kind of ['audio', 'video']) {
      const have = pc.getTransceivers().filter((t) => t.receiver.track.kind === kind).length;
      for (let slot = have; slot < SLOTS_PER_KIND; slot += 1) {
        pc.addTransceiver(kind, { direction: 'recvonly' });
      }
    }

    await pc.setLocalDescription(await pc.createOffer());
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      if (this.firstMids[kind] === null) {
        this.firstMids[kind] = transceiver.mid;
      }
    }
    await iceGatheringDone(pc, ICE_GATHERING_DEADLINE_MS);
    if (this.closed) {
      return;
    }
    const answer = await emitWithAck(this.socket, this.events.RTC_OFFER, {
      room_id: this.roomId,
      type: 'offer',
      sdp: pc.localDescription.sdp,
    });
    if (this.closed) {
      return;
    }
    await pc.setRemoteDescription({ type: answer.type, sdp: withVideoBitrateFloor(answer.sdp) });
    // Browsers that list no encodings before negotiation take the parameters now.
    await Promise.all(videoSenders.filter((_, i) => !tuned[i]).map(preferFrameRate));
    this.render();
  }

  addRemoteTrack(event) {
    const { track, transceiver } = event;
    if (transceiver && transceiver.mid !== null) {
      this.tracks.set(transceiver.mid, track);
    }
    track.addEventListener('unmute', () => this.render());
    this.render();
  }

  /** Who is in the room, and which of our slots carries whom (the server's `roster`). */
  setRoster(roster) {
    this.roster = roster;
    this.render();
    this.dispatchEvent(new CustomEvent('roster', { detail: roster }));
  }

  render() {
    if (this.closed) {
      return;
    }
    const trackOf = (mid) => (mid === null || mid === undefined ? null : this.tracks.get(mid) || null);
    this.tiles.render(this.roster, trackOf, this.firstMids);
  }

  /** Close the peer connection; the camera stays on for the next call. */
  close() {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.socket.off(ROOM.on.ROSTER, this.onRoster);
    if (this.unmuteButton) {
      this.unmuteButton.removeEventListener('click', this.onUnmute);
      this.unmuteButton.hidden = true;
    }
    if (this.pc) {
      this.pc.close();
    }
    for (const track of this.tracks.values()) {
      track.stop();
    }
    this.tiles.destroy();
  }
}
