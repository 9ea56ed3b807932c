// How a call sends video: frame rate before resolution, a bitrate floor written into
// the answer, and a watch on the frame rate this browser actually sends.

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
