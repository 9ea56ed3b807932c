// The case search and case page: staff find cases by date, service, language,
// interpreter, category and disposition, and open one to read its timeline, chat
// transcript, wrap-up and satisfaction (and correct the wrap-up when allowed).
// Supervisors see every case, interpreters the cases they answered.
// This module holds sign-in, the names shown and the routing, and wires the parts
// together: cases_search.js (the filters and the results) and cases_detail.js (one case).

import { CaseDetail } from './cases_detail.js';
import { CaseSearch } from './cases_search.js';
import { MessageArea, STAFF_LOCALES, currentLocale, initI18n, onLocaleChange, t } from './i18n.js';
import { SignIn, api } from './records_common.js';
import { AuditCard, RecordingsCard } from './recordings.js';

const $ = (id) => document.getElementById(id);
const READERS = Object.freeze(['interpreter', 'supervisor']);
const CASE_HASH = /^#case=([0-9a-f]{32})$/;

const ui = {
  locale: $('locale'),
  who: $('who'),
  logout: $('logout'),
  status: $('status'),
  loginForm: $('login-form'),
  username: $('username'),
  password: $('password'),
  login: $('login'),
  searchForm: $('search-form'),
  from: $('search-from'),
  to: $('search-to'),
  service: $('search-service'),
  language: $('search-language'),
  interpreter: $('search-interpreter'),
  interpreterField: $('search-interpreter-field'),
  category: $('search-category'),
  disposition: $('search-disposition'),
  count: $('results-count'),
  results: $('results-body'),
  more: $('more'),
  caseHeading: $('case-heading'),
  back: $('back'),
  erased: $('case-erased'),
  facts: $('case-facts'),
  timeline: $('case-timeline'),
  transcript: $('case-transcript'),
  transcriptEmpty: $('case-transcript-empty'),
  wrapup: $('case-wrapup'),
  noWrapup: $('case-no-wrapup'),
  feedback: $('case-feedback'),
  wrapupForm: $('case-wrapup-form'),
};
const errors = new MessageArea($('error'));
const state = {
  tz: 'Asia/Seoul',
  taxonomy: null,
  names: new Map(), // staff id -> display name
  cases: [], // the results shown
  cursor: null,
  opened: null, // {detail, record}
  form: null,
};

function setView(view) {
  document.body.dataset.state = view;
  for (const section of document.querySelectorAll('[data-view]')) {
    section.hidden = section.dataset.view !== view;
  }
}

const signIn = new SignIn({ ui, errors, setView, onSignedIn: enter });
const recordings = new RecordingsCard({
  list: $('recordings-list'),
  note: $('recordings-note'),
  combine: $('recordings-combine'),
  combineStatus: $('recordings-combine-status'),
});
const auditCard = new AuditCard(
  {
    form: $('audit-form'),
    from: $('audit-from'),
    to: $('audit-to'),
    body: $('audit-body'),
    note: $('audit-note'),
  },
  (id) => staffName(id),
);

// The page's parts share `page`: its elements, state and messages, and each other.
const page = { ui, state, errors, setView, signIn, recordings, auditCard, staffName, categoryLabel };
page.search = new CaseSearch(page);
page.detail = new CaseDetail(page);
const { search, detail } = page;

function categoryLabel(code) {
  const found = state.taxonomy && state.taxonomy.categories.find((c) => c.code === code);
  if (!found) {
    return code || '—';
  }
  return currentLocale() === 'ko' ? found.ko : found.en;
}

function staffName(id) {
  return id ? state.names.get(id) || t('staff.case.staff_member') : '';
}

async function enter(me) {
  if (!READERS.includes(me.role)) {
    errors.show('staff.cases.not_allowed');
    setView('login');
    return;
  }
  const taxonomy = await api('GET', '/api/taxonomy');
  state.taxonomy = taxonomy.ok ? taxonomy.data : null;
  ui.interpreterField.hidden = me.role !== 'supervisor';
  if (me.role === 'supervisor') {
    const people = await api('GET', '/api/cases/interpreters');
    for (const person of people.ok ? people.data.interpreters : []) {
      state.names.set(person.id, person.display_name);
    }
  } else {
    state.names.set(me.id, me.display_name);
  }
  search.fillFilters();
  await search.search(); // the newest cases first, whatever their day
  await route();
}

async function route() {
  const found = CASE_HASH.exec(window.location.hash);
  if (!signIn.me) {
    return;
  }
  if (!found) {
    detail.closeCase();
    return;
  }
  await detail.openCase(found[1]);
}

function wire() {
  ui.searchForm.addEventListener('submit', (event) => search.search(event));
  ui.more.addEventListener('click', () => search.search(null, state.cursor));
  ui.back.addEventListener('click', () => {
    window.location.hash = '';
  });
  window.addEventListener('hashchange', route);
  onLocaleChange(() => {
    search.fillFilters();
    search.renderResults();
    if (state.opened) {
      detail.renderCase();
      recordings.render();
      auditCard.render();
    }
  });
}

async function main() {
  wire();
  await initI18n(ui.locale, { locales: STAFF_LOCALES });
  await signIn.start();
}

main();
