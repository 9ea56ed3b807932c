// The citizen's booking page: choose a service, see the next free times, book one
// (name and contact optional), get the join link and a calendar file. Opened with
// #join=<token>, it shows that reservation instead.

import { MessageArea, clearMessage, formatMoment, hasMessage, initI18n, onLocaleChange, setMessage, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const LANGUAGES = Object.freeze({
  sign_language: ['ksl'],
  chat: ['ko'],
  foreign_language: ['en', 'zh', 'ja', 'vi', 'mn'],
});
const SLOT_COUNT = 12;

const ui = {
  locale: $('locale'),
  status: $('status'),
  form: $('booking-form'),
  service: $('service'),
  language: $('language'),
  languageField: $('language-field'),
  showSlots: $('show-slots'),
  slots: $('slots'),
  slotList: $('slot-list'),
  slotsEmpty: $('slots-empty'),
  details: $('details'),
  name: $('citizen-name'),
  contact: $('citizen-contact'),
  book: $('book'),
  bookError: $('book-error'),
  booked: $('booked'),
  bookedWhen: $('booked-when'),
  joinLink: $('join-link'),
  copyLink: $('copy-link'),
  downloadIcs: $('download-ics'),
  bookedNote: $('booked-note'),
  reservation: $('reservation'),
  reservationDetail: $('reservation-detail'),
  reservationJoin: $('reservation-join'),
};
const errors = new MessageArea($('error'));

const state = {
  timeZone: 'Asia/Seoul',
  slots: [],
  token: null, // the join token of the booking just made, or of #join=
  booking: null,
  slotsAsked: 0, // counts requests for free times: only the latest answer is shown
};

function option(value, text) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

function fillChoices() {
  const service = ui.service.value || new URLSearchParams(window.location.search).get('service') || 'sign_language';
  ui.service.replaceChildren(...Object.keys(LANGUAGES).map((s) => option(s, t(`service.${s}`))));
  ui.service.value = LANGUAGES[service] ? service : 'sign_language';
  const languages = LANGUAGES[ui.service.value];
  const wanted = ui.language.value || new URLSearchParams(window.location.search).get('language');
  ui.language.replaceChildren(...languages.map((l) => option(l, t(`language.${l}`))));
  ui.language.value = languages.includes(wanted) ? wanted : languages[0];
  ui.languageField.hidden = languages.length === 1;
}

function when(slot) {
  return formatMoment(slot.start, state.timeZone);
}

async function post(path, body) {
  try {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    return response;
  } catch {
    return null;
  }
}

/** Empty a message line and forget the code of what it said. */
function clearRefusal(area) {
  delete area.dataset.code;
  clearMessage(area);
}

function refusal(area, error, fields = {}) {
  const key = `booking.error.${error.code}`;
  area.dataset.code = error.code;
  if (hasMessage(key)) {
    setMessage(area, key);
  } else {
    setMessage(area, 'booking.error.other', { message: error.message || error.code });
  }
  const input = fields[error.field];
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

// -- free times ---------------------------------------------------------------------

/** Forget any request for free times still on its way (the choice changed). */
function dropSlotsAsked() {
  state.slotsAsked += 1;
  ui.showSlots.disabled = false;
  clearMessage(ui.status);
}

async function showSlots() {
  errors.clear();
  clearRefusal(ui.bookError);
  const asked = ++state.slotsAsked;
  const current = () => asked === state.slotsAsked;
  ui.showSlots.disabled = true;
  setMessage(ui.status, 'booking.slots.loading');
  const query = new URLSearchParams({ service: ui.service.value, language: ui.language.value, count: SLOT_COUNT });
  let body = null;
  try {
    const response = await fetch(`/api/slots?${query}`, { headers: { Accept: 'application/json' } });
    body = await response.json();
    if (!response.ok && current()) {
      refusal($('error'), body.error || { code: `http_${response.status}` });
    }
    if (!response.ok) {
      body = null;
    }
  } catch {
    if (current()) {
      errors.show('booking.error.unreachable', {}, 'unreachable');
    }
  } finally {
    if (current()) {
      ui.showSlots.disabled = false;
      clearMessage(ui.status);
    }
  }
  if (!body || !current()) {
    return; // failed, or an answer for a choice no longer made
  }
  state.timeZone = body.time_zone;
  state.slots = body.slots;
  renderSlots();
  ui.slots.hidden = false;
  ui.details.hidden = state.slots.length === 0;
  const first = ui.slotList.querySelector('input');
  (first || ui.slotsEmpty).focus(); // the empty note takes focus (tabindex=-1) to be read
}

function renderSlots() {
  const checked = ui.slotList.querySelector('input:checked');
  // A time still offered stays chosen; else (none yet, or it was taken) the first.
  const chosen = checked && state.slots.some((slot) => slot.start === checked.value) ? checked : null;
  const items = state.slots.map((slot, n) => {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'slot';
    input.value = slot.start;
    input.checked = chosen ? chosen.value === slot.start : n === 0;
    label.append(input, document.createTextNode(when(slot)));
    li.append(label);
    return li;
  });
  ui.slotList.replaceChildren(...items);
  ui.slotsEmpty.hidden = state.slots.length > 0;
}

// -- booking --------------------------------------------------------------------------

async function book(event) {
  event.preventDefault();
  clearRefusal(ui.bookError);
  for (const input of [ui.name, ui.contact]) {
    input.removeAttribute('aria-invalid');
  }
  const chosen = ui.slotList.querySelector('input:checked');
  if (!chosen) {
    refusal(ui.bookError, { code: 'no_slot_chosen' });
    return;
  }
  ui.book.disabled = true;
  const response = await post('/api/bookings', {
    service: ui.service.value,
    language: ui.language.value,
    start: chosen.value,
    citizen_name: ui.name.value.trim() || null,
    citizen_contact: ui.contact.value.trim() || null,
  });
  ui.book.disabled = false;
  if (!response) {
    refusal(ui.bookError, { code: 'unreachable' });
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body.error || { code: `http_${response.status}` };
    if (['no_interpreter_free', 'slot_taken', 'start_in_past'].includes(error.code)) {
      // That time is gone: offer the current ones (the first chosen and focused),
      // then say why, so the reason is not wiped by the new list.
      await showSlots();
    }
    refusal(ui.bookError, error, { citizen_name: ui.name, citizen_contact: ui.contact });
    return;
  }
  state.booking = body;
  state.token = body.join.token;
  showBooked();
}

function showBooked() {
  const b = state.booking;
  setMessage(ui.bookedWhen, 'booking.done.when', {
    when: { moment: b.start, timeZone: state.timeZone },
    service: { key: `service.${b.service}` },
    minutes: b.duration_minutes,
  });
  ui.joinLink.value = new URL(b.join.path, window.location.origin).href;
  ui.form.hidden = true;
  ui.booked.hidden = false;
  ui.booked.focus();
}

async function copyLink() {
  ui.joinLink.select();
  try {
    await navigator.clipboard.writeText(ui.joinLink.value);
    setMessage(ui.bookedNote, 'booking.done.copied');
  } catch {
    setMessage(ui.bookedNote, 'booking.done.copy_by_hand');
  }
}

async function downloadIcs() {
  const response = await post('/api/join/calendar.ics', { token: state.token });
  if (!response || !response.ok) {
    setMessage(ui.bookedNote, 'booking.done.ics_failed'); // the booking itself stands
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = 'dasan-reservation.ics';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// -- an existing reservation (#join=<token>) ---------------------------------------------

async function showReservation(token) {
  const response = await post('/api/join', { token });
  const body = response ? await response.json().catch(() => ({})) : {};
  ui.booked.hidden = true;
  ui.form.hidden = false;
  ui.reservation.hidden = false;
  ui.reservationJoin.hidden = false;
  if (!response || !response.ok) {
    const error = body.error || { code: 'unreachable' };
    // The server refuses a token of the wrong shape (a link cut short, say) as a
    // malformed request; to the citizen it is a link that is no reservation.
    const unknown = error.code === 'invalid_payload' ? { code: 'join_token_unknown' } : error;
    refusal(ui.reservationDetail, unknown);
    ui.reservationJoin.hidden = true;
    return;
  }
  state.token = token;
  setMessage(ui.reservationDetail, body.can_join_now ? 'booking.reservation.open' : 'booking.reservation.later', {
    when: { moment: body.start, timeZone: state.timeZone },
    opens: { moment: body.join_opens_at, timeZone: state.timeZone },
    service: { key: `service.${body.service}` },
  });
  ui.reservationJoin.href = `/#join=${encodeURIComponent(token)}`;
}

async function main() {
  ui.service.addEventListener('change', () => {
    fillChoices();
    dropSlotsAsked();
    ui.slots.hidden = true;
    ui.details.hidden = true;
  });
  ui.language.addEventListener('change', () => {
    dropSlotsAsked();
    ui.slots.hidden = true;
    ui.details.hidden = true;
  });
  ui.showSlots.addEventListener('click', showSlots);
  ui.form.addEventListener('submit', book);
  ui.copyLink.addEventListener('click', copyLink);
  ui.downloadIcs.addEventListener('click', downloadIcs);
  onLocaleChange(() => {
    fillChoices();
    renderSlots();
  });
  await initI18n(ui.locale);
  fillChoices();
  const fromHash = async () => {
    const join = new URLSearchParams(window.location.hash.slice(1)).get('join');
    if (join) {
      await showReservation(join);
    }
  };
  window.addEventListener('hashchange', fromHash);
  await fromHash();
}

main();
