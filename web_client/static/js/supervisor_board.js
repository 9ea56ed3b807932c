// The supervisor dashboard's live board: its tables and now tiles, the waits ticking, and the long-wait alert.

import { clearMessage, setMessage, t, titleCue } from './i18n.js';
import { STAFF_STATUS } from './protocol.js';
import { formatNumber, formatSeconds } from './records_common.js';
import {
  badge,
  cell,
  clock,
  languageName,
  reasonName,
  row,
  serviceName,
  showRows,
  stateName,
  tile,
} from './supervisor_parts.js';

export class SupervisorBoard {
  /** `page`: the dashboard's {ui, state, listenIn, clock}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
  }

  // -- rendering -------------------------------------------------------------------------

  renderQueues() {
    const { ui, state } = this;
    const { ticking } = this.page.clock;
    const queues = [...state.queues].sort((a, b) => a.since - b.since);
    const rows = queues.map((q) => {
      const over = badge(t('supervisor.queues.over'), { class: 'badge over', hidden: '' });
      return row(
        [
          cell('service', serviceName(q.service), { header: true }),
          cell('language', languageName(q.language)),
          cell('waiting', formatNumber(q.waiting)),
          cell('longest_wait', [ticking(q.since), over]),
        ],
        { 'data-since': String(q.since), 'data-queue': `${q.service}/${q.language}` },
      );
    });
    showRows(ui.queues, ui.queuesBody, ui.queuesEmpty, rows);
  }

  renderSessions() {
    const { ui, state } = this;
    const { listenIn } = this.page;
    const { ticking } = this.page.clock;
    const rows = state.sessions.map((s) =>
      row(
        [
          cell('interpreter', s.staff_name || '—', { header: true }),
          cell('service', serviceName(s.service)),
          cell('language', languageName(s.language)),
          cell('duration', ticking(s.since)),
          cell(
            'connection',
            s.reconnecting
              ? badge(t('supervisor.sessions.reconnecting'), { class: 'badge reconnecting' })
              : badge(t('supervisor.sessions.connected'), { class: 'badge connected' }),
          ),
          cell('listen', listenIn.button(s)),
        ],
        { 'data-room': s.room_id, 'data-reconnecting': String(Boolean(s.reconnecting)) },
      ),
    );
    showRows(ui.sessions, ui.sessionsBody, ui.sessionsEmpty, rows);
  }

  renderStaff() {
    const { ui, state } = this;
    const { ticking } = this.page.clock;
    const people = [...state.staff.values()].sort((a, b) =>
      String(a.display_name).localeCompare(String(b.display_name)),
    );
    const rows = people.map((p) =>
      row(
        [
          cell('name', p.display_name, { header: true }),
          cell('state', badge(stateName(p.status), { 'data-status': p.status })),
          cell('reason', reasonName(p.reason)),
          cell('time_in_state', ticking(p.sinceMs)),
        ],
        { 'data-staff': p.staff_id, 'data-status': p.status },
      ),
    );
    showRows(ui.staff, ui.staffBody, ui.staffEmpty, rows);
  }

  renderNow() {
    const { ui, state } = this;
    const { ticking } = this.page.clock;
    const people = [...state.staff.values()];
    const count = (status) => people.filter((p) => p.status === status).length;
    const waiting = state.queues.reduce((sum, q) => sum + q.waiting, 0);
    const oldest = state.queues.length ? Math.min(...state.queues.map((q) => q.since)) : null;
    ui.nowTiles.replaceChildren(
      tile('supervisor.now.waiting', formatNumber(waiting), { 'data-figure': 'waiting' }),
      tile('supervisor.now.longest_wait', oldest === null ? '—' : ticking(oldest), {
        'data-figure': 'longest_wait',
        'data-since': oldest === null ? '' : String(oldest),
      }),
      tile('supervisor.now.available', formatNumber(count(STAFF_STATUS.AVAILABLE)), { 'data-figure': 'available' }),
      tile('supervisor.now.in_session', formatNumber(state.sessions.length), { 'data-figure': 'in_session' }),
      tile('supervisor.now.away', formatNumber(count(STAFF_STATUS.AWAY) + count(STAFF_STATUS.WRAP_UP)), {
        'data-figure': 'away',
      }),
    );
  }

  renderUpdated() {
    const { ui, state } = this;
    if (state.at === null) {
      clearMessage(ui.updated);
      return;
    }
    const key = document.body.dataset.connection === 'live' ? 'supervisor.updated' : 'supervisor.updated_stale';
    setMessage(ui.updated, key, { time: clock(state.at) });
  }

  render() {
    this.renderQueues();
    this.renderSessions();
    this.renderStaff();
    this.renderNow();
    this.renderUpdated();
    this.tick();
  }

  // -- every second: the waits grow, the alert follows -----------------------------------------

  tick() {
    const { ui, state } = this;
    const { serverNow, secondsSince } = this.page.clock;
    for (const span of document.querySelectorAll('.board .tick[data-since]')) {
      span.textContent = formatSeconds(secondsSince(Number(span.dataset.since)));
    }
    const limitMs = state.limitS * 1000;
    const over = [];
    for (const tr of ui.queuesBody.querySelectorAll('tr[data-since]')) {
      const isOver = serverNow() - Number(tr.dataset.since) >= limitMs;
      tr.dataset.over = String(isOver);
      tr.querySelector('.badge.over').hidden = !isOver;
    }
    for (const q of state.queues) {
      if (serverNow() - q.since >= limitMs) {
        over.push(q);
      }
    }
    const longest = ui.nowTiles.querySelector('[data-figure="longest_wait"]');
    if (longest) {
      longest.dataset.over = String(Boolean(longest.dataset.since) && serverNow() - Number(longest.dataset.since) >= limitMs);
    }
    this.showAlert(over);
  }

  /** The banner names the queues past the limit; it changes only when they change. */
  showAlert(over) {
    const { ui, state } = this;
    const what = over.map((q) => `${q.service}/${q.language}`).join(',');
    const saying = `${state.limitS}|${what}`;
    if (saying === state.alerting) {
      return;
    }
    const wasOn = document.body.dataset.alert === 'on';
    state.alerting = saying;
    if (over.length === 0) {
      ui.alert.textContent = '';
      delete ui.alert.dataset.queues;
      document.body.dataset.alert = 'off';
      return;
    }
    const queues = over.map((q) => `${serviceName(q.service)} · ${languageName(q.language)}`).join(', ');
    ui.alert.textContent = t('supervisor.alert', { limit: formatSeconds(state.limitS), queues });
    ui.alert.dataset.queues = what;
    document.body.dataset.alert = 'on';
    if (!wasOn) {
      titleCue('supervisor.title_alert'); // in the tab strip, when this tab is not shown
    }
  }

  clearAlert() {
    const { ui, state } = this;
    state.alerting = null;
    ui.alert.textContent = '';
    delete ui.alert.dataset.queues;
    document.body.dataset.alert = 'off';
  }
}
