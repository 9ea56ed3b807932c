// The scheduler page's shifts: adding one, and changing or removing the one chosen in the week.

import { clearMessage, setMessage } from './i18n.js';
import { clearRefusal, showRefusal } from './scheduler_api.js';

const SHIFT_FIELDS = (ui) => ({ staff_id: ui.shiftStaff, start: ui.shiftStart, end: ui.shiftEnd });

export class SchedulerShifts {
  /** `page`: the scheduler page's {ui, state, api, time, week}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
  }

  editShift(id) {
    const { ui, state, page } = this;
    const { localParts } = page.time;
    const shift = state.week.shifts.find((s) => s.id === id);
    state.shiftId = shift ? id : null;
    clearRefusal(ui.shiftError, SHIFT_FIELDS(ui));
    clearMessage(ui.shiftResult);
    if (shift) {
      ui.shiftStaff.value = shift.staff_id;
      ui.shiftDate.value = localParts(shift.start).date;
      ui.shiftStart.value = localParts(shift.start).time;
      ui.shiftEnd.value = localParts(shift.end).time;
    }
    ui.shiftStaff.disabled = Boolean(shift);
    ui.shiftRemove.hidden = !shift;
    ui.shiftNew.hidden = !shift;
    setMessage(ui.shiftSubmit, shift ? 'scheduler.shift.save' : 'scheduler.shift.add');
    page.week.render();
    if (shift) {
      ui.shiftDate.focus();
    }
  }

  async saveShift(event) {
    const { ui, state, page } = this;
    const { addDays, isoAt, mondayOf } = page.time;
    event.preventDefault();
    const fields = SHIFT_FIELDS(ui);
    clearRefusal(ui.shiftError, fields);
    clearMessage(ui.shiftResult);
    if (!ui.shiftDate.value || !ui.shiftStart.value || !ui.shiftEnd.value || !ui.shiftStaff.value) {
      showRefusal(ui.shiftError, { code: 'missing_time', field: 'start' }, fields);
      return;
    }
    const endDate = ui.shiftEnd.value <= ui.shiftStart.value ? addDays(ui.shiftDate.value, 1) : ui.shiftDate.value;
    const times = {
      start: isoAt(ui.shiftDate.value, ui.shiftStart.value),
      end: isoAt(endDate, ui.shiftEnd.value),
    };
    const result = state.shiftId
      ? await page.api('PUT', `/api/shifts/${state.shiftId}`, times)
      : await page.api('POST', '/api/shifts', { staff_id: ui.shiftStaff.value, ...times });
    if (!result.ok) {
      showRefusal(ui.shiftError, result.error, fields);
      return;
    }
    // An added shift leaves the form adding: the next day's shift is one date away.
    setMessage(ui.shiftResult, 'scheduler.shift.saved');
    await page.week.loadWeek(mondayOf(ui.shiftDate.value));
  }

  async removeShift() {
    const { ui, state, page } = this;
    const result = await page.api('DELETE', `/api/shifts/${state.shiftId}`);
    if (!result.ok) {
      showRefusal(ui.shiftError, result.error, SHIFT_FIELDS(ui));
      return;
    }
    this.editShift(null);
    setMessage(ui.shiftResult, 'scheduler.shift.removed');
    await page.week.loadWeek(state.weekStart);
  }
}
