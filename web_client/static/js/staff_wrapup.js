// The console's wrap-up after a session: the form (js/wrapup.js) below the
// presence panel until the next offer, and a list of sessions whose wrap-up was
// left unsaved, each linking to its case where it can still be written.

import { setMessage } from './i18n.js';
import { formatTime } from './records_common.js';
import { WrapupForm } from './wrapup.js';

export class WrapupSlot {
  /** `slot` holds the form; `pending` (with `pendingList`) lists the unsaved ones. */
  constructor({ slot, pending, pendingList }) {
    this.slot = slot;
    this.pending = pending;
    this.pendingList = pendingList;
    this.current = null; // {form, session, endedAt, saved}
  }

  /** The wrap-up form of the session that just ended. */
  open(session) {
    this.close();
    const current = { form: null, session, endedAt: new Date().toISOString(), saved: false };
    current.form = new WrapupForm(this.slot, {
      caseId: session.case_id,
      onSaved: () => {
        current.saved = true;
      },
    });
    // Changed after a save: unsaved again (that save did not keep the change).
    for (const type of ['input', 'change']) {
      current.form.root.addEventListener(type, () => {
        current.saved = false;
      });
    }
    this.current = current;
  }

  /**
   * Take the form away (the next offer came, or sign-out). An unsaved one is
   * listed with a link to its case, unless `remember` is false.
   */
  close({ remember = true } = {}) {
    const wrapup = this.current;
    if (!wrapup) {
      return;
    }
    this.current = null;
    if (remember && !wrapup.saved) {
      this.listUnsaved(wrapup);
    }
    wrapup.form.destroy();
  }

  /** Signed out: forget the list too. */
  reset() {
    this.close({ remember: false });
    this.pendingList.replaceChildren();
    this.pending.hidden = true;
  }

  listUnsaved({ session, endedAt }) {
    const link = document.createElement('a');
    link.href = `/cases#case=${session.case_id}`;
    link.target = '_blank';
    link.rel = 'noopener';
    link.dataset.caseId = session.case_id;
    setMessage(link, 'staff.wrapup_pending.item', {
      service: { key: `service.${session.service}` },
      language: { key: `language.${session.language}` },
      time: formatTime(endedAt, undefined, { date: false }),
    });
    const item = document.createElement('li');
    item.append(link);
    this.pendingList.append(item);
    this.pending.hidden = false;
  }
}
