// Dates on the scheduler page, in the center's time zone (`state.tz`), whatever the scheduler's computer is set to.

import { currentLocale } from './i18n.js';

/** The date helpers, reading the center's time zone from `state.tz` at each call. */
export function centerTime(state) {
  function localParts(iso) {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: state.tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date(iso));
    const get = (type) => parts.find((p) => p.type === type).value;
    return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}` };
  }

  function offsetMinutes(epochMs) {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: state.tz, timeZoneName: 'longOffset' })
      .formatToParts(new Date(epochMs))
      .find((p) => p.type === 'timeZoneName').value; // "GMT+09:00" or "GMT"
    const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
    if (!match) {
      return 0;
    }
    const minutes = Number(match[2]) * 60 + Number(match[3] || 0);
    return match[1] === '-' ? -minutes : minutes;
  }

  /** An ISO 8601 time with the center's UTC offset for a local date and HH:MM. */
  function isoAt(date, time) {
    const [y, m, d] = date.split('-').map(Number);
    const [hh, mm] = time.split(':').map(Number);
    const wall = Date.UTC(y, m - 1, d, hh, mm);
    let offset = offsetMinutes(wall - offsetMinutes(wall) * 60000);
    offset = offsetMinutes(wall - offset * 60000);
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    const pad = (n) => String(n).padStart(2, '0');
    return `${date}T${time}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }

  function addDays(date, days) {
    const [y, m, d] = date.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
  }

  function mondayOf(date) {
    const [y, m, d] = date.split('-').map(Number);
    const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
    return addDays(date, -weekday);
  }

  function today() {
    return localParts(new Date().toISOString()).date;
  }

  function dayLabel(date) {
    const [y, m, d] = date.split('-').map(Number);
    return new Intl.DateTimeFormat(currentLocale(), {
      weekday: 'short',
      month: 'numeric',
      day: 'numeric',
      timeZone: 'UTC',
    }).format(new Date(Date.UTC(y, m - 1, d)));
  }

  function span(start, end) {
    return `${localParts(start).time}–${localParts(end).time}`;
  }

  return { localParts, offsetMinutes, isoAt, addDays, mondayOf, today, dayLabel, span };
}
