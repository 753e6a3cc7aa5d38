// The dashboard page: one EventSource to the supervisor (`hello` with the view and the chart points so far,
// then `update` every second and at every process change), rendered into the table, the figures and the charts.
import { drawLineChart } from './charts.js';

/**
 * @typedef {{ name: string, role: string, index: number, pid: number | null, state: string,
 *   uptime: number | null, rss: number | null, restarts: number, connections?: number, uids?: number,
 *   groups?: number, messagesInPerSec?: number, messagesOutPerSec?: number, inFlight?: number,
 *   queuedEvents?: number, counters: Record<string, number> }} ProcessView
 * @typedef {{ at: number, connections: number, messagesInPerSec: number, messagesOutPerSec: number,
 *   inFlight: number, queuedEvents: number }} ClusterPoint
 * @typedef {{ at: number, role: string, label?: string, index: number, pid: number | null, what: string,
 *   detail?: string }} ProcessChange
 * @typedef {{ at: number, processes: ProcessView[], totals: Record<string, number>,
 *   counters: Record<string, number>, changes: ProcessChange[] }} ClusterView
 * @typedef {{ intervalMs: number, historySize: number, view: ClusterView | null, points: ClusterPoint[] }} Hello
 */

/** @type {ClusterPoint[]} */
let points = [];
let historySize = 600;
let intervalMs = 1000;
/** @type {ClusterView | null} */
let view = null;

const live = /** @type {HTMLElement} */ (document.getElementById('live'));
const summary = /** @type {HTMLElement} */ (document.getElementById('summary'));
const tbody = /** @type {HTMLTableSectionElement} */ (document.querySelector('#processes tbody'));
const changes = /** @type {HTMLOListElement} */ (document.getElementById('changes'));
const charts = {
  connections: /** @type {SVGSVGElement} */ (/** @type {unknown} */ (document.getElementById('chart-connections'))),
  messages: /** @type {SVGSVGElement} */ (/** @type {unknown} */ (document.getElementById('chart-messages'))),
  events: /** @type {SVGSVGElement} */ (/** @type {unknown} */ (document.getElementById('chart-events'))),
};

const format = new Intl.NumberFormat('en');
const number = (/** @type {number | undefined | null} */ value) => (value == null ? '–' : format.format(value));

function duration(/** @type {number | null} */ seconds) {
  if (seconds == null) return '–';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h${m}m` : m ? `${m}m${s}s` : `${s}s`;
}

const clock = (/** @type {number} */ at) => new Date(at).toLocaleTimeString('en-GB', { hour12: false });

/** @param {string} name @param {string} text */
function cell(name, text) {
  const td = document.createElement('td');
  td.dataset.column = name;
  td.textContent = text;
  return td;
}

function renderProcesses(/** @type {ProcessView[]} */ processes) {
  const rows = processes.map((p) => {
    const tr = document.createElement('tr');
    tr.dataset.process = p.name;
    tr.dataset.state = p.state;
    tr.dataset.pid = p.pid == null ? '' : String(p.pid);
    const state = document.createElement('span');
    state.className = `state state-${p.state}`;
    state.textContent = p.state;
    const stateCell = cell('state', '');
    stateCell.append(state);
    tr.append(
      cell('process', p.name),
      stateCell,
      cell('pid', p.pid == null ? '–' : String(p.pid)),
      cell('uptime', p.pid == null ? '–' : duration(p.uptime)),
      cell('connections', number(p.connections)),
      cell('uids', number(p.uids)),
      cell('groups', number(p.groups)),
      cell('messagesInPerSec', number(p.messagesInPerSec)),
      cell('messagesOutPerSec', number(p.messagesOutPerSec)),
      cell('inFlight', number(p.inFlight)),
      cell('queuedEvents', number(p.queuedEvents)),
      cell('memory', p.rss == null ? '–' : `${(p.rss / 1048576).toFixed(1)} MB`),
      cell('restarts', String(p.restarts)),
    );
    return tr;
  });
  tbody.replaceChildren(...rows);
}

function renderFigures(/** @type {ClusterView} */ current) {
  for (const element of document.querySelectorAll('[data-figure]')) {
    const key = /** @type {HTMLElement} */ (element).dataset.figure ?? '';
    /** @type {HTMLElement} */ (element.querySelector('b')).textContent = number(current.totals[key]);
  }
  const counters = { ...current.counters, restarts: current.processes.reduce((n, p) => n + p.restarts, 0) };
  for (const element of document.querySelectorAll('[data-counter]')) {
    const figure = /** @type {HTMLElement} */ (element);
    const value = /** @type {Record<string, number | undefined>} */ (counters)[figure.dataset.counter ?? ''];
    // A counter no process has (an older worker, say) is not shown rather than shown as 0.
    figure.hidden = value === undefined;
    figure.dataset.alert = String((value ?? 0) > 0);
    /** @type {HTMLElement} */ (figure.querySelector('b')).textContent = number(value);
  }
  const count = (/** @type {string} */ role) => {
    const all = current.processes.filter((p) => p.role === role && p.state !== 'draining');
    return `${all.filter((p) => p.state === 'up').length}/${all.length}`;
  };
  summary.textContent = `gateways ${count('gateway')} up · workers ${count('business')} up · registers ${count('register')} up`;
}

function renderChanges(/** @type {ProcessChange[]} */ list) {
  const items = list
    .slice(-12)
    .reverse()
    .map((change) => {
      const li = document.createElement('li');
      const time = document.createElement('time');
      time.textContent = clock(change.at);
      const name =
        change.role === 'gateway' || change.role === 'business' || change.index > 0
          ? `${change.label ?? change.role}#${change.index}`
          : change.role;
      const pid = change.pid ? ` (pid ${change.pid})` : '';
      li.dataset.what = change.what;
      li.append(time, `${name}${pid} ${change.what}${change.detail ? `: ${change.detail}` : ''}`);
      return li;
    });
  changes.replaceChildren(...items);
}

function renderCharts() {
  const now = view?.at ?? Date.now();
  // The charts span the time since the first point kept (at least a minute): ten minutes once that long.
  const span = points[0] ? now - points[0].at : 0;
  const range = { now, windowMs: Math.min(historySize * intervalMs, Math.max(60_000, span)) };
  /** @param {(p: ClusterPoint) => number} pick @returns {[number, number][]} */
  const line = (pick) => points.map((p) => [p.at, pick(p)]);
  drawLineChart(charts.connections, [line((p) => p.connections)], range);
  drawLineChart(charts.messages, [line((p) => p.messagesInPerSec), line((p) => p.messagesOutPerSec)], range);
  drawLineChart(charts.events, [line((p) => p.inFlight), line((p) => p.queuedEvents)], range);
}

function render() {
  if (view) {
    renderProcesses(view.processes);
    renderFigures(view);
    renderChanges(view.changes);
  }
  renderCharts();
}

const events = new EventSource('api/events');
events.addEventListener('hello', (event) => {
  const hello = /** @type {Hello} */ (JSON.parse(/** @type {MessageEvent} */ (event).data));
  ({ historySize, intervalMs } = hello);
  points = hello.points;
  view = hello.view;
  render();
});
events.addEventListener('update', (event) => {
  const update = /** @type {{ view: ClusterView, point: ClusterPoint | null }} */ (
    JSON.parse(/** @type {MessageEvent} */ (event).data)
  );
  view = update.view;
  if (update.point) {
    points.push(update.point);
    if (points.length > historySize) points.splice(0, points.length - historySize);
  }
  live.dataset.live = 'live';
  live.textContent = 'live';
  render();
});
events.addEventListener('open', () => {
  live.dataset.live = 'live';
  live.textContent = 'live';
});
events.addEventListener('error', () => {
  live.dataset.live = 'lost';
  live.textContent = 'supervisor unreachable, retrying…';
});
window.addEventListener('resize', () => renderCharts());
