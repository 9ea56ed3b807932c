// The citizen page's choice of service and language: the options, the opening
// hours and the wait before asking, the booking links, and a reservation's join link.

import { clearMessage, endonym, formatMoment, setMessage, t } from './i18n.js';
import { API, LANGUAGE } from './protocol.js';
import { WaitNow } from './wait_now.js';

export class CitizenServices {
  /** `page`: the citizen page's {ui, state, errors, setStatus, readyStatus, camera}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
    this.waitNow = new WaitNow(document.getElementById('wait-now')); // the wait before asking
  }

  // -- services -----------------------------------------------------------------

  selectedService() {
    return this.state.services.find((entry) => entry.service === this.ui.service.value) || this.state.services[0];
  }

  renderServiceOptions() {
    const { ui, state } = this;
    const chosen = ui.service.value;
    ui.service.replaceChildren(
      ...state.services.map(({ service }) => {
        const option = document.createElement('option');
        option.value = service;
        setMessage(option, `service.${service}`);
        return option;
      }),
    );
    if (state.services.some((entry) => entry.service === chosen)) {
      ui.service.value = chosen;
    }
    this.renderLanguageOptions();
  }

  /** Each language in itself, then in the page's language: "中文 (Chinese)". */
  renderLanguageOptions() {
    const { ui } = this;
    const { service, languages } = this.selectedService();
    const chosen = ui.language.value;
    ui.language.replaceChildren(
      ...languages.map((code) => {
        const option = document.createElement('option');
        option.value = code;
        if (code !== LANGUAGE.KSL) {
          option.lang = code; // the other codes are BCP 47 tags; KSL's would be "kvk"
        }
        const name = t(`language.${code}`);
        option.textContent = name === endonym(code) ? name : t('language.option', { endonym: endonym(code), name });
        return option;
      }),
    );
    if (languages.includes(chosen)) {
      ui.language.value = chosen;
    }
    // A service offered in one language (sign language: KSL) needs no choice.
    ui.languageField.hidden = languages.length < 2;
    setMessage(ui.ask, `citizen.ask.${service}`);
    this.renderHours();
    this.page.camera.renderCamera();
  }

  onServiceChange() {
    this.renderLanguageOptions();
    this.waitNow.refresh();
    if (this.state.view === 'choose' && this.state.connected) {
      this.page.setStatus(this.page.readyStatus());
    }
  }

  /** Open or closed, and until or from when, before the citizen asks. */
  renderHours() {
    const { ui, state } = this;
    const entry = this.selectedService();
    const { languages } = entry;
    this.waitNow.show(entry.service, languages.length < 2 ? languages[0] : ui.language.value, entry.open);
    if (typeof entry.open !== 'boolean') {
      clearMessage(ui.serviceHours);
      return;
    }
    const when = (iso) => formatMoment(iso, state.timeZone);
    let text;
    if (entry.open) {
      text = entry.closes_at ? t('hours.open_until', { when: when(entry.closes_at) }) : t('hours.open');
    } else {
      text = entry.next_open ? t('hours.closed', { when: when(entry.next_open) }) : t('hours.closed_unknown');
    }
    if (entry.note) {
      text = `${text} ${t('hours.note', { note: entry.note })}`;
    }
    ui.serviceHours.textContent = text;
    ui.serviceHours.dataset.open = String(entry.open);
    // Closed: a reservation is the way in (not for a citizen already holding one).
    this.showBookingLink(ui.bookWhenClosed, !entry.open && !state.joinToken);
  }

  /** The booking page for the chosen service (and language). */
  bookingHref() {
    const { service, languages } = this.selectedService();
    const query = new URLSearchParams({ service });
    if (languages.length > 1 && this.ui.language.value) {
      query.set('language', this.ui.language.value);
    }
    return `/book?${query}`;
  }

  /** Point a "book a time" link at the chosen service and show or hide it. */
  showBookingLink(container, visible) {
    container.querySelector('a').href = this.bookingHref();
    container.hidden = !visible;
  }

  async loadServices() {
    const { state } = this;
    try {
      const response = await fetch(API.SERVICES, { headers: { Accept: 'application/json' } });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      const body = await response.json();
      if (Array.isArray(body.services) && body.services.length > 0) {
        state.services = body.services;
      }
      if (typeof body.time_zone === 'string') {
        state.timeZone = body.time_zone;
      }
      if (typeof body.long_wait_minutes === 'number') {
        state.longWaitMinutes = body.long_wait_minutes;
      }
    } catch {
      this.errors.show('error.services_unavailable');
    }
    this.renderServiceOptions();
  }

  // -- a reservation's join link (/#join=<token>) -------------------------------------

  /** Read the join token from the address, take it out of the address bar, show the slot. */
  async loadReservation() {
    const { ui, state } = this;
    const token = new URLSearchParams(window.location.hash.slice(1)).get('join');
    if (!token) {
      return;
    }
    // The token is a key to the reservation: keep it out of history and screenshots.
    history.replaceState(null, '', window.location.pathname + window.location.search);
    try {
      const response = await fetch(API.JOIN, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ token }),
      });
      const body = await response.json();
      if (!response.ok) {
        this.errors.show(`error.${body.error && body.error.code ? body.error.code : 'join_token_unknown'}`);
        return;
      }
      state.joinToken = token;
      ui.service.value = body.service;
      this.onServiceChange();
      if (!ui.languageField.hidden) {
        ui.language.value = body.language;
      }
      ui.service.disabled = true; // the reservation fixes the service and language
      ui.language.disabled = true;
      const moment = (iso) => ({ moment: iso, timeZone: state.timeZone });
      setMessage(ui.reservationNote, body.can_join_now ? 'citizen.reservation.now' : 'citizen.reservation.later', {
        start: moment(body.start),
        opens: moment(body.join_opens_at),
      });
      ui.reservationNote.hidden = false;
      this.renderHours();
    } catch {
      this.errors.show('error.unreachable');
    }
  }
}
