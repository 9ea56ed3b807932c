// The scheduler page's reservations: booking one, and moving, cancelling or relinking the one selected in the week.

import { setMessage, t } from './i18n.js';
import { clearRefusal, showRefusal } from './scheduler_api.js';

const CONFIRM_MS = 5000;

export const BOOK_FIELDS = (ui) => ({
  start: ui.bookTime,
  duration_minutes: ui.bookDuration,
  staff_id: ui.bookStaff,
  service: ui.bookService,
  language: ui.bookLanguage,
  citizen_name: ui.bookName,
  citizen_contact: ui.bookContact,
  notes: ui.bookNotes,
});

const MOVE_FIELDS = (ui) => ({ start: ui.moveTime, staff_id: ui.moveStaff, reservation_id: ui.moveDate });

function joinLinkBlock(join, result) {
  const url = new URL(join.path, window.location.origin).href;
  const label = document.createElement('label');
  label.htmlFor = `${result.id}-link`;
  setMessage(label, 'scheduler.link.label');
  const input = document.createElement('input');
  input.id = `${result.id}-link`;
  input.readOnly = true;
  input.value = url;
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'secondary';
  setMessage(copy, 'scheduler.link.copy');
  copy.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
      setMessage(copy, 'scheduler.link.copied');
    } catch {
      setMessage(copy, 'scheduler.link.copy_by_hand');
    }
  });
  const hint = document.createElement('p');
  hint.className = 'hint';
  setMessage(hint, 'scheduler.link.hint');
  return [label, input, copy, hint];
}

export class SchedulerReservations {
  /** `page`: the scheduler page's {ui, state, api, time, week}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
  }

  // -- book -----------------------------------------------------------------------------

  async book(event) {
    const { ui, state, page } = this;
    const { dayLabel, isoAt, localParts, mondayOf, span } = page.time;
    event.preventDefault();
    const fields = BOOK_FIELDS(ui);
    clearRefusal(ui.bookError, fields);
    ui.bookResult.replaceChildren();
    if (!ui.bookDate.value || !ui.bookTime.value) {
      showRefusal(ui.bookError, { code: 'missing_time', field: 'start' }, fields);
      return;
    }
    const body = {
      service: ui.bookService.value,
      language: ui.bookLanguage.value,
      start: isoAt(ui.bookDate.value, ui.bookTime.value),
      duration_minutes: Number(ui.bookDuration.value) || 30,
      staff_id: ui.bookStaff.value || null,
      citizen_name: ui.bookName.value.trim() || null,
      citizen_contact: ui.bookContact.value.trim() || null,
      notes: ui.bookNotes.value.trim() || null,
    };
    ui.bookSubmit.disabled = true;
    const result = await page.api('POST', '/api/reservations', body);
    ui.bookSubmit.disabled = false;
    if (!result.ok) {
      showRefusal(ui.bookError, result.error, fields);
      return;
    }
    const r = result.data;
    const done = document.createElement('p');
    setMessage(done, 'scheduler.book.done', {
      when: `${dayLabel(localParts(r.start).date)} ${span(r.start, r.end)}`,
      name: page.week.interpreterName(r.staff_id),
    });
    ui.bookResult.replaceChildren(done, ...joinLinkBlock(r.join, ui.bookResult));
    ui.bookName.value = '';
    ui.bookContact.value = '';
    ui.bookNotes.value = '';
    state.selectedId = r.id;
    await page.week.loadWeek(mondayOf(localParts(r.start).date));
  }

  // -- the selected reservation -------------------------------------------------------

  selectedReservation() {
    const { state } = this;
    return state.week && state.week.reservations.find((r) => r.id === state.selectedId);
  }

  showSelected() {
    const { ui, page } = this;
    const { dayLabel, localParts, span } = page.time;
    const r = this.selectedReservation();
    ui.selected.hidden = !r;
    if (!r) {
      return;
    }
    const lines = [
      `${dayLabel(localParts(r.start).date)} ${span(r.start, r.end)}`,
      `${t(`service.${r.service}`)} · ${t(`language.${r.language}`)}`,
      t('scheduler.selected.interpreter', { name: page.week.interpreterName(r.staff_id) }),
      t('scheduler.selected.status', { status: t(`scheduler.status_name.${r.status}`) }),
    ];
    if (r.citizen_name) {
      lines.push(t('scheduler.selected.citizen', { name: r.citizen_name }));
    }
    if (r.citizen_contact) {
      lines.push(t('scheduler.selected.contact', { contact: r.citizen_contact }));
    }
    if (r.notes) {
      lines.push(r.notes);
    }
    ui.selectedDetail.replaceChildren(...lines.flatMap((line, n) => (n ? [document.createElement('br'), line] : [line])));
    const changeable = r.status === 'booked';
    const moveSubmit = document.getElementById('move-submit');
    for (const control of [ui.moveDate, ui.moveTime, ui.moveStaff, moveSubmit, ui.cancel, ui.newLink]) {
      control.disabled = !changeable;
    }
    if (document.activeElement !== ui.moveDate && document.activeElement !== ui.moveTime) {
      ui.moveDate.value = localParts(r.start).date;
      ui.moveTime.value = localParts(r.start).time;
    }
    ui.selectedIcs.href = `/api/reservations/${r.id}/calendar.ics`;
  }

  select(id) {
    const { ui, state, page } = this;
    state.selectedId = id;
    this.disarmCancel();
    clearRefusal(ui.selectedError, MOVE_FIELDS(ui));
    ui.selectedResult.replaceChildren();
    page.week.render();
    ui.selected.scrollIntoView({ block: 'nearest' });
  }

  async move(event) {
    const { ui, page } = this;
    const { isoAt, localParts, mondayOf } = page.time;
    event.preventDefault();
    const r = this.selectedReservation();
    const fields = MOVE_FIELDS(ui);
    clearRefusal(ui.selectedError, fields);
    ui.selectedResult.replaceChildren();
    const body = { start: isoAt(ui.moveDate.value, ui.moveTime.value) };
    if (ui.moveStaff.value) {
      body.staff_id = ui.moveStaff.value;
    }
    const result = await page.api('PATCH', `/api/reservations/${r.id}`, body);
    if (!result.ok) {
      showRefusal(ui.selectedError, result.error, fields);
      return;
    }
    setMessage(ui.selectedResult, 'scheduler.move.done');
    await page.week.loadWeek(mondayOf(localParts(result.data.start).date));
  }

  async cancelReservation() {
    const { ui, state, page } = this;
    const r = this.selectedReservation();
    if (!state.cancelArmed) {
      // The first press asks for a second within CONFIRM_MS; then the button is as before.
      state.cancelArmed = Date.now();
      setMessage(ui.cancel, 'scheduler.cancel.confirm');
      this.cancelTimer = setTimeout(() => this.disarmCancel(), CONFIRM_MS);
      return;
    }
    this.disarmCancel();
    const result = await page.api('POST', `/api/reservations/${r.id}/cancel`);
    if (!result.ok) {
      showRefusal(ui.selectedError, result.error, MOVE_FIELDS(ui));
      return;
    }
    setMessage(ui.selectedResult, 'scheduler.cancel.done');
    await page.week.loadWeek(state.weekStart);
  }

  disarmCancel() {
    clearTimeout(this.cancelTimer);
    this.state.cancelArmed = 0;
    setMessage(this.ui.cancel, 'scheduler.cancel.submit');
  }

  async newLink() {
    const { ui, page } = this;
    const r = this.selectedReservation();
    const result = await page.api('POST', `/api/reservations/${r.id}/join-link`);
    if (!result.ok) {
      showRefusal(ui.selectedError, result.error, MOVE_FIELDS(ui));
      return;
    }
    ui.selectedResult.replaceChildren(...joinLinkBlock(result.data, ui.selectedResult));
  }
}
