// The supervisor dashboard's figures for today from the statistics API: tiles and two charts, reloaded after pushes.

import { COLORS, lines, stackedBars } from './charts.js';
import { clearMessage, setMessage, t } from './i18n.js';
import { api, formatNumber, formatSeconds, formatShare, formatTime } from './records_common.js';
import { clock, tile } from './supervisor_parts.js';

/** Today's figures follow the pushes, at most this often. */
const FIGURES_EVERY_MS = 10_000;

function countAndShare(count, whole) {
  if (!whole) {
    return formatNumber(count || 0);
  }
  return t('supervisor.today.count_share', { count: formatNumber(count), share: formatShare(count, whole) });
}

/** Axis labels for whole values only: a scale topped at 1 leaves its half unlabelled. */
function wholeOnly(format) {
  return (value) => (Number.isInteger(value) ? format(value) : '');
}

export class SupervisorFigures {
  /** `page`: the dashboard's {ui, state, signIn, stopLive}. */
  constructor(page) {
    this.page = page;
    this.ui = page.ui;
    this.state = page.state;
  }

  /** After a push: load the figures now, or when FIGURES_EVERY_MS has passed. */
  requestFigures() {
    const { state } = this;
    if (!state.live || state.figuresTimer !== null) {
      return;
    }
    const wait = Math.max(0, state.figuresAt + FIGURES_EVERY_MS - Date.now());
    state.figuresTimer = setTimeout(() => this.loadFigures(), wait);
  }

  async loadFigures() {
    const { ui, state, page } = this;
    state.figuresTimer = null;
    state.figuresAt = Date.now();
    const result = await api('GET', '/api/statistics?by=hour'); // today, in the center's zone
    if (!state.live) {
      return;
    }
    if (!result.ok) {
      if (page.signIn.handle(result)) {
        page.stopLive();
        return;
      }
      setMessage(ui.todayProblem, 'supervisor.today.error', { message: result.error.message || result.error.code });
      return;
    }
    clearMessage(ui.todayProblem);
    state.figures = result.data;
    state.figuresAsOf = Date.now();
    this.renderFigures();
  }

  renderFigures() {
    const { ui, state } = this;
    const data = state.figures;
    if (!data) {
      return;
    }
    setMessage(ui.todayAsOf, 'supervisor.today.as_of', { day: data.to, time: clock(state.figuresAsOf) });
    const total = data.totals[0] || null;
    const figure = (name) => (total ? total[name] : 0);
    ui.todayTiles.replaceChildren(
      tile('supervisor.today.requests', formatNumber(figure('requests')), { 'data-figure': 'requests' }),
      tile('supervisor.today.answered', countAndShare(figure('answered'), figure('requests')), {
        'data-figure': 'answered',
      }),
      tile('supervisor.today.within_60', countAndShare(figure('answered_within_60'), figure('answered')), {
        'data-figure': 'within_60',
      }),
      tile('supervisor.today.abandoned', countAndShare(figure('abandoned'), figure('requests')), {
        'data-figure': 'abandoned',
      }),
      tile('supervisor.today.wait_average', formatSeconds(total && total.wait_average), {
        'data-figure': 'wait_average',
      }),
    );
    this.renderCharts(data, total);
  }

  renderCharts(data, total) {
    const { ui } = this;
    const byBucket = new Map(data.rows.map((r) => [r.bucket, r]));
    const labels = data.buckets.map((b) => formatTime(b, data.time_zone, { date: false }));
    const pick = (name) => data.buckets.map((b) => (byBucket.has(b) ? byBucket.get(b)[name] : null));
    const open = data.buckets.map((b) => {
      const r = byBucket.get(b);
      return r ? Math.max(0, r.requests - r.answered - r.abandoned - r.unanswered) : null;
    });
    const figure = (name) => (total ? total[name] : 0);
    stackedBars(ui.chartRequests, {
      title: t('supervisor.chart.requests'),
      description: t('supervisor.chart.requests.description', {
        requests: figure('requests'),
        answered: figure('answered'),
        abandoned: figure('abandoned'),
        open: open.reduce((sum, n) => sum + (n || 0), 0),
      }),
      labels,
      series: [
        { name: t('staff.stats.column.answered'), color: COLORS.green, values: pick('answered') },
        { name: t('staff.stats.column.abandoned'), color: COLORS.red, values: pick('abandoned') },
        { name: t('staff.stats.column.unanswered'), color: COLORS.orange, values: pick('unanswered') },
        { name: t('supervisor.chart.open'), color: COLORS.grey, values: open },
      ],
      format: wholeOnly(formatNumber),
    });
    lines(ui.chartWait, {
      title: t('supervisor.chart.wait'),
      description: t('supervisor.chart.wait.description', {
        average: formatSeconds(total && total.wait_average),
      }),
      labels,
      series: [{ name: t('staff.stats.column.wait_average'), color: COLORS.blue, values: pick('wait_average') }],
      format: wholeOnly(formatSeconds),
    });
  }
}
