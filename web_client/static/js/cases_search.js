// The case records page's search: the filters, the query, and the list of cases found.

import { setMessage, t } from './i18n.js';
import { api, formatSeconds, formatTime } from './records_common.js';

const LANGUAGES = Object.freeze(['ksl', 'ko', 'en', 'zh', 'ja', 'vi', 'mn']);
const SERVICES = Object.freeze(['sign_language', 'chat', 'foreign_language']);
const DISPOSITIONS = Object.freeze(['answered', 'forwarded', 'follow_up']);

function option(value, text) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = text;
  return element;
}

function fillSelect(select, items) {
  const value = select.value;
  select.replaceChildren(option('', t('staff.cases.any')), ...items.map(([v, text]) => option(v, text)));
  select.value = [...select.options].some((o) => o.value === value) ? value : '';
}

function outcome(c) {
  if (c.status !== 'ended') {
    return t(`staff.case_status.${c.status}`);
  }
  return t(`staff.end_reason.${c.end_reason}`);
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  return td;
}

export class CaseSearch {
  /** `page`: the case records page's {ui, state, errors, signIn, categoryLabel}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
    this.asked = 0; // the searches asked for: only the last one's answer is drawn
    this.shown = ''; // the filters of the cases shown, which "More" goes on with
  }

  fillFilters() {
    const { ui, state, page } = this;
    fillSelect(ui.service, SERVICES.map((s) => [s, t(`service.${s}`)]));
    fillSelect(ui.language, LANGUAGES.map((l) => [l, t(`language.${l}`)]));
    fillSelect(ui.disposition, DISPOSITIONS.map((d) => [d, t(`staff.disposition.${d}`)]));
    const categories = state.taxonomy ? state.taxonomy.categories : [];
    fillSelect(ui.category, categories.map((c) => [c.code, page.categoryLabel(c.code)]));
    fillSelect(ui.interpreter, [...state.names].map(([id, name]) => [id, name]));
  }

  /** The filters the form says now. */
  filters() {
    const { ui } = this;
    const params = new URLSearchParams();
    for (const [name, input] of Object.entries({
      from: ui.from,
      to: ui.to,
      service: ui.service,
      language: ui.language,
      interpreter: ui.interpreter,
      category: ui.category,
      disposition: ui.disposition,
    })) {
      if (input.value && !(name === 'interpreter' && ui.interpreterField.hidden)) {
        params.set(name, input.value);
      }
    }
    return params;
  }

  /** A new search with the form's filters, or with `cursor` the next page of the
   * cases shown (their filters, whatever the form says now). */
  async search(event, cursor = null) {
    const { ui, state, errors, page } = this;
    if (event) {
      event.preventDefault();
    }
    errors.clear();
    setMessage(ui.status, 'staff.cases.searching');
    const asked = ++this.asked;
    const filters = cursor ? new URLSearchParams(this.shown) : this.filters();
    const params = new URLSearchParams(filters);
    if (cursor) {
      params.set('cursor', cursor);
    } else {
      ui.more.hidden = true; // the next page of the cases shown is no longer asked for
    }
    const result = await api('GET', `/api/cases/search?${params}`);
    if (asked !== this.asked) {
      return; // a later search asked for other cases: its answer draws the list
    }
    ui.status.textContent = '';
    delete ui.status.dataset.i18n;
    if (!result.ok) {
      if (!page.signIn.handle(result)) {
        errors.show('staff.cases.error', { message: result.error.message || result.error.code }, result.error.code);
      }
      ui.more.hidden = !state.cursor; // the cases shown are kept, and their next page
      return;
    }
    this.shown = filters.toString();
    state.tz = result.data.time_zone;
    state.cases = cursor ? [...state.cases, ...result.data.cases] : result.data.cases;
    state.cursor = result.data.next_cursor;
    for (const c of result.data.cases) {
      if (c.interpreter_id && c.interpreter_name) {
        state.names.set(c.interpreter_id, c.interpreter_name);
      }
    }
    this.renderResults();
  }

  renderResults() {
    const { ui, state, page } = this;
    const rows = state.cases.map((c) => {
      const row = document.createElement('tr');
      const when = document.createElement('th');
      when.scope = 'row';
      when.textContent = formatTime(c.requested_at, state.tz);
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'secondary';
      open.dataset.caseId = c.id;
      open.textContent = t('staff.cases.open');
      open.setAttribute('aria-label', t('staff.cases.open_label', { when: when.textContent }));
      open.addEventListener('click', () => {
        window.location.hash = `case=${c.id}`;
      });
      const openCell = document.createElement('td');
      openCell.append(open);
      row.append(
        when,
        cell(`${t(`service.${c.service}`)} · ${t(`language.${c.language}`)}`),
        cell(c.interpreter_name || '—'),
        cell(outcome(c)),
        cell(formatSeconds(c.wait_seconds), 'number'),
        cell(formatSeconds(c.handle_seconds), 'number'),
        cell(c.category ? page.categoryLabel(c.category) : '—'),
        cell(c.disposition ? t(`staff.disposition.${c.disposition}`) : '—'),
        cell(c.score === null ? '—' : String(c.score), 'number'),
        openCell,
      );
      return row;
    });
    ui.results.replaceChildren(...rows);
    setMessage(ui.count, state.cases.length ? 'staff.cases.count' : 'staff.cases.none', {
      count: state.cases.length,
    });
    ui.more.hidden = !state.cursor;
  }
}
