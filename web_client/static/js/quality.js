// Picture checks on the citizen's own camera preview, before and during a session:
// light, contrast and focus, measured in the browser twice a second with no server
// round trip.
//
// The measures and limits are the server's (rtc_server/quality.py): the same luma
// (OpenCV's fixed-point BT.601), RMS contrast, variance of the 4-neighbour Laplacian
// at the same 320 px width, and the same advice codes, each with a message
// `quality.<code>`. Face and hands (`no_face`, `too_close`, `off_center`) are judged
// on the server only, where OpenCV can find the face; this module never reports
// them. Light from behind (`backlit`) the server judges on the face it found; here,
// with no face detector, on the place a framed signer's face is (CENTRE_BOX, as a
// camera's centre-weighted metering does), and only when the rest of the picture is
// itself lit. The browser scales the frame with its own filter, so its sharpness
// figure can differ a little from the server's on the same camera.
//
// AdviceLine shows the advice on a page, one line at a time, in the reader's language.

import { clearMessage, setMessage } from './i18n.js';

/** Advice codes, most important first; the first five can come from this module. */
export const QUALITY_ADVICE = Object.freeze({
  TOO_DARK: 'too_dark',
  TOO_BRIGHT: 'too_bright',
  BACKLIT: 'backlit',
  LOW_CONTRAST: 'low_contrast',
  BLURRY: 'blurry',
  NO_FACE: 'no_face', // server only
  TOO_CLOSE: 'too_close', // server only
  OFF_CENTER: 'off_center', // server only
});

/** The server's defaults (see Thresholds in rtc_server/quality.py for sources). */
export const QUALITY_THRESHOLDS = Object.freeze({
  tooDark: 60, // mean luma 0-255
  tooBright: 200, // mean luma 0-255
  clippedFraction: 0.25, // share of pixels at 250 or more
  faceDark: 80, // mean luma of the face (here: of CENTRE_BOX) under which it is dark
  backlitRatio: 1.8, // ... and the surround this many times brighter: light from behind
  lowContrast: 0.05, // RMS contrast: standard deviation of luma / 255
  blurry: 25, // variance of the Laplacian at ANALYSIS_WIDTH
});

/**
 * Where the face of a signer framed from above the head to the waist falls, in
 * fractions of the frame (ITU-T H-series Supplement 1; the face box is about 0.3
 * of the height, its top a tenth down). Hair and clothes stay mostly outside it.
 */
export const CENTRE_BOX = Object.freeze({ left: 0.42, top: 0.1, right: 0.58, bottom: 0.4 });

/** Frames are measured at this width, as on the server. */
export const ANALYSIS_WIDTH = 320;

/**
 * Luma of RGBA pixels (ImageData.data), rounded as OpenCV's BGR2GRAY does.
 * @param {Uint8ClampedArray} rgba
 * @returns {Uint8Array}
 */
export function lumaOf(rgba) {
  const gray = new Uint8Array(rgba.length / 4);
  for (let i = 0, p = 0; i < gray.length; i += 1, p += 4) {
    gray[i] = (rgba[p] * 4899 + rgba[p + 1] * 9617 + rgba[p + 2] * 1868 + 8192) >> 14;
  }
  return gray;
}

/**
 * Brightness, contrast, sharpness and clipped share of a grey frame, and the mean
 * luma inside CENTRE_BOX (`centre`) and outside it (`surround`).
 * @param {Uint8Array} gray luma, row by row
 * @param {number} width
 * @param {number} height
 */
export function measureGray(gray, width, height) {
  if (width < 3 || height < 3 || gray.length !== width * height) {
    throw new RangeError(`not a ${width}x${height} grey frame`);
  }
  const n = gray.length;
  let sum = 0;
  let squares = 0;
  let clipped = 0;
  for (let i = 0; i < n; i += 1) {
    const v = gray[i];
    sum += v;
    squares += v * v;
    if (v >= 250) clipped += 1;
  }
  const mean = sum / n;
  const x0 = Math.floor(width * CENTRE_BOX.left);
  const x1 = Math.max(x0 + 1, Math.ceil(width * CENTRE_BOX.right));
  const y0 = Math.floor(height * CENTRE_BOX.top);
  const y1 = Math.max(y0 + 1, Math.ceil(height * CENTRE_BOX.bottom));
  let centreSum = 0;
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0, i = y * width + x0; x < x1; x += 1, i += 1) {
      centreSum += gray[i];
    }
  }
  const centreCount = (x1 - x0) * (y1 - y0);
  const variance = Math.max(0, squares / n - mean * mean);

  // Laplacian [0 1 0; 1 -4 1; 0 1 0] with mirrored edges (OpenCV's BORDER_REFLECT_101).
  let lapSum = 0;
  let lapSquares = 0;
  for (let y = 0; y < height; y += 1) {
    const up = (y === 0 ? 1 : y - 1) * width;
    const down = (y === height - 1 ? height - 2 : y + 1) * width;
    const row = y * width;
    for (let x = 0; x < width; x += 1) {
      const left = x === 0 ? 1 : x - 1;
      const right = x === width - 1 ? width - 2 : x + 1;
      const lap =
        gray[up + x] + gray[down + x] + gray[row + left] + gray[row + right] - 4 * gray[row + x];
      lapSum += lap;
      lapSquares += lap * lap;
    }
  }
  const lapMean = lapSum / n;
  return {
    brightness: mean,
    contrast: Math.sqrt(variance) / 255,
    sharpness: Math.max(0, lapSquares / n - lapMean * lapMean),
    clipped: clipped / n,
    centre: centreSum / centreCount,
    surround: n > centreCount ? (sum - centreSum) / (n - centreCount) : mean,
  };
}

/**
 * The advice the picture alone gives, most important first (empty: all good).
 * Contrast and focus are judged only once the light is right, as on the server.
 * Backlit: the centre is dark and a lit surround (not itself too dark) is
 * `backlitRatio` times brighter; a dark picture all over is simply too dark.
 */
export function adviseOnPicture(m, limits = QUALITY_THRESHOLDS) {
  const backlit =
    typeof m.centre === 'number' &&
    m.centre < limits.faceDark &&
    m.surround >= limits.tooDark &&
    m.surround >= limits.backlitRatio * m.centre;
  if (backlit) return [QUALITY_ADVICE.BACKLIT];
  if (m.brightness < limits.tooDark) return [QUALITY_ADVICE.TOO_DARK];
  if (m.brightness > limits.tooBright || m.clipped > limits.clippedFraction) {
    return [QUALITY_ADVICE.TOO_BRIGHT];
  }
  if (m.contrast < limits.lowContrast) return [QUALITY_ADVICE.LOW_CONTRAST];
  if (m.sharpness < limits.blurry) return [QUALITY_ADVICE.BLURRY];
  return [];
}

/**
 * Watches a playing <video> (the local preview) and calls `onChange` with
 * `{advice, brightness, contrast, sharpness, clipped}` when the advice changes and
 * has held for `confirmations` samples in a row, so the citizen is not flooded.
 */
export class PreviewQuality {
  constructor(video, { onChange, intervalMs = 500, confirmations = 2, thresholds } = {}) {
    if (!(video instanceof HTMLVideoElement)) throw new TypeError('need a <video> element');
    if (typeof onChange !== 'function') throw new TypeError('need an onChange callback');
    if (!(intervalMs >= 500)) throw new RangeError('sample at most twice a second');
    if (!(confirmations >= 1)) throw new RangeError('confirmations must be at least 1');
    this.video = video;
    this.onChange = onChange;
    this.intervalMs = intervalMs;
    this.confirmations = confirmations;
    this.thresholds = { ...QUALITY_THRESHOLDS, ...thresholds };
    this.canvas = document.createElement('canvas');
    this.context = null;
    this.timer = null;
    this.candidate = null;
    this.seen = 0;
    this.reported = null;
    this.latest = null;
  }

  start() {
    if (this.timer !== null) return;
    this.timer = window.setInterval(() => this.sample(), this.intervalMs);
  }

  stop() {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    this.candidate = null;
    this.seen = 0;
    this.reported = null; // a restart reports the picture afresh
  }

  /** Measure the current preview frame; null while the video has no picture. */
  sample() {
    const { video } = this;
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !video.videoWidth) {
      return null;
    }
    const width = ANALYSIS_WIDTH;
    const height = Math.max(3, Math.round((video.videoHeight * width) / video.videoWidth));
    if (this.canvas.width !== width || this.canvas.height !== height || !this.context) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.context = this.canvas.getContext('2d', { willReadFrequently: true });
      this.context.imageSmoothingQuality = 'high';
    }
    this.context.drawImage(video, 0, 0, width, height);
    const pixels = this.context.getImageData(0, 0, width, height).data;
    const measures = measureGray(lumaOf(pixels), width, height);
    const report = { advice: adviseOnPicture(measures, this.thresholds), ...measures };
    this.latest = report;
    this.settle(report);
    return report;
  }

  settle(report) {
    const key = report.advice.join(',');
    if (key === this.candidate) {
      this.seen += 1;
    } else {
      this.candidate = key;
      this.seen = 1;
    }
    if (this.seen >= this.confirmations && key !== this.reported) {
      this.reported = key;
      this.onChange(report);
    }
  }
}

/**
 * One line of advice under the preview (an element with role="status"): the most
 * important advice, or `quality.ok` when all is well, in the page's language. It
 * appears with the first settled report and is cleared when stopped.
 */
export class AdviceLine {
  constructor(element, video, options = {}) {
    this.element = element;
    this.video = video;
    this.options = options;
    this.quality = null;
    this.local = []; // what this page sees in its preview
    this.server = []; // what the server sees arriving (face and hands too)
  }

  get running() {
    return this.quality !== null;
  }

  /** Start sampling the video (`on`) or stop and clear the line. */
  run(on) {
    if (on && !this.quality) {
      this.quality = new PreviewQuality(this.video, { ...this.options, onChange: (report) => this.render(report) });
      this.quality.start();
    } else if (!on && this.quality) {
      this.quality.stop();
      this.quality = null;
      this.local = [];
      this.server = [];
      this.element.hidden = true;
      delete this.element.dataset.advice;
      clearMessage(this.element);
    }
  }

  /** The server's advice (video_quality): shown when the preview itself looks fine. */
  setServerAdvice(advice) {
    this.server = advice;
    if (this.quality) {
      this.show();
    }
  }

  render({ advice }) {
    this.local = advice;
    this.show();
  }

  show() {
    // The preview's own findings come first (they are seen sooner); the server
    // adds what only it checks: whether the face and the signing space are in frame.
    const advice = this.local.length > 0 ? this.local : this.server;
    const code = advice.length > 0 ? advice[0] : 'ok';
    this.element.dataset.advice = code;
    setMessage(this.element, `quality.${code}`);
    this.element.hidden = false;
  }
}
