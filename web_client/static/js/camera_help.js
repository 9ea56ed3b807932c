// When video cannot work here (the camera refused, missing or busy, or a webview
// without WebRTC): what else the citizen can do, right where they are.
//
// - Everyone: a text chat with a counselor (written Korean; a chat needs no camera
//   and no WebRTC, only this page's connection), and booking a time for later.
// - Foreign-language callers: their session is spoken, so a microphone is enough:
//   "voice only" opens the microphone alone, and the counselor hears them and is
//   seen by them, without seeing them. Not for sign language, where the picture is
//   the language; not without WebRTC, which voice needs as much as video.

import { hasMessage, setMessage } from './i18n.js';
import { MEDIA_PROBLEM } from './media.js';
import { SERVICE } from './protocol.js';

/** Problems after which no call (video or voice) can be made from this page. */
const NO_WEBRTC = new Set([MEDIA_PROBLEM.UNSUPPORTED, MEDIA_PROBLEM.INSECURE]);

/** Problems a second try may get past in a call (allowed meanwhile, the other app closed, plugged in again). */
const RETRYABLE = new Set([MEDIA_PROBLEM.DENIED, MEDIA_PROBLEM.BUSY, MEDIA_PROBLEM.NOT_FOUND, MEDIA_PROBLEM.FAILED]);

/**
 * The message for a camera problem in a call: the words for the citizen's page
 * (`key`, from media.js problemMessage) say to press "Turn on camera", which a
 * call does not have; in a call they point to "Try the camera again" instead.
 */
export function inCallProblemMessage(key) {
  return hasMessage(`${key}.in_call`) ? `${key}.in_call` : key;
}

/** Whether "Try the camera again" is offered: in a call, after a problem a second try may get past. */
export function retryable(problem, { inCall = false } = {}) {
  return inCall && RETRYABLE.has(problem);
}

/** Whether no call at all can be made from this page (video or voice). */
export function noCalls(problem) {
  return NO_WEBRTC.has(problem);
}

/**
 * The options to offer for `problem` when the citizen chose `service`:
 * {voice, chat, book} booleans. Nothing while there is no problem or for a text
 * chat (which needs no camera). A reservation's join link fixes the service and
 * already has its time: neither chat nor another booking is offered then.
 */
export function alternatives(problem, service, { reserved = false, inCall = false } = {}) {
  if (!problem || service === SERVICE.CHAT) {
    return { voice: false, chat: false, book: false };
  }
  if (inCall) {
    // The camera went and did not come back: the call goes on, and its chat is there.
    return { voice: false, chat: true, book: false };
  }
  return {
    voice: service === SERVICE.FOREIGN_LANGUAGE && !NO_WEBRTC.has(problem),
    chat: !reserved,
    book: !reserved,
  };
}

/**
 * The panel under the camera button. `onChat` starts a text chat, `onVoice`
 * continues by voice; the booking link points where `bookingHref()` says. In a
 * call (the camera lost and not back) it moves right after `callPlace`, and
 * `onChat` goes to the call's own chat, and "Try the camera again" (`onRetry`)
 * shows too.
 */
export class CameraHelp {
  constructor(root, { onChat, onVoice, onRetry = null, bookingHref, callPlace = null }) {
    this.root = root;
    this.home = { parent: root.parentElement, next: root.nextElementSibling };
    this.callPlace = callPlace;
    this.intro = root.querySelector('[data-part="intro"]');
    this.voice = root.querySelector('[data-part="voice"]');
    this.voiceNote = root.querySelector('[data-part="voice-note"]');
    this.chat = root.querySelector('[data-part="chat"]');
    this.book = root.querySelector('[data-part="book"]');
    this.bookingHref = bookingHref;
    this.voice.addEventListener('click', () => onVoice());
    this.chat.addEventListener('click', () => onChat());
    // Only in a call: before one, the page's own "Turn on camera" button does this.
    this.retry = document.createElement('button');
    this.retry.type = 'button';
    this.retry.id = 'camera-retry';
    this.retry.className = 'primary';
    this.retry.dataset.part = 'retry';
    this.retry.hidden = true;
    this.chat.after(this.retry);
    if (onRetry) {
      this.retry.addEventListener('click', () => onRetry());
    }
  }

  /** Show the options for `problem` and `service`, or hide the panel. */
  render(problem, service, { reserved = false, show = true, inCall = false } = {}) {
    const options = alternatives(problem, service, { reserved, inCall });
    const retry = retryable(problem, { inCall });
    const any = options.voice || options.chat || options.book || retry;
    this.root.hidden = !(show && any);
    this.root.dataset.problem = problem || '';
    this.place(inCall && Boolean(this.callPlace));
    if (this.root.hidden) {
      return;
    }
    const intro = service === SERVICE.FOREIGN_LANGUAGE ? 'camera_help.intro.foreign_language' : 'camera_help.intro';
    setMessage(this.intro, inCall ? 'camera_help.intro.in_call' : options.voice ? intro : 'camera_help.intro');
    setMessage(this.chat, inCall ? 'camera_help.chat.in_call' : 'camera_help.chat');
    this.voice.hidden = !options.voice;
    this.voiceNote.hidden = !options.voice;
    this.chat.hidden = !options.chat;
    this.retry.hidden = !retry;
    setMessage(this.retry, 'camera_help.retry');
    this.book.hidden = !options.book;
    this.book.querySelector('a').href = this.bookingHref();
  }

  /** In the call's panel, or back under the camera button. */
  place(inCall) {
    if (inCall) {
      if (this.callPlace.nextElementSibling !== this.root) {
        this.callPlace.after(this.root);
      }
    } else if (this.root.parentElement !== this.home.parent) {
      this.home.parent.insertBefore(this.root, this.home.next);
    }
  }

  /** The first option, for the keyboard focus after a problem. */
  firstOption() {
    return [this.voice, this.chat, this.book.querySelector('a')].find(
      (element) => !element.hidden && !element.closest('[hidden]'),
    );
  }
}
