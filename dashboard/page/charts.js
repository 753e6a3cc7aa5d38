// Line charts drawn as SVG, with no library: time on x (the last `windowMs`), values on y from 0 to a round
// maximum.

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 150;
const LEFT = 42;
const BOTTOM = 16;
const TOP = 6;

/**
 * @param {string} name
 * @param {Record<string, string | number>} attributes
 * @param {string} [text]
 */
function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** The smallest 1, 2 or 5 × 10^n at or above `value` (at least 1), so the axis reads well. */
export function roundMaximum(/** @type {number} */ value) {
  if (!(value > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** 1200 → "1.2k", 3000000 → "3M". */
export function shortNumber(/** @type {number} */ value) {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return String(+value.toFixed(1));
}

/** How long ago, for the time axis: "-10 min", "-45 s". */
function ago(/** @type {number} */ ms) {
  if (ms < 1) return 'now';
  return ms >= 120_000 ? `-${+(ms / 60_000).toFixed(1)} min` : `-${Math.round(ms / 1000)} s`;
}

/**
 * Draws `series` (each a list of [time ms, value]) into `svg`, replacing what was there.
 * @param {SVGSVGElement} svg
 * @param {[number, number][][]} series
 * @param {{ now: number, windowMs: number }} range
 */
export function drawLineChart(svg, series, { now, windowMs }) {
  const width = Math.max(200, svg.clientWidth || 300);
  svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
  svg.replaceChildren();
  const plotWidth = width - LEFT - 4;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  let highest = 0;
  for (const line of series) for (const [, value] of line) if (value > highest) highest = value;
  const max = roundMaximum(highest);
  const x = (/** @type {number} */ at) => LEFT + plotWidth * (1 - (now - at) / windowMs);
  const y = (/** @type {number} */ value) => TOP + plotHeight * (1 - value / max);
  for (const fraction of [0, 0.5, 1]) {
    const at = y(max * fraction);
    svg.append(svgElement('line', { class: 'grid', x1: LEFT, x2: width - 4, y1: at, y2: at }));
    svg.append(svgElement('text', { x: LEFT - 5, y: at + 3, 'text-anchor': 'end' }, shortNumber(max * fraction)));
  }
  for (const [back, anchor] of /** @type {[number, string][]} */ ([
    [windowMs, 'start'],
    [windowMs / 2, 'middle'],
    [0, 'end'],
  ])) {
    svg.append(svgElement('text', { x: x(now - back), y: HEIGHT - 3, 'text-anchor': anchor }, ago(back)));
  }
  series.forEach((line, i) => {
    const visible = line.filter(([at]) => at >= now - windowMs);
    if (visible.length === 0) return;
    const d = visible.map(([at, value], j) => `${j ? 'L' : 'M'}${x(at).toFixed(1)},${y(value).toFixed(1)}`).join('');
    svg.append(svgElement('path', { class: `series series-${i}`, d, 'data-last': visible.at(-1)?.[1] ?? 0 }));
  });
}
