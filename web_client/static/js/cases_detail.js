// The case records page's one case: opening and closing it, its facts, timeline,
// chat transcript, wrap-up and satisfaction, and the wrap-up form where allowed.

import { hasMessage, setMessage, t } from './i18n.js';
import { api, formatSeconds, formatTime } from './records_common.js';
import { WrapupForm } from './wrapup.js';

const $ = (id) => document.getElementById(id);

function facts(list, pairs) {
  const nodes = [];
  for (const [key, value] of pairs) {
    const dt = document.createElement('dt');
    dt.textContent = t(key);
    const dd = document.createElement('dd');
    dd.textContent = value;
    nodes.push(dt, dd);
  }
  list.replaceChildren(...nodes);
}

/** A message, or `fallback` when the catalogs have none (a value newer than the page). */
function known(key, fallback) {
  return hasMessage(key) ? { key } : fallback;
}

export class CaseDetail {
  /** `page`: the case records page's {ui, state, errors, setView, signIn, recordings,
   * auditCard, staffName, categoryLabel, search}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
    this.errors = page.errors;
    this.asked = 0; // the cases opened and closed: only the last one's answers are drawn
  }

  closeCase() {
    const { ui, state, page } = this;
    this.asked += 1; // a case still loading is no longer wanted
    const shown = state.opened && state.opened.detail.id;
    state.opened = null;
    page.recordings.stop();
    if (state.form) {
      state.form.destroy();
      state.form = null;
    }
    page.setView('search');
    const again = shown && ui.results.querySelector(`button[data-case-id="${shown}"]`);
    if (again) {
      again.focus();
    }
  }

  async openCase(caseId) {
    const { ui, state, errors, page } = this;
    errors.clear();
    const asked = ++this.asked;
    const [detail, record] = await Promise.all([
      api('GET', `/api/cases/${caseId}`),
      api('GET', `/api/cases/${caseId}/record`),
    ]);
    if (asked !== this.asked) {
      return; // the page went back to the list or to another case meanwhile
    }
    if (!detail.ok || !record.ok) {
      const failed = detail.ok ? record : detail;
      if (!page.signIn.handle(failed)) {
        errors.show(`staff.cases.open_error.${failed.status === 404 ? 'not_found' : 'other'}`, {}, failed.error.code);
        page.setView('search');
      }
      return;
    }
    state.opened = { detail: detail.data, record: record.data };
    page.setView('case');
    this.renderCase();
    this.renderWrapupForm();
    ui.caseHeading.focus();
    const supervisor = page.signIn.me.role === 'supervisor';
    $('audit-card').hidden = !supervisor;
    await page.recordings.load(caseId, state.tz);
    if (supervisor && asked === this.asked) {
      await page.auditCard.load(caseId, state.tz);
    }
  }

  /** Who a room event names (detail `role` or `role:ref`): the role, and the staff
   * member's name when it is staff (a guest's reference is never shown). */
  partyText(e) {
    const role = (e.detail || '').split(':')[0];
    const key = `staff.recordings.role.${role}`;
    const roleText = role && hasMessage(key) ? t(key) : role || t('staff.event.someone');
    return e.staff_id ? t('staff.event.party_named', { role: roleText, name: this.page.staffName(e.staff_id) }) : roleText;
  }

  /** One line of the timeline in words; `staff_id` and `detail` hold what each kind's
   * docstring in counseling.cases.EventKind says. */
  eventText(e) {
    const { staffName } = this.page;
    const who = staffName(e.staff_id);
    switch (e.kind) {
      case 'ended':
        return t('staff.event.ended', { reason: e.detail ? { key: `staff.end_reason.${e.detail}` } : '' });
      case 'party_joined':
      case 'party_left':
      case 'consent_given':
      case 'consent_declined':
      case 'consent_withdrawn':
        return t(`staff.event.${e.kind}`, { party: this.partyText(e) });
      case 'counselor_requested':
        return t('staff.event.counselor_requested', {
          who,
          department: known(`staff.room.department.${e.detail}`, e.detail || '—'),
        });
      case 'transfer_requested':
        // staff_id: the interpreter named, if any; detail: who asked.
        return t(e.staff_id ? 'staff.event.transfer_requested' : 'staff.event.transfer_requested.anyone', {
          by: staffName(e.detail),
          who,
        });
      case 'transferred':
        return t('staff.event.transferred', { from: staffName(e.detail), who });
      case 'join_request_cancelled': {
        const key = `staff.event.join_request_cancelled.${e.detail}`;
        return t(hasMessage(key) ? key : 'staff.event.join_request_cancelled', { who });
      }
      default:
        return t(`staff.event.${e.kind}`, { who });
    }
  }

  renderCase() {
    const { ui, state, page } = this;
    const { staffName } = page;
    const { detail: c, record } = state.opened;
    const tz = state.tz;
    setMessage(ui.caseHeading, 'staff.case.heading', {
      service: { key: `service.${c.service}` },
      when: formatTime(c.requested_at, tz),
    });
    const reservation = c.events.find((e) => e.kind === 'reservation');
    facts(ui.facts, [
      ['staff.case.service', `${t(`service.${c.service}`)} · ${t(`language.${c.language}`)}`],
      ['staff.case.channel', t(`staff.channel.${c.channel}`)],
      ['staff.case.status', c.status === 'ended' ? t(`staff.end_reason.${c.end_reason}`) : t(`staff.case_status.${c.status}`)],
      ['staff.case.requested', formatTime(c.requested_at, tz, { seconds: true })],
      ['staff.case.answered', formatTime(c.answered_at, tz, { seconds: true })],
      ['staff.case.ended', formatTime(c.ended_at, tz, { seconds: true })],
      ['staff.case.wait', formatSeconds(c.wait_seconds)],
      ['staff.case.handle', formatSeconds(c.handle_seconds)],
      ['staff.case.interpreter', staffName(c.interpreter_id) || '—'],
      ['staff.case.ended_by', c.ended_by ? t(`staff.party.${c.ended_by}`) : '—'],
      ['staff.case.reservation', reservation ? reservation.detail : '—'],
      ['staff.case.id', c.id],
    ]);
    ui.timeline.replaceChildren(
      ...c.events.map((e) => {
        const li = document.createElement('li');
        const time = document.createElement('time');
        time.dateTime = e.at;
        time.textContent = formatTime(e.at, tz, { date: false, seconds: true });
        const what = document.createElement('span');
        what.textContent = this.eventText(e);
        li.append(time, what);
        return li;
      }),
    );
    ui.transcript.replaceChildren(
      ...c.transcript.map((m) => {
        const li = document.createElement('li');
        li.dataset.sender = m.sender;
        const who = document.createElement('span');
        who.className = 'who';
        who.textContent = m.sender === 'interpreter' ? staffName(m.sender_id) : t('chat.sender.citizen');
        const time = document.createElement('time');
        time.dateTime = m.at;
        time.textContent = formatTime(m.at, tz, { date: false, seconds: true });
        const text = document.createElement('p');
        text.className = 'text';
        text.textContent = m.text;
        li.append(who, time, text);
        return li;
      }),
    );
    ui.transcriptEmpty.hidden = c.transcript.length > 0;
    this.renderRecord(record);
  }

  renderRecord(record) {
    const { ui, state, page } = this;
    const tz = state.tz;
    const w = record.wrapup;
    if (record.erased_at) {
      setMessage(ui.erased, 'staff.case.erased', { when: formatTime(record.erased_at, tz) });
    } else {
      ui.erased.textContent = '';
      delete ui.erased.dataset.i18n;
    }
    ui.noWrapup.hidden = Boolean(w);
    facts(
      ui.wrapup,
      w
        ? [
            ['staff.wrapup.category', page.categoryLabel(w.category)],
            ['staff.wrapup.summary', w.summary || '—'],
            ['staff.wrapup.disposition', t(`staff.disposition.${w.disposition}`)],
            ...(w.forwarded_to ? [['staff.wrapup.forwarded_to', w.forwarded_to]] : []),
            ...(w.follow_up_owner ? [['staff.wrapup.follow_up_owner', w.follow_up_owner]] : []),
            ['staff.wrapup.written', `${page.staffName(w.written_by)} · ${formatTime(w.updated_at, tz)}`],
          ]
        : [],
    );
    const f = record.feedback;
    facts(ui.feedback, [
      ['staff.case.satisfaction', f && f.score !== null ? t('staff.case.score', { score: f.score }) : t('staff.case.not_rated')],
      ...(f && f.comment ? [['staff.case.comment', f.comment]] : []),
    ]);
  }

  renderWrapupForm() {
    const { ui, state, page } = this;
    if (state.form) {
      state.form.destroy();
      state.form = null;
    }
    const { detail: c, record } = state.opened;
    const me = page.signIn.me;
    const mayWrite = me.role === 'supervisor' || c.interpreter_id === me.id;
    if (!mayWrite || !c.answered_at || record.erased_at) {
      return;
    }
    state.form = new WrapupForm(ui.wrapupForm, {
      caseId: c.id,
      wrapup: record.wrapup,
      onSaved: (wrapup) => {
        state.opened.record = { ...state.opened.record, wrapup };
        const row = state.cases.find((x) => x.id === c.id);
        if (row) {
          row.category = wrapup.category;
          row.disposition = wrapup.disposition;
          page.search.renderResults();
        }
        this.renderRecord(state.opened.record);
      },
    });
  }
}
