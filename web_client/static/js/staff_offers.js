// The interpreter console's offers: showing one, accepting or declining it, and one that closed unanswered.

import { clearMessage, setMessage } from './i18n.js';
import { OFFER_CLOSED_REASON, emitWithAck, isChatOnly } from './protocol.js';
import { focusLost } from './staff_presence.js';

export class StaffOffers {
  /** `page`: the console's {ui, state, errors, offerCard, wrapup, setView, setStatus, presence}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
    this.offerCard = page.offerCard;
  }

  onOffer(offer) {
    const { ui, errors, page, offerCard } = this;
    this.hideOffer();
    page.wrapup.close(); // the next citizen: an unsaved wrap-up is listed to finish later
    errors.clear();
    clearMessage(ui.notice);
    page.setView('offer');
    page.setStatus('staff.presence.offered');
    setMessage(ui.title, 'staff.title_alert'); // visible in the tab strip, too
    offerCard.show(offer);
  }

  hideOffer() {
    this.offerCard.hide();
    setMessage(this.ui.title, 'staff.title');
  }

  backToIdle() {
    const { state, page } = this;
    if (state.view === 'offer') {
      page.setView('idle');
      page.presence.showPresence();
    }
  }

  onOfferClosed({ offer_id: offerId, reason }) {
    const { ui, page, offerCard } = this;
    if (!offerCard.offer || offerCard.offer.offer_id !== offerId) {
      return;
    }
    const joining = offerCard.offer.purpose === 'counselor' || offerCard.offer.purpose === 'transfer';
    // On Accept or Decline, about to go, or lost when they were disabled: to Available then.
    const focused = focusLost() || offerCard.root.contains(document.activeElement);
    this.hideOffer();
    this.backToIdle();
    if (focused) {
      page.presence.focusAvailable();
    }
    if (joining && reason === OFFER_CLOSED_REASON.OFFER_WITHDRAWN) {
      setMessage(ui.notice, 'staff.offer_closed.join_withdrawn'); // cancelled, or the session ended
    } else if (Object.values(OFFER_CLOSED_REASON).includes(reason)) {
      setMessage(ui.notice, `staff.offer_closed.${reason}`);
    }
  }

  async answerOffer(eventName, accept) {
    const { state, errors, page, offerCard } = this;
    const offer = offerCard.offer;
    if (!offer) {
      return;
    }
    errors.clear();
    offerCard.setBusy(true);
    if (accept && !isChatOnly(offer.service) && !(await page.presence.ensureCamera())) {
      offerCard.setBusy(false);
      return;
    }
    try {
      await emitWithAck(state.socket, eventName, { offer_id: offer.offer_id });
      if (accept) {
        state.accepted = offer;
      }
      if (accept && offerCard.offer === offer) {
        page.setStatus('staff.status.joining');
      }
    } catch (err) {
      errors.showError(err);
      if (offerCard.offer === offer) {
        this.hideOffer();
        this.backToIdle();
      }
    }
  }
}
