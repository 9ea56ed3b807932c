// One call: one RTCPeerConnection from this browser to the media server, which
// forwards everyone else's audio and video back on fixed receive slots.

import { AckError, ERROR_CODE, ROOM, emitWithAck } from './protocol.js';
import { RoomTiles } from './room_tiles.js';

const ICE_GATHERING_DEADLINE_MS = 5000;

/**
 * How this browser sends video. Sign language needs motion more than pixels:
 * EN 301 549 asks for at least 20 frames a second and prefers more.
 */
export const VIDEO_SENDING = Object.freeze({
  maxFramerate: 30, // frames a second; the camera is asked for 30 (media.js)
  minFramerate: 20, // EN 301 549: below this signing is hard to read
  // The floor under the congestion controller, in kbit/s. VP8 needs about this
  // for a moving signer at 640x360 and 30 fps; with 'maintain-framerate' a thinner
  // link then costs resolution, not frames. Lower would let the estimator starve
  // the hands; much higher would overrun a weak mobile uplink and add delay.
  minBitrateKbps: 300,
});

// Codecs in an m=video section that carry no picture of their own.
const NOT_PICTURE_CODECS = new Set(['rtx', 'red', 'ulpfec', 'flexfec-03']);

/**
 * The bitrate floor, written into a remote description. There is no standard
 * minimum bitrate in WebRTC; Chromium (Chrome, Edge, Android webviews) honours
 * the `x-google-min-bitrate` format parameter (kbit/s) on the codecs the other
 * side accepts, and applies it to what it sends. Other browsers ignore format
 * parameters they do not know, so this is harmless there. Each picture codec of
 * every m=video section gets the parameter (added to its a=fmtp line, or a new
 * a=fmtp line after its a=rtpmap); nothing else changes.
 */
export function withVideoBitrateFloor(sdp, kbps = VIDEO_SENDING.minBitrateKbps) {
  if (!(Number.isInteger(kbps) && kbps > 0)) {
    throw new RangeError(`bitrate floor must be a positive whole number of kbit/s, not ${kbps}`);
  }
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  const param = `x-google-min-bitrate=${kbps}`;
  const out = [];
  let section = [];
  const flush = () => {
    if (section.length > 0 && section[0].startsWith('m=video ')) {
      out.push(...floorSection(section, param));
    } else {
      out.push(...section);
    }
    section = [];
  };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      flush();
    }
    section.push(line);
  }
  flush();
  return out.join(eol) + eol;
}

function floorSection(lines, param) {
  const picture = new Set();
  for (const line of lines) {
    const rtpmap = /^a=rtpmap:(\d+) ([^/\s]+)\//.exec(line);
    if (rtpmap && !NOT_PICTURE_CODECS.has(rtpmap[2].toLowerCase())) {
      picture.add(rtpmap[1]);
    }
  }
  const withFmtp = new Set();
  const result = lines.map((line) => {
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (!fmtp || !picture.has(fmtp[1])) {
      return line;
    }
    withFmtp.add(fmtp[1]);
    return /(^|;)\s*x-google-min-bitrate=/.test(fmtp[2]) ? line : `${line};${param}`;
  });
  return result.flatMap((line) => {
    const rtpmap = /^a=rtpmap:(\d+) /.exec(line);
    if (rtpmap && picture.has(rtpmap[1]) && !withFmtp.has(rtpmap[1])) {
      return [line, `a=fmtp:${rtpmap[1]} ${param}`];
    }
    return [line];
  });
}

/**
 * Ask the encoder to keep the frame rate and give up resolution instead
 * ('maintain-framerate'), to send at most 30 frames a second, and to put video
 * first on a busy link (priority 'high'). Resolves true when the browser took it;
 * a browser that refuses (an old one, or one without degradationPreference) keeps
 * sending with its defaults, so a failure here never stops a call.
 */
export async function preferFrameRate(sender) {
  if (!sender || typeof sender.getParameters !== 'function') {
    return false;
  }
  const params = sender.getParameters();
  if (!Array.isArray(params.encodings) || params.encodings.length === 0) {
    return false; // not negotiated yet in this browser: tried again after the answer
  }
  params.degradationPreference = 'maintain-framerate';
  for (const encoding of params.encodings) {
    encoding.maxFramerate = VIDEO_SENDING.maxFramerate;
    encoding.priority = 'high';
    encoding.networkPriority = 'high';
  }
  try {
    await sender.setParameters(params);
  } catch (err) {
    console.warn(`video sender keeps its defaults: ${err.name}: ${err.message}`);
    return false;
  }
  return true;
}

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

/**
 * Watches the frame rate this browser sends (getStats, outbound-rtp video) and
 * fires 'change' (detail: {low, fps}) when it has stayed under `floor` for
 * `holdMs`, and again once it is back for `recoverMs`. Brief dips (a key frame, a
 * change of resolution) pass unnoticed. `fps` is the browser's framesPerSecond,
 * or where it has none (Firefox) framesSent over the sampling interval; it is
 * rounded, so a 20 fps camera measured at 19.7 is not called too slow.
 */
export class SendFrameRateWatch extends EventTarget {
  constructor(pc, { floor = VIDEO_SENDING.minFramerate, holdMs = 5000, recoverMs = 2000, intervalMs = 1000 } = {}) {
    super();
    if (!(intervalMs >= 250 && holdMs >= intervalMs && recoverMs >= intervalMs)) {
      throw new RangeError('need intervalMs >= 250 and holdMs, recoverMs >= intervalMs');
    }
    this.pc = pc;
    this.floor = floor;
    this.intervalMs = intervalMs;
    this.lowSamples = Math.ceil(holdMs / intervalMs);
    this.highSamples = Math.ceil(recoverMs / intervalMs);
    this.timer = null;
    this.reset();
  }

  reset() {
    this.previous = null; // {framesSent, timestamp} of the last sample
    this.lowRun = 0;
    this.highRun = 0;
    this.low = false;
    this.fps = null;
  }

  start() {
    if (this.timer === null) {
      this.timer = window.setInterval(() => {
        this.sample().catch(() => {}); // a closing connection has no stats: no sample
      }, this.intervalMs);
    }
  }

  stop() {
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
    const wasLow = this.low;
    this.reset();
    if (wasLow) {
      this.dispatchEvent(new CustomEvent('change', { detail: { low: false, fps: null } }));
    }
  }

  /** The frame rate sent now, or null when nothing is measured (no camera, not connected). */
  async measure() {
    if (this.pc.connectionState !== 'connected') {
      this.previous = null;
      return null;
    }
    let best = null;
    (await this.pc.getStats()).forEach((stat) => {
      if (stat.type === 'outbound-rtp' && stat.kind === 'video' && (!best || stat.framesSent > best.framesSent)) {
        best = stat;
      }
    });
    if (!best) {
      return null;
    }
    const previous = this.previous;
    this.previous = { framesSent: best.framesSent || 0, timestamp: best.timestamp };
    if (typeof best.framesPerSecond === 'number') {
      return best.framesPerSecond;
    }
    if (!previous || best.timestamp <= previous.timestamp) {
      return null;
    }
    return ((this.previous.framesSent - previous.framesSent) * 1000) / (best.timestamp - previous.timestamp);
  }

  async sample() {
    const fps = await this.measure();
    if (fps === null || this.timer === null) {
      return;
    }
    this.fps = fps;
    if (Math.round(fps) < this.floor) {
      this.lowRun += 1;
      this.highRun = 0;
    } else {
      this.highRun += 1;
      this.lowRun = 0;
    }
    const low = this.low ? this.highRun < this.highSamples : this.lowRun >= this.lowSamples;
    if (low !== this.low) {
      this.low = low;
      this.dispatchEvent(new CustomEvent('change', { detail: { low, fps } }));
    }
  }
}
