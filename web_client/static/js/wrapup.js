// The wrap-up form an interpreter fills after a session (and a supervisor may
// correct): category from the center's taxonomy, summary, disposition and who
// it was forwarded to or who follows up. Saves with PUT /api/cases/{id}/wrapup.
//
//   import { WrapupForm } from './wrapup.js';
//   const form = new WrapupForm(container, { caseId, wrapup, onSaved });
//   await form.ready;            // the taxonomy is loaded and the form shown
//   form.destroy();              // removes it (e.g. when the next call starts)
//
// `wrapup` (optional) is a stored wrap-up to edit (GET /api/cases/{id}/record);
// `onSaved(wrapup)` runs after each successful save.

import { currentLocale, hasMessage, onLocaleChange, setMessage, t, translatePage } from './i18n.js';
import { api } from './records_common.js';

const SUMMARY_MAX = 4000;
const NAME_MAX = 100;
const DISPOSITIONS = Object.freeze(['answered', 'forwarded', 'follow_up']);
let counter = 0;

const STYLE = `
.wrapup { padding: 0.75rem 1rem; border-radius: var(--radius, 12px); background: var(--surface, #fff); }
.wrapup h2 { margin: 0 0 0.5rem; font-size: 1.05rem; }
.wrapup fieldset { border: 0; margin: 0 0 0.75rem; padding: 0; }
.wrapup legend { font-weight: 600; margin-bottom: 0.25rem; }
.wrapup .choices { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.wrapup .choices label { display: flex; align-items: center; gap: 0.4rem; min-height: 44px;
  padding: 0.25rem 0.75rem; border: 2px solid var(--line, #6b7280); border-radius: 8px; font-weight: 600; }
.wrapup .choices input { width: 1.2rem; min-height: auto; margin: 0; }
.wrapup .choices label:has(input:checked) { border-color: var(--brand, #0b4ea2); background: #eef4ff; }
.wrapup [aria-invalid="true"] { border-color: var(--danger, #b91c1c); }
.wrapup .counter { color: var(--muted, #4b5563); font-size: 0.9rem; text-align: right; }
.wrapup .saved { margin: 0; font-weight: 600; color: var(--ok, #166534); }
.wrapup .saved:empty, .wrapup .problem:empty { display: none; }
.wrapup .problem { margin: 0 0 0.5rem; color: var(--alert-ink, #7f1d1d); font-weight: 600; }
`;

function injectStyle() {
  if (!document.getElementById('dasan-wrapup-style')) {
    const style = document.createElement('style');
    style.id = 'dasan-wrapup-style';
    style.textContent = STYLE;
    document.head.append(style);
  }
}

function element(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) {
      node.setAttribute(name, value);
    }
  }
  node.append(...children);
  return node;
}

export class WrapupForm {
  constructor(container, { caseId, wrapup = null, onSaved = () => {} }) {
    injectStyle();
    this.caseId = caseId;
    this.onSaved = onSaved;
    this.taxonomy = null;
    this.id = `wrapup-${(counter += 1)}`;
    this.root = this.build();
    container.append(this.root);
    translatePage(this.root);
    this.fill(wrapup);
    this.stopListening = onLocaleChange(() => this.fillCategories());
    this.ready = this.load();
  }

  build() {
    const id = this.id;
    const f = (name) => `${id}-${name}`;
    this.problem = element('p', { id: f('problem'), class: 'problem', role: 'alert' });
    this.category = element('select', { id: f('category'), name: 'category', required: '' });
    this.summary = element('textarea', {
      id: f('summary'),
      name: 'summary',
      rows: '4',
      maxlength: String(SUMMARY_MAX),
      'aria-describedby': f('counter'),
    });
    this.counter = element('p', { id: f('counter'), class: 'counter', 'aria-live': 'polite' });
    this.radios = DISPOSITIONS.map((value) =>
      element('input', { type: 'radio', name: f('disposition'), value, id: f(`d-${value}`) }),
    );
    const choices = this.radios.map((radio) =>
      element('label', { for: radio.id }, [radio, element('span', { 'data-i18n': `staff.disposition.${radio.value}` })]),
    );
    this.forwardedTo = element('input', { id: f('forwarded'), name: 'forwarded_to', maxlength: String(NAME_MAX) });
    this.owner = element('input', { id: f('owner'), name: 'follow_up_owner', maxlength: String(NAME_MAX) });
    this.forwardedField = element('div', { class: 'field' }, [
      element('label', { for: this.forwardedTo.id, 'data-i18n': 'staff.wrapup.forwarded_to' }),
      this.forwardedTo,
    ]);
    this.ownerField = element('div', { class: 'field' }, [
      element('label', { for: this.owner.id, 'data-i18n': 'staff.wrapup.follow_up_owner' }),
      this.owner,
    ]);
    this.save = element('button', { type: 'submit', class: 'primary', 'data-i18n': 'staff.wrapup.save' });
    this.saved = element('p', { class: 'saved', role: 'status', 'aria-live': 'polite' });
    this.form = element('form', { class: 'wrapup', novalidate: '', 'aria-labelledby': f('heading') }, [
      element('h2', { id: f('heading'), 'data-i18n': 'staff.wrapup.heading' }),
      this.problem,
      element('div', { class: 'field' }, [
        element('label', { for: this.category.id, 'data-i18n': 'staff.wrapup.category' }),
        this.category,
      ]),
      element('div', { class: 'field' }, [
        element('label', { for: this.summary.id, 'data-i18n': 'staff.wrapup.summary' }),
        this.summary,
        this.counter,
      ]),
      element('fieldset', {}, [
        element('legend', { 'data-i18n': 'staff.wrapup.disposition' }),
        element('div', { class: 'choices' }, choices),
      ]),
      this.forwardedField,
      this.ownerField,
      element('div', { class: 'actions' }, [this.save]),
      this.saved,
    ]);
    this.form.dataset.caseId = this.caseId;
    this.form.addEventListener('submit', (event) => this.submit(event));
    this.form.addEventListener('change', () => this.showFields());
    this.summary.addEventListener('input', () => this.count());
    return this.form;
  }

  async load() {
    const result = await api('GET', '/api/taxonomy');
    if (!result.ok) {
      this.showProblem(result.error);
      return;
    }
    this.taxonomy = result.data;
    this.fillCategories();
    this.form.dataset.ready = 'true';
  }

  fill(wrapup) {
    this.initialCategory = wrapup ? wrapup.category : '';
    this.summary.value = (wrapup && wrapup.summary) || '';
    const disposition = wrapup ? wrapup.disposition : 'answered';
    for (const radio of this.radios) {
      radio.checked = radio.value === disposition;
    }
    this.forwardedTo.value = (wrapup && wrapup.forwarded_to) || '';
    this.owner.value = (wrapup && wrapup.follow_up_owner) || '';
    this.showFields();
    this.count();
  }

  fillCategories() {
    if (!this.taxonomy) {
      return;
    }
    const chosen = this.category.value || this.initialCategory;
    const label = (c) => (currentLocale() === 'ko' ? c.ko : c.en);
    const options = [element('option', { value: '' }, [t('staff.wrapup.category.choose')])];
    for (const c of this.taxonomy.categories) {
      // A retired category stays on the case it was given to, and only there.
      if (c.active || c.code === chosen) {
        options.push(element('option', { value: c.code }, [label(c)]));
      }
    }
    this.category.replaceChildren(...options);
    this.category.value = chosen;
    translatePage(this.root);
  }

  disposition() {
    const checked = this.radios.find((radio) => radio.checked);
    return checked ? checked.value : 'answered';
  }

  showFields() {
    const value = this.disposition();
    this.forwardedField.hidden = value !== 'forwarded';
    this.ownerField.hidden = value !== 'follow_up';
  }

  count() {
    setMessage(this.counter, 'staff.wrapup.counter', {
      used: this.summary.value.length,
      max: SUMMARY_MAX,
    });
  }

  fields() {
    return {
      category: this.category,
      summary: this.summary,
      forwarded_to: this.forwardedTo,
      follow_up_owner: this.owner,
    };
  }

  showProblem(error) {
    const key = `staff.wrapup.error.${error.code}`;
    this.problem.dataset.code = error.code;
    if (hasMessage(key)) {
      setMessage(this.problem, key);
    } else {
      setMessage(this.problem, 'staff.wrapup.error.other', { message: error.message || error.code });
    }
    const input = this.fields()[error.field];
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-errormessage', this.problem.id);
      input.focus();
    }
  }

  clearProblem() {
    delete this.problem.dataset.code;
    this.problem.textContent = '';
    delete this.problem.dataset.i18n;
    for (const input of Object.values(this.fields())) {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-errormessage');
    }
  }

  async submit(event) {
    event.preventDefault();
    this.clearProblem();
    this.saved.textContent = '';
    delete this.saved.dataset.i18n;
    if (!this.category.value) {
      this.showProblem({ code: 'choose_category', field: 'category' });
      return;
    }
    const disposition = this.disposition();
    const body = {
      category: this.category.value,
      summary: this.summary.value,
      disposition,
      forwarded_to: disposition === 'forwarded' ? this.forwardedTo.value : null,
      follow_up_owner: disposition === 'follow_up' ? this.owner.value : null,
    };
    this.save.disabled = true;
    const result = await api('PUT', `/api/cases/${this.caseId}/wrapup`, body);
    this.save.disabled = false;
    if (!result.ok) {
      this.showProblem(result.error);
      return;
    }
    this.initialCategory = result.data.category;
    setMessage(this.saved, 'staff.wrapup.saved');
    this.form.dataset.saved = 'true';
    this.onSaved(result.data);
  }

  destroy() {
    this.stopListening();
    this.root.remove();
  }
}
