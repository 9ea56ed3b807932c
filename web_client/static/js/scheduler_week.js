// The scheduler page's week: loading it, its table of shifts and reservations per interpreter, and the selects.

import { clearMessage, setMessage, t } from './i18n.js';

const LANGUAGES = Object.freeze({
  sign_language: ['ksl'],
  chat: ['ko'],
  foreign_language: ['en', 'zh', 'ja', 'vi', 'mn'],
});

function option(value, text) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

export class SchedulerWeek {
  /** `page`: the scheduler page's {ui, state, errors, api, time, reservations}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
  }

  async loadWeek(monday) {
    const { ui, state, errors, page } = this;
    state.weekStart = monday;
    setMessage(ui.status, 'scheduler.status.loading');
    const result = await page.api('GET', `/api/schedule?start=${monday}&days=7`);
    if (state.weekStart !== monday) {
      return; // a later click asked for another week: its answer draws the page
    }
    if (!result.ok) {
      if (result.status !== 401) {
        errors.show('scheduler.status.load_failed', {}, result.error.code);
      }
      return;
    }
    state.week = result.data;
    state.tz = result.data.time_zone;
    clearMessage(ui.status);
    this.render();
  }

  interpreterName(id) {
    const { state } = this;
    const found = state.week && state.week.interpreters.find((i) => i.id === id);
    return found ? found.display_name : id;
  }

  reservationText(r) {
    const { span } = this.page.time;
    const parts = [span(r.start, r.end), t(`language.${r.language}`)];
    if (r.citizen_name) {
      parts.push(r.citizen_name);
    }
    if (r.status !== 'booked') {
      parts.push(t(`scheduler.status_name.${r.status}`));
    }
    return parts.join(' · ');
  }

  itemButton(kind, id, text, label) {
    const { state } = this;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `item-${kind}`;
    button.dataset.kind = kind;
    button.dataset.id = id;
    button.textContent = text;
    button.setAttribute('aria-label', label);
    const pressed = kind === 'reservation' ? state.selectedId === id : state.shiftId === id;
    button.setAttribute('aria-pressed', String(pressed));
    return button;
  }

  render() {
    const { ui, state, page } = this;
    const { addDays, dayLabel, localParts, span } = page.time;
    const week = state.week;
    const days = Array.from({ length: 7 }, (_, n) => addDays(state.weekStart, n));
    const focused = document.activeElement && document.activeElement.dataset.id;
    setMessage(ui.weekLabel, 'scheduler.week.label', {
      from: dayLabel(days[0]),
      to: dayLabel(days[6]),
    });
    const now = localParts(week.now).date;
    const head = [document.createElement('th')];
    head[0].scope = 'col';
    head[0].textContent = t('scheduler.week.interpreter');
    for (const day of days) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = dayLabel(day);
      if (day === now) {
        th.className = 'today';
        th.setAttribute('aria-current', 'date');
      }
      head.push(th);
    }
    ui.weekHead.replaceChildren(...head);

    const rows = week.interpreters.map((person) => {
      const row = document.createElement('tr');
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = person.display_name;
      row.append(name);
      for (const day of days) {
        const cell = document.createElement('td');
        if (day === now) {
          cell.className = 'today';
        }
        const list = document.createElement('ul');
        list.className = 'day-items';
        const items = [];
        for (const shift of week.shifts) {
          if (shift.staff_id === person.id && localParts(shift.start).date === day) {
            const text = t('scheduler.week.shift', { span: span(shift.start, shift.end) });
            items.push([shift.start, this.itemButton('shift', shift.id, text, `${person.display_name}: ${text}`)]);
          }
        }
        for (const r of week.reservations) {
          if (r.staff_id === person.id && localParts(r.start).date === day) {
            const text = this.reservationText(r);
            const label = t('scheduler.week.reservation_label', {
              name: person.display_name,
              day: dayLabel(day),
              what: text,
            });
            const button = this.itemButton('reservation', r.id, text, label);
            button.dataset.status = r.status; // cancelled and no-show are struck through
            items.push([r.start, button]);
          }
        }
        items.sort((a, b) => a[0].localeCompare(b[0]));
        for (const [, button] of items) {
          const li = document.createElement('li');
          li.append(button);
          list.append(li);
        }
        cell.append(list);
        row.append(cell);
      }
      return row;
    });
    ui.weekBody.replaceChildren(...rows);
    ui.weekEmpty.hidden = week.interpreters.length > 0;
    this.fillStaffSelects();
    page.reservations.showSelected();
    if (focused) {
      const again = ui.weekBody.querySelector(`button[data-id="${focused}"]`);
      if (again) {
        again.focus();
      }
    }
  }

  fillServiceSelects() {
    const { ui } = this;
    const service = ui.bookService.value || 'sign_language';
    ui.bookService.replaceChildren(...Object.keys(LANGUAGES).map((s) => option(s, t(`service.${s}`))));
    ui.bookService.value = service;
    const languages = LANGUAGES[service];
    const language = ui.bookLanguage.value;
    ui.bookLanguage.replaceChildren(...languages.map((l) => option(l, t(`language.${l}`))));
    ui.bookLanguage.value = languages.includes(language) ? language : languages[0];
    ui.bookLanguageField.hidden = languages.length === 1;
  }

  fillStaffSelects() {
    const { ui, state } = this;
    const people = state.week ? state.week.interpreters : [];
    const skill = `${ui.bookService.value}/${ui.bookLanguage.value}`;
    const keep = (select, first) => {
      const value = select.value;
      select.replaceChildren(...first, ...people
        .filter((p) => select !== ui.bookStaff || p.skills.includes(skill))
        .map((p) => option(p.id, p.display_name)));
      if ([...select.options].some((o) => o.value === value)) {
        select.value = value;
      }
    };
    keep(ui.bookStaff, [option('', t('scheduler.field.interpreter.auto'))]);
    keep(ui.moveStaff, [option('', t('scheduler.field.interpreter.keep'))]);
    keep(ui.shiftStaff, []);
  }
}
