// Sign language on the citizen page: advice on the citizen's own picture, and a
// warning while the video they send is too jerky to sign.

import { SendFrameRateWatch } from './call.js';
import { clearMessage, setMessage } from './i18n.js';
import { hasLiveTrack } from './media.js';
import { SERVICE } from './protocol.js';
import { AdviceLine } from './quality.js';

export class CitizenQuality {
  /** `page`: the citizen page's {ui, state, services}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.pictureAdvice = new AdviceLine(page.ui.quality, page.ui.localVideo);
  }

  /** Whether the service chosen, asked for or in session is sign-language video. */
  signLanguageVideo() {
    const { state } = this;
    if (state.view === 'choose') {
      return this.page.services.selectedService().service === SERVICE.SIGN_LANGUAGE;
    }
    return (state.view === 'waiting' || state.view === 'call') && state.askedService === SERVICE.SIGN_LANGUAGE;
  }

  /**
   * Advice on the light, contrast and focus of the local preview, from the moment
   * the camera is on until the session ends (or the camera stops, or another
   * service is chosen).
   */
  renderQuality() {
    this.pictureAdvice.run(hasLiveTrack(this.state.localStream, 'video') && this.signLanguageVideo());
  }

  /** What the server sees arriving (face and hands too), for the session in progress. */
  onVideoQuality({ room_id: roomId, advice }) {
    if (this.state.roomId === roomId) {
      this.pictureAdvice.setServerAdvice(advice);
    }
  }

  /** Warn (without blocking anything) while the video sent is too jerky to sign. */
  watchFrameRate(call) {
    const { ui, state } = this;
    if (state.frameRate || !call.pc || state.askedService !== SERVICE.SIGN_LANGUAGE) {
      return;
    }
    const watch = new SendFrameRateWatch(call.pc);
    watch.addEventListener('change', ({ detail }) => {
      if (detail.low) {
        setMessage(ui.smoothness, 'video.framerate_low');
        ui.smoothness.hidden = false;
      } else {
        ui.smoothness.hidden = true;
        clearMessage(ui.smoothness);
      }
    });
    state.frameRate = watch;
    watch.start();
  }

  stopWatchingFrameRate() {
    const { ui, state } = this;
    if (state.frameRate) {
      state.frameRate.stop();
      state.frameRate = null;
    }
    ui.smoothness.hidden = true;
    clearMessage(ui.smoothness);
  }
}
