// Small charts drawn as inline SVG: stacked bars and lines over time buckets, and
// plain bars. Each chart is an image with a title and a description for screen
// readers (the figures are also in the page's table) and an HTML legend.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 480;
const HEIGHT = 240;
const PAD = { top: 14, right: 10, bottom: 34, left: 56 };
const FONT = 15;
let counter = 0;

/** Colors that keep 3:1 against white (WCAG 1.4.11) and differ in lightness. */
export const COLORS = Object.freeze({
  blue: '#0b4ea2',
  green: '#166534',
  red: '#b91c1c',
  orange: '#b45309',
  grey: '#4b5563',
});

function node(tag, attrs = {}, text = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    element.setAttribute(name, String(value));
  }
  if (text !== null) {
    element.textContent = text;
  }
  return element;
}

/** A round top for the scale: 1, 2, 5, 10, 20, 50... at or above `value`. */
export function niceMax(value) {
  if (!(value > 0)) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) {
      return step * power;
    }
  }
  return 10 * power;
}

function frame(figure, { title, description, legend }) {
  counter += 1;
  const id = `chart-${counter}`;
  const caption = document.createElement('figcaption');
  caption.id = `${id}-caption`;
  caption.textContent = title;
  const svg = node('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-labelledby': `${id}-title ${id}-desc`,
    preserveAspectRatio: 'xMidYMid meet',
  });
  svg.append(node('title', { id: `${id}-title` }, title), node('desc', { id: `${id}-desc` }, description));
  const list = document.createElement('ul');
  list.className = 'legend';
  for (const [name, color] of legend) {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.setAttribute('aria-hidden', 'true');
    swatch.style.background = color;
    item.append(swatch, name);
    list.append(item);
  }
  figure.replaceChildren(caption, svg, list);
  return svg;
}

function axes(svg, top, labels, format) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const baseline = PAD.top + plotH;
  for (const share of [0, 0.5, 1]) {
    const y = baseline - share * plotH;
    svg.append(
      node('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y, stroke: '#d1d5db', 'stroke-width': 1 }),
      node('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end', 'font-size': FONT, fill: COLORS.grey }, format(top * share)),
    );
  }
  const every = Math.max(1, Math.ceil(labels.length / 6));
  const step = plotW / Math.max(labels.length, 1);
  labels.forEach((label, n) => {
    if (n % every === 0) {
      const x = PAD.left + step * (n + 0.5);
      svg.append(node('text', { x, y: HEIGHT - 12, 'text-anchor': 'middle', 'font-size': FONT, fill: COLORS.grey }, label));
    }
  });
  return { plotW, plotH, baseline, step };
}

/**
 * Stacked bars per label. `series` is [{name, color, values}], values aligned
 * with `labels` (null counts as 0).
 */
export function stackedBars(figure, { title, description, labels, series, format = String }) {
  const svg = frame(figure, { title, description, legend: series.map((s) => [s.name, s.color]) });
  const totals = labels.map((_, n) => series.reduce((sum, s) => sum + (s.values[n] || 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const { plotH, baseline, step } = axes(svg, top, labels, format);
  const width = Math.max(1, step * 0.72);
  labels.forEach((_, n) => {
    let y = baseline;
    for (const s of series) {
      const value = s.values[n] || 0;
      if (value > 0) {
        const h = (value / top) * plotH;
        y -= h;
        svg.append(node('rect', { x: PAD.left + step * n + (step - width) / 2, y, width, height: h, fill: s.color }));
      }
    }
  });
}

/** Lines over the labels; a null value leaves a gap. */
export function lines(figure, { title, description, labels, series, format = String }) {
  const svg = frame(figure, { title, description, legend: series.map((s) => [s.name, s.color]) });
  const values = series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
  const top = niceMax(Math.max(0, ...values));
  const { plotH, baseline, step } = axes(svg, top, labels, format);
  for (const s of series) {
    let path = '';
    s.values.forEach((value, n) => {
      if (value === null || value === undefined) {
        return;
      }
      const x = PAD.left + step * (n + 0.5);
      const y = baseline - (value / top) * plotH;
      const joined = n > 0 && s.values[n - 1] !== null && s.values[n - 1] !== undefined;
      path += `${joined ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)} `;
      if (!joined && (s.values[n + 1] === null || s.values[n + 1] === undefined)) {
        svg.append(node('circle', { cx: x, cy: y, r: 3, fill: s.color }));
      }
    });
    if (path) {
      svg.append(node('path', { d: path.trim(), fill: 'none', stroke: s.color, 'stroke-width': 2.5 }));
    }
  }
}

/** One bar per label, each with its value written above it. */
export function bars(figure, { title, description, labels, values, color, format = String }) {
  const svg = frame(figure, { title, description, legend: [] });
  const top = niceMax(Math.max(0, ...values));
  const { plotH, baseline, step } = axes(svg, top, labels, format);
  const width = Math.max(1, step * 0.6);
  values.forEach((value, n) => {
    const h = (value / top) * plotH;
    const x = PAD.left + step * n + (step - width) / 2;
    svg.append(
      node('rect', { x, y: baseline - h, width, height: h, fill: color }),
      node('text', { x: x + width / 2, y: baseline - h - 4, 'text-anchor': 'middle', 'font-size': FONT, fill: '#111827' }, format(value)),
    );
  });
}
