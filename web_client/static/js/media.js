// The local camera and microphone: open them, or explain in plain words why not.

/** Why the camera could not be used; each has a message `media.<code>`. */
export const MEDIA_PROBLEM = Object.freeze({
  DENIED: 'denied', // the person or a policy refused permission
  NOT_FOUND: 'not_found', // no camera on this device
  BUSY: 'busy', // another app holds the camera
  UNSUPPORTED: 'unsupported', // browser or webview without WebRTC
  INSECURE: 'insecure', // page not on https, so the browser hides the camera
  FAILED: 'failed', // anything else
});

export class MediaProblem extends Error {
  constructor(code, cause) {
    super(`camera problem: ${code}${cause ? ` (${cause.name}: ${cause.message})` : ''}`);
    this.name = 'MediaProblem';
    this.code = code;
    this.cause = cause;
  }
}

// Sign language needs the whole upper body and clear hands: ask for a good picture,
// but only as an ideal, so that any camera is accepted.
export const VIDEO = Object.freeze({
  facingMode: 'user',
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
});
const AUDIO = Object.freeze({ echoCancellation: true, noiseSuppression: true });

/** Null when this browser can make WebRTC calls, else the problem code. */
export function webRtcProblem() {
  if (typeof window.RTCPeerConnection !== 'function') {
    return MEDIA_PROBLEM.UNSUPPORTED;
  }
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') {
    // Browsers hide mediaDevices on plain-http pages; old webviews lack it entirely.
    return window.isSecureContext === false ? MEDIA_PROBLEM.INSECURE : MEDIA_PROBLEM.UNSUPPORTED;
  }
  return null;
}

/** The MEDIA_PROBLEM code of a getUserMedia rejection. */
export function classify(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError': // old Chrome name
      return MEDIA_PROBLEM.DENIED;
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return MEDIA_PROBLEM.NOT_FOUND;
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return MEDIA_PROBLEM.BUSY;
    default:
      return MEDIA_PROBLEM.FAILED;
  }
}

/**
 * Open the camera and, when there is one, the microphone.
 * A deaf caller may well have no microphone: then the camera alone is enough.
 * Rejects with MediaProblem.
 */
export async function openCamera() {
  const problem = webRtcProblem();
  if (problem) {
    throw new MediaProblem(problem);
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: VIDEO, audio: AUDIO });
  } catch (err) {
    const code = classify(err);
    if (code !== MEDIA_PROBLEM.NOT_FOUND) {
      throw new MediaProblem(code, err);
    }
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: VIDEO, audio: false });
  } catch (err) {
    throw new MediaProblem(classify(err), err);
  }
}

/**
 * Open the microphone alone: a foreign-language session by voice, for a citizen
 * whose camera is missing, refused or busy. Rejects with MediaProblem.
 */
export async function openMicrophone() {
  const problem = webRtcProblem();
  if (problem) {
    throw new MediaProblem(problem);
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: false, audio: AUDIO });
  } catch (err) {
    throw new MediaProblem(classify(err), err);
  }
}

/** Whether `stream` holds a live track of `kind` ('audio' or 'video'). */
export function hasLiveTrack(stream, kind) {
  return Boolean(stream) && stream.getTracks().some((track) => track.kind === kind && track.readyState === 'live');
}

/**
 * Where this page runs, from the user agent: 'android' inside an Android app's
 * WebView (the `; wv)` token), 'ios' inside an iOS app's WKWebView (no `Safari/`
 * token), 'in_app' inside a messenger's own browser (KakaoTalk, NAVER, LINE,
 * Facebook, Instagram), else null (a browser). Only the advice differs: an app
 * must be left for the phone's browser, or its own settings allow the camera.
 */
export function webviewKind(userAgent = navigator.userAgent) {
  const ua = String(userAgent || '');
  if (/KAKAOTALK|NAVER\(inapp|\bLine\/|FBAN|FBAV|Instagram/i.test(ua)) {
    return 'in_app';
  }
  if (/; wv\)/.test(ua)) {
    return 'android';
  }
  if (/\b(iPhone|iPad|iPod)\b/.test(ua) && /AppleWebKit/.test(ua) && !/Safari\//.test(ua)) {
    return 'ios';
  }
  return null;
}

/**
 * The message key that explains `problem` here: inside an app, a refused camera
 * is allowed in the phone's settings for that app, and a missing WebRTC is found
 * in the phone's browser.
 */
export function problemMessage(problem, webview = webviewKind()) {
  if (webview && (problem === MEDIA_PROBLEM.DENIED || problem === MEDIA_PROBLEM.UNSUPPORTED)) {
    return `media.${problem}.webview`;
  }
  return `media.${problem}`;
}

export function stopStream(stream) {
  if (stream) {
    for (const track of stream.getTracks()) {
      track.stop();
    }
  }
}
