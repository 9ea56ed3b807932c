// The case page's recordings: each track with a player and a download link, the
// "make a combined video" button with its progress, and (for supervisors) the
// access audit of the case's recordings. Players load nothing until played:
// every request for a recording is an audited access.

import { clearMessage, intlLocale, setMessage, t } from './i18n.js';
import { api, formatSeconds, formatTime } from './records_common.js';

const POLL_MS = 1000;
const ROLES = Object.freeze(['citizen', 'interpreter', 'counselor', 'guest', 'supervisor', 'session']);
const KINDS = Object.freeze(['audio', 'video', 'composite']);

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function formatBytes(bytes) {
  const mb = bytes / (1024 * 1024);
  const unit = mb >= 1 ? 'MB' : 'kB';
  const value = mb >= 1 ? mb : bytes / 1024;
  return `${new Intl.NumberFormat(intlLocale(), { maximumFractionDigits: 1 }).format(value)} ${unit}`;
}

function roleLabel(role) {
  return ROLES.includes(role) ? t(`staff.recordings.role.${role}`) : role;
}

function kindLabel(kind) {
  return KINDS.includes(kind) ? t(`staff.recordings.kind.${kind}`) : kind;
}

export class RecordingsCard {
  /** `ui`: {list, note, combine, combineStatus}; `names`: staff id -> name. */
  constructor(ui) {
    this.ui = ui;
    this.caseId = null;
    this.tz = 'Asia/Seoul';
    this.data = null;
    this.job = null;
    this.timer = null;
    ui.combine.addEventListener('click', () => this.combine());
  }

  async load(caseId, tz) {
    this.stop();
    this.caseId = caseId;
    this.tz = tz;
    this.data = null;
    this.job = null;
    this.ui.list.replaceChildren();
    this.ui.combine.hidden = true;
    clearMessage(this.ui.combineStatus);
    setMessage(this.ui.note, 'staff.recordings.loading');
    const result = await api('GET', `/api/cases/${caseId}/recordings`);
    if (caseId !== this.caseId) {
      return; // another case was opened meanwhile
    }
    if (!result.ok) {
      setMessage(this.ui.note, 'staff.recordings.error', { message: result.error.message || result.error.code });
      return;
    }
    this.data = result.data;
    const running = this.data.composites.find((j) => j.state === 'queued' || j.state === 'running');
    this.job = running || null;
    this.render();
    if (running) {
      this.poll();
    }
  }

  render() {
    const { ui, data } = this;
    if (!data) {
      return;
    }
    const tracks = data.recordings;
    if (!data.configured) {
      setMessage(ui.note, 'staff.recordings.not_configured');
    } else if (tracks.length === 0) {
      setMessage(ui.note, 'staff.recordings.none');
    } else {
      clearMessage(ui.note);
    }
    ui.list.replaceChildren(...tracks.map((r) => this.item(r)));
    const combinable = tracks.some((r) => r.kind !== 'composite' && r.play_url);
    ui.combine.hidden = !data.configured || !combinable;
    ui.combine.disabled = Boolean(this.job);
    this.renderJob();
  }

  item(r) {
    const label = t('staff.recordings.item', {
      role: roleLabel(r.party_role),
      kind: kindLabel(r.kind),
      start: formatTime(r.started_at, this.tz, { seconds: true }),
      duration: formatSeconds(r.duration_seconds),
      size: formatBytes(r.bytes),
    });
    const li = element('li', { className: 'recording' });
    li.dataset.recordingId = r.id;
    li.dataset.kind = r.kind;
    li.append(element('p', { className: 'what' }, label));
    if (!r.play_url) {
      li.append(element('p', { className: 'note' }, t(`staff.recordings.status.${r.status}`)));
      return li;
    }
    const player = element(r.kind === 'audio' ? 'audio' : 'video', {
      controls: true,
      preload: 'none',
      src: r.play_url,
    });
    player.setAttribute('aria-label', t('staff.recordings.player_label', { item: label }));
    const download = element('a', { href: r.download_url, className: 'download' }, t('staff.recordings.download'));
    download.setAttribute('download', '');
    download.setAttribute('aria-label', t('staff.recordings.download_label', { item: label }));
    li.append(player, download);
    return li;
  }

  renderJob() {
    const job = this.job;
    if (!job) {
      return;
    }
    const params = job.state === 'failed' ? { code: job.error || '' } : {};
    setMessage(this.ui.combineStatus, `staff.recordings.combine.${job.state}`, params);
  }

  async combine() {
    this.ui.combine.disabled = true;
    const result = await api('POST', `/api/cases/${this.caseId}/composite`);
    if (!result.ok) {
      this.ui.combine.disabled = false;
      setMessage(this.ui.combineStatus, 'staff.recordings.combine.refused', {
        message: result.error.message || result.error.code,
      });
      return;
    }
    this.job = result.data;
    this.renderJob();
    this.poll();
  }

  poll() {
    this.stop();
    this.timer = window.setTimeout(async () => {
      const job = this.job;
      const result = await api('GET', `/api/composites/${job.id}`);
      if (!this.job || this.job.id !== job.id) {
        return;
      }
      if (result.ok) {
        this.job = result.data;
      }
      if (this.job.state === 'done') {
        const caseId = this.caseId;
        const done = this.job;
        await this.load(caseId, this.tz);
        this.job = done;
        this.ui.combine.disabled = false;
        this.renderJob();
        return;
      }
      this.renderJob();
      if (this.job.state === 'failed') {
        this.ui.combine.disabled = false;
        return;
      }
      this.poll();
    }, POLL_MS);
  }

  stop() {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

export class AuditCard {
  /** `ui`: {section, form, from, to, body, note}; `name(id)`: a staff name. */
  constructor(ui, name) {
    this.ui = ui;
    this.name = name;
    this.caseId = null;
    this.tz = 'Asia/Seoul';
    this.entries = [];
    this.asked = 0; // the loads asked for: only the last one's answer is drawn
    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.load(this.caseId, this.tz);
    });
  }

  async load(caseId, tz) {
    this.caseId = caseId;
    this.tz = tz;
    const params = new URLSearchParams({ case_id: caseId });
    for (const [key, input] of [['from', this.ui.from], ['to', this.ui.to]]) {
      if (input.value) {
        params.set(key, input.value);
      }
    }
    const asked = ++this.asked;
    const result = await api('GET', `/api/recordings/audit?${params}`);
    if (asked !== this.asked) {
      return; // another case, or another range of this one, was asked for since
    }
    if (!result.ok) {
      this.entries = [];
      this.render();
      setMessage(this.ui.note, 'staff.audit.error', { message: result.error.message || result.error.code });
      return;
    }
    this.entries = result.data.entries;
    this.render();
  }

  render() {
    const rows = this.entries.map((e) => {
      const when = element('th', { scope: 'row' }, formatTime(e.at, this.tz, { seconds: true }));
      const who = e.staff_id ? `${this.name(e.staff_id)} (${e.role})` : t('staff.audit.nobody');
      return element(
        'tr',
        {},
        when,
        element('td', {}, t(`staff.audit.action.${e.action}`)),
        element('td', {}, who),
        element('td', { className: 'id' }, e.recording_id ? e.recording_id.slice(0, 8) : '—'),
        element('td', {}, e.client_address || '—'),
      );
    });
    this.ui.body.replaceChildren(...rows);
    if (this.entries.length === 0) {
      setMessage(this.ui.note, 'staff.audit.none');
    } else {
      clearMessage(this.ui.note);
    }
  }
}
