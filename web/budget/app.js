// app.js - the relative-budget instrument of saferl_budget.h. Every number shown comes from
// the header's C code through budget.mjs (glue.c); this file only moves numbers and draws.
import createBudgetModule from './budget.mjs';
import { speedControl, speedParam } from '../speed.js';
import { legendValue } from '../legend.js';

const $ = (id) => document.getElementById(id);
const XI_MIN = 0.05, XI_MAX = 20, CURVE_POINTS = 241, DELTA = 0.05;
const MAX_ERRORS = 50, TABLE_ROWS = 300, SIM_CHUNK = 256, SIM_MAX_ITERATIONS = 20000, URL_CSV_LIMIT = 1800;
const H_MIN = 16, H_MAX = 65536;
const LAWS = ['geometric', 'lognormal', 'csv'];
// the set's interval and the prior on the spread, passed to the glue by the names of
// budget_report's --interval and --spread-prior (the first of each is the default)
const INTERVALS = ['boundary', 'widened', 'posterior'];
const SPREAD_PRIORS = ['half-cauchy', 'atom'];
const REGIME_CLASS = ['deficient', 'balanced', 'ample'];
const BAND_FILL = ['rgba(232, 140, 80, 0.16)', 'rgba(80, 170, 90, 0.20)', 'rgba(80, 130, 210, 0.13)'];
const BAND_INK = ['#9a4a16', '#2b6d33', '#2d578f'];
const COLORS = { p: '#2f6fdf', variance: '#8a4fd1', informative: '#d9782a', progress: '#2f9a57' };

const M = await createBudgetModule();

// Typed-array views are made fresh on every read: memory growth detaches old ones.
const f64 = (ptr, n) => Array.from(new Float64Array(M.HEAPF64.buffer, ptr, n));
const i32 = (ptr, n) => Array.from(new Int32Array(M.HEAP32.buffer, ptr, n));
const utf8 = new TextDecoder();
function cstr(ptr) { // a NUL-terminated UTF-8 string in wasm memory
  const heap = M.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) ++end;
  return utf8.decode(heap.subarray(ptr, end));
}
function putCstr(ptr, text) { // an ASCII name into a 16-byte buffer of wasm memory
  const bytes = new TextEncoder().encode(text);
  M.HEAPU8.set(bytes.subarray(0, 15), ptr);
  M.HEAPU8[ptr + Math.min(bytes.length, 15)] = 0;
  return ptr;
}

// Output buffers, allocated once.
const buf = {
  curves: M._malloc(5 * CURVE_POINTS * 8),
  point: M._malloc(16 * 8),
  readout: M._malloc(8 * 8),
  summary: M._malloc(28 * 8),
  ints: M._malloc(8 * 4),
  interval: M._malloc(16), // the names above, NUL-terminated
  spreadPrior: M._malloc(16),
  sim: M._malloc(4 * SIM_CHUNK * 8),
};
let textPtr = 0, textCapacity = 0;
const regimeNames = [0, 1, 2].map((k) => cstr(M._budget_regime_name(k)));
// what the set's row and the pooled hazard estimate, named by the header as budget_report's JSON
const SET_ESTIMAND = cstr(M._budget_set_estimand());
const HAZARD_ESTIMAND = cstr(M._budget_pooled_hazard_estimand());

// ---- state and URL ------------------------------------------------------------------------

const csvBox = $('csv');
const DEFAULT_CSV = csvBox.defaultValue;
const DEFAULTS = {
  law: 'geometric', mean: 640, sigma: 1, H: 1024, G: 8, lo: 1.5, hi: 2,
  interval: INTERVALS[0], 'spread-prior': SPREAD_PRIORS[0],
  P: 64, spread: 0.5, lr: 0.05, seed: 1, iters: 400,
};
const NUMERIC = {
  mean: [1, 1e6], sigma: [0.05, 3], H: [H_MIN, H_MAX], G: [2, 64], lo: [0.01, 100], hi: [0.01, 100],
  P: [1, 4096], spread: [0, 3], lr: [0.001, 1], seed: [0, 4294967295], iters: [1, SIM_MAX_ITERATIONS],
};
const INTEGER = new Set(['H', 'G', 'P', 'seed', 'iters']);
const state = { ...DEFAULTS, csv: DEFAULT_CSV };
let csvNote = '';
let csvTimer = 0; // a CSV edit waiting out its pause (typing is parsed once it rests)

// The CSV box's pending edit into the state: any update takes it first, so a control changed
// while the edit waits does not write the old text back into the box.
function takeCsvEdit() {
  if (!csvTimer) return;
  clearTimeout(csvTimer);
  csvTimer = 0;
  state.csv = csvBox.value;
  csvNote = '';
}

function clampKey(key, value) {
  const [lo, hi] = NUMERIC[key];
  let v = Math.min(hi, Math.max(lo, value));
  if (INTEGER.has(key)) v = Math.round(v);
  return v;
}

// A bad value in the URL is reported under the caption and replaced by the default.
function urlMessage(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('url-messages').appendChild(li);
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  for (const [key, words] of [['law', LAWS], ['interval', INTERVALS], ['spread-prior', SPREAD_PRIORS]]) {
    if (!q.has(key)) continue;
    if (words.includes(q.get(key))) state[key] = q.get(key);
    else urlMessage(`${key} in the URL: "${q.get(key)}" is not one of ${words.join(', ')}; showing ${DEFAULTS[key]}`);
  }
  for (const key of Object.keys(NUMERIC)) {
    if (!q.has(key)) continue;
    const raw = q.get(key), v = Number(raw), [lo, hi] = NUMERIC[key];
    if (raw.trim() !== '' && Number.isFinite(v) && v >= lo && v <= hi && (!INTEGER.has(key) || Number.isInteger(v))) state[key] = v;
    else urlMessage(`${key} in the URL: "${raw}" is not ${INTEGER.has(key) ? 'an integer' : 'a number'} from ${lo} to ${hi}; using ${DEFAULTS[key]}`);
  }
  if (!(state.lo < state.hi)) {
    urlMessage(`lo and hi in the URL: the band [${state.lo}, ${state.hi}] is empty; using [${DEFAULTS.lo}, ${DEFAULTS.hi}]`);
    state.lo = DEFAULTS.lo; state.hi = DEFAULTS.hi;
  }
  if (q.has('csv')) state.csv = q.get('csv');
  else if (q.get('csvlong') === '1') csvNote = 'This link\'s CSV was too long for the URL: the example is shown instead.';
}

function writeUrl() {
  const q = new URLSearchParams();
  q.set('law', state.law);
  for (const key of ['mean', 'sigma', 'H', 'G', 'lo', 'hi']) q.set(key, String(state[key]));
  for (const key of ['interval', 'spread-prior', 'P', 'spread', 'lr', 'seed', 'iters'])
    if (state[key] !== DEFAULTS[key]) q.set(key, String(state[key]));
  if (state.law === 'csv' && state.csv !== DEFAULT_CSV) {
    // the encoded text is never shorter than the text: skip encoding long ones
    if (state.csv.length <= URL_CSV_LIMIT && encodeURIComponent(state.csv).length <= URL_CSV_LIMIT) q.set('csv', state.csv);
    else q.set('csvlong', '1');
  }
  q.set('speed', speedParam($('speed')));
  history.replaceState(null, '', `${location.pathname}?${q.toString()}`);
}

// Browsers throttle history updates: a dragged slider writes the URL once it rests.
let urlTimer = 0;
function scheduleUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(writeUrl, 120);
}

// ---- formatting ---------------------------------------------------------------------------

function fmt(x, digits = 4) {
  if (x === Infinity) return '∞';
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 10 ** digits) return a >= 1e9 ? x.toExponential(digits - 1) : String(Math.round(x));
  if (a !== 0 && a < 1e-4) return x.toExponential(digits - 1);
  return x.toPrecision(digits);
}
const fmtInt = (x) => (x === Infinity ? '∞' : Number.isFinite(x) ? String(Math.round(x)) : '—');
const fmtTick = (v) => (v == null ? '' : v >= 1 ? String(v) : String(+v.toPrecision(2)));

// ---- CSV through the header's parser ------------------------------------------------------

let csv = { text: null, bytes: null, ok: false, errors: [], errorTotal: 0, rows: 0, maxHorizon: 0, result: 0 };

function parseCsv(text) {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length + 1 > textCapacity) {
    if (textPtr) M._free(textPtr);
    textCapacity = Math.max(bytes.length + 1, 2 * textCapacity, 4096);
    textPtr = M._malloc(textCapacity);
  }
  M.HEAPU8.set(bytes, textPtr);
  M.HEAPU8[textPtr + bytes.length] = 0;
  const result = M._budget_csv_parse(textPtr, bytes.length, MAX_ERRORS);
  const errorTotal = M._budget_csv_error_count();
  const errors = [];
  for (let i = 0; i < Math.min(errorTotal, MAX_ERRORS); ++i) {
    const reason = cstr(M._budget_csv_error(i, buf.ints));
    const [line, column, code] = i32(buf.ints, 3);
    errors.push({ line, column, code, reason });
  }
  let message = '';
  if (result < 0 && errors.length === 0) message = cstr(M._budget_result_string(result));
  csv = {
    text, bytes, ok: result >= 0, errors, errorTotal, message, result,
    rows: M._budget_csv_row_count(), maxHorizon: M._budget_csv_max_horizon(),
  };
}

// Per-prompt summaries and the prompt set's (xi = H / mean_i E[T_i], hierarchical Bayes) at the
// current H, from the glue's buffers.
function summarizeCsv() {
  const names = ['attempts', 'successes', 'xi', 'xiLo', 'xiHi', 'upperBound', 'regime', 'certain',
    'successRate', 'modelP', 'meanTokens', 'meanLo', 'meanHi', 'hazard', 'horizon', 'result',
    'hBandLo', 'hBandHi', 'hazardXi', 'unsolved', 'extrapolated', 'spread',
    'posteriorLo', 'posteriorHi', 'spreadLo', 'spreadHi', 'spreadZeroProbability', 'raised'];
  const count = M._budget_csv_summarize(textPtr, state.H, state.lo, state.hi, 0.95);
  if (count < 0) return { error: cstr(M._budget_result_string(count)) };
  const decoder = new TextDecoder();
  const prompts = [];
  let pooled = null;
  for (let i = 0; i <= count; ++i) {
    const r = M._budget_csv_prompt(i, state.lo, state.hi, state.H, 0.95, putCstr(buf.interval, state.interval),
      putCstr(buf.spreadPrior, state['spread-prior']), buf.summary, buf.ints);
    if (r < 0) return { error: cstr(M._budget_result_string(r)) };
    const values = f64(buf.summary, names.length);
    const s = Object.fromEntries(names.map((n, k) => [n, values[k]]));
    s.upperBound = s.upperBound !== 0;
    s.certain = s.certain !== 0;
    if (i === count) {
      pooled = { ...s, interval: cstr(M._budget_csv_set_interval()), raised: Number.isNaN(s.raised) ? null : s.raised !== 0 };
      break;
    }
    const [offset, length] = i32(buf.ints, 2);
    s.name = decoder.decode(csv.bytes.subarray(offset, offset + length));
    prompts.push(s);
  }
  return { prompts, pooled };
}

// ---- the computation of one view ----------------------------------------------------------

let view = null;

function compute() {
  const v = { law: state.law, H: state.H, G: state.G, lo: state.lo, hi: state.hi };
  let curveLaw = state.law === 'lognormal' ? 1 : 0, curveMean = state.mean;
  if (state.law === 'csv') {
    if (csv.text !== state.csv) parseCsv(state.csv);
    v.csv = csv.ok ? summarizeCsv() : { error: 'the CSV has errors' };
    const pooled = v.csv.pooled;
    if (pooled) {
      v.mean = pooled.meanTokens;
      v.xi = pooled.xi;
      v.xiLo = pooled.xiLo;
      v.xiHi = pooled.xiHi;
      v.upperBound = pooled.upperBound;
      v.p = pooled.modelP;
      v.hLow = pooled.hBandLo;
      v.hHigh = pooled.hBandHi;
      M._budget_readout(v.xi, v.p, state.G, state.lo, state.hi, DELTA, buf.readout);
      [v.variance, v.informative, v.samples, v.regime, v.progress] = f64(buf.readout, 5);
      if (Number.isFinite(v.mean)) curveMean = v.mean;
    }
  } else {
    M._budget_point(curveLaw, state.mean, state.sigma, state.H, state.G, state.lo, state.hi, DELTA, buf.point);
    const o = f64(buf.point, 9);
    v.mean = state.mean;
    v.sigma = state.sigma;
    [v.xi, v.p, v.variance, v.informative, v.samples, v.regime, v.progress, v.hLow, v.hHigh] = o;
  }
  if (v.regime !== undefined) v.regimeName = regimeNames[v.regime] ?? 'undetermined';
  M._budget_curves(curveLaw, curveMean, state.sigma, state.G, XI_MIN, XI_MAX, CURVE_POINTS, buf.curves);
  const c = f64(buf.curves, 5 * CURVE_POINTS);
  const part = (k) => c.slice(k * CURVE_POINTS, (k + 1) * CURVE_POINTS);
  v.curves = [part(0), part(1), part(2), part(3), part(4)];
  return v;
}

// ---- drawing ------------------------------------------------------------------------------

function setText(id, text) { $(id).textContent = text; }

function renderReadout(v) {
  const has = v.xi !== undefined;
  let xiText = has ? fmt(v.xi) : '—';
  if (has && v.law === 'csv') {
    xiText = v.upperBound ? `≤ ${fmt(v.xiHi)}` : `${fmt(v.xi)}  [${fmt(v.xiLo, 3)}, ${fmt(v.xiHi, 3)}]`;
  }
  setText('r-xi', xiText);
  const badge = $('r-regime');
  badge.textContent = has ? v.regimeName : '—';
  badge.className = `badge ${has ? REGIME_CLASS[v.regime] : ''}`;
  setText('r-p-label', v.law === 'csv' ? 'success probability p(H), geometric fit' : 'success probability p(H)');
  setText('r-p', has ? fmt(v.p) : '—');
  setText('r-var', has ? fmt(v.variance) : '—');
  setText('r-G', String(v.G));
  setText('r-inf', has ? fmt(v.informative) : '—');
  setText('r-samples', has ? fmtInt(v.samples) : '—');
  setText('r-hlo', has ? fmtInt(v.hLow) : '—');
  setText('r-hhi', has ? `${fmtInt(v.hHigh)} tokens` : '—');
  setText('r-mean', v.mean !== undefined ? fmt(v.mean) : '—');
  setText('r-mean-src', v.law === 'csv' ? (v.csv && v.csv.pooled && v.csv.pooled.extrapolated ? '(mean over prompts, hierarchical Bayes; unsolved prompts extrapolated)' : '(mean over prompts, hierarchical Bayes)') : v.law === 'lognormal' ? `(log-normal, σ = ${state.sigma})` : '(geometric)');
  setText('plot-law', v.law === 'csv' ? '— geometric fit of the CSV' : v.law === 'lognormal' ? `— log-normal T, σ = ${state.sigma}` : '— geometric T');
}

function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function renderCsv(v) {
  const list = $('csv-errors');
  list.replaceChildren();
  for (const e of csv.errors) {
    const li = document.createElement('li');
    li.textContent = `line ${e.line}, column ${e.column}: ${e.reason}`;
    list.appendChild(li);
  }
  if (csv.errorTotal > csv.errors.length) {
    const li = document.createElement('li');
    li.textContent = `… and ${csv.errorTotal - csv.errors.length} more`;
    list.appendChild(li);
  }
  if (csv.message) {
    const li = document.createElement('li');
    li.textContent = csv.message;
    list.appendChild(li);
  }
  const s = v.csv;
  const ok = s && s.pooled;
  $('csv-panel').classList.toggle('hidden', !ok);
  setText('csv-note', [csvNote, ok ? `${csv.rows} attempts, ${s.prompts.length} prompts, largest horizon ${csv.maxHorizon}` : (s && s.error && !csv.errors.length ? s.error : '')].filter(Boolean).join(' '));
  if (!ok) return;
  setText('csv-H', String(state.H));
  const body = $('csv-table').tBodies[0];
  body.replaceChildren();
  const shownPrompts = s.prompts.slice(0, TABLE_ROWS);
  for (const p of [...shownPrompts, s.pooled]) {
    if (p === s.pooled && s.prompts.length > shownPrompts.length) {
      const more = document.createElement('tr');
      const td = cell(more, `… ${s.prompts.length - shownPrompts.length} more prompts (all are in the plot and the set's row)`);
      td.colSpan = 9;
      td.className = 'muted';
      body.appendChild(more);
    }
    const tr = document.createElement('tr');
    const pooled = p === s.pooled;
    if (pooled) tr.className = 'pooled';
    const label = cell(tr, pooled ? `set: ${SET_ESTIMAND} (${s.prompts.length} prompts)` : p.name);
    if (pooled) {
      label.title = `hierarchical Bayes over the prompts' hazards` +
        (p.extrapolated ? `; ${p.unsolved} prompt(s) never succeeded: their E[T] is extrapolated by the fit, the data alone bound it only from below` : '') +
        (Number.isFinite(p.hazardXi) ? `; pooled hazard x H (successes per token at risk, not H / mean E[T] under censoring): ${fmt(p.hazardXi, 3)}` : '');
    }
    cell(tr, fmtInt(p.attempts));
    cell(tr, fmtInt(p.successes));
    cell(tr, fmt(p.successRate, 3));
    cell(tr, p.upperBound ? `≥ ${fmt(p.meanLo, 3)}` : `${fmt(p.meanTokens, 3)} [${fmt(p.meanLo, 3)}, ${fmt(p.meanHi, 3)}]`);
    cell(tr, p.upperBound ? `≤ ${fmt(p.xiHi, 3)}` : `${fmt(p.xi, 3)} [${fmt(p.xiLo, 3)}, ${fmt(p.xiHi, 3)}]`);
    const td = cell(tr, '');
    const badge = document.createElement('span');
    badge.className = `badge ${REGIME_CLASS[p.regime]}`;
    badge.textContent = regimeNames[p.regime] + (p.certain ? '' : '?');
    badge.title = p.certain ? 'the whole interval lies in this regime' : 'the interval crosses a band edge';
    td.appendChild(badge);
    cell(tr, fmt(p.modelP, 3));
    const band = cell(tr, p.upperBound ? 'no success' : `${fmtInt(p.hBandLo)} – ${fmtInt(p.hBandHi)}`);
    if (p.upperBound) band.title = 'no success: the data bound xi only from above';
    body.appendChild(tr);
  }
  renderSet(s.pooled);
}

// The set's estimate under the chosen interval and prior, each number as budget_report --json
// gives it ('—' where the JSON has null).
function renderSet(p) {
  const widened = p.interval === 'widened';
  setText('s-estimand', SET_ESTIMAND);
  setText('s-xi', p.upperBound ? `≤ ${fmt(p.xiHi)}` : fmt(p.xi));
  setText('s-xi-lo', fmt(p.xiLo));
  setText('s-xi-hi', fmt(p.xiHi));
  setText('s-interval', p.interval);
  setText('s-interval-note', `(${widened ? 'joined over the spreads the data do not rule out, Berger and Boos 1994'
    : p.interval === 'boundary' ? 'the posterior\'s, its upper end raised where the data do not reject that all prompts are alike'
      : state.interval !== 'posterior' ? `no spread fitted (one prompt, or no success): nothing to ${state.interval === 'widened' ? 'widen over' : 'test'}`
        : 'the posterior quantiles'})`);
  // as budget_report's text report words it
  setText('s-raised', p.raised === null ? '—' : p.raised
    ? 'yes: to the all-alike interval\'s (the data do not reject that all prompts are alike)'
    : 'no: all alike is rejected, or its interval lies within');
  setText('s-posterior-lo', fmt(p.posteriorLo));
  setText('s-posterior-hi', fmt(p.posteriorHi));
  setText('s-spread-lo', fmt(p.spreadLo));
  setText('s-spread-hi', fmt(p.spreadHi));
  setText('s-spread', fmt(p.spread));
  setText('s-alike', fmt(p.spreadZeroProbability));
  setText('s-hazard-estimand', HAZARD_ESTIMAND);
  setText('s-hazard', fmt(p.hazardXi));
}

function drawBands(u) {
  const { ctx, bbox } = u;
  const left = bbox.left, right = bbox.left + bbox.width;
  const px = (x) => Math.min(right, Math.max(left, u.valToPos(x, 'x', true)));
  const edges = [left, px(state.lo), px(state.hi), right];
  const dpr = devicePixelRatio || 1;
  ctx.save();
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let k = 0; k < 3; ++k) {
    const w = edges[k + 1] - edges[k];
    if (w <= 0) continue;
    ctx.fillStyle = BAND_FILL[k];
    ctx.fillRect(edges[k], bbox.top, w, bbox.height);
    ctx.fillStyle = BAND_INK[k];
    const label = regimeNames[k];
    if (ctx.measureText(label).width < w - 4 * dpr) {
      ctx.fillText(label, edges[k] + w / 2, bbox.top + 4 * dpr);
    } else if (w > 13 * dpr) { // a narrow band: write its name upwards inside it
      ctx.save();
      ctx.translate(edges[k] + w / 2, bbox.top + 4 * dpr);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(label, 0, 0);
      ctx.restore();
    }
  }
  ctx.restore();
}

function drawMarker(u) {
  const v = view;
  if (!v) return;
  const { ctx, bbox } = u;
  const dpr = devicePixelRatio || 1;
  const inX = (x) => x >= XI_MIN && x <= XI_MAX;
  const X = (x) => u.valToPos(Math.min(XI_MAX, Math.max(XI_MIN, x)), 'x', true);
  const Y = (y) => u.valToPos(y, 'y', true);
  ctx.save();
  ctx.setLineDash([]);
  if (v.csv && v.csv.prompts) {
    ctx.strokeStyle = '#39414d';
    ctx.fillStyle = '#39414d';
    ctx.lineWidth = 1.2 * dpr;
    for (const p of v.csv.prompts) {
      const y = Y(p.modelP);
      const hiX = p.xiHi, loX = p.upperBound ? XI_MIN : p.xiLo;
      ctx.beginPath();
      ctx.moveTo(X(loX), y);
      ctx.lineTo(X(hiX), y);
      ctx.stroke();
      const at = p.upperBound ? hiX : p.xi;
      if (!inX(at)) continue;
      ctx.beginPath();
      ctx.arc(X(at), y, 4 * dpr, 0, 2 * Math.PI);
      if (p.upperBound) { ctx.fillStyle = '#fff'; ctx.fill(); ctx.stroke(); ctx.fillStyle = '#39414d'; } else ctx.fill();
    }
  }
  if (v.xi !== undefined && Number.isFinite(v.xi) && inX(v.xi)) {
    const x = X(v.xi);
    ctx.strokeStyle = '#1d2430';
    ctx.lineWidth = 1.5 * dpr;
    ctx.setLineDash([5 * dpr, 4 * dpr]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = COLORS.p;
    ctx.beginPath();
    ctx.arc(x, Y(v.p), 4.5 * dpr, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#1d2430';
    ctx.font = `600 ${12 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    const label = `ξ = ${fmt(v.xi, 3)}`;
    const right = x + 6 * dpr + ctx.measureText(label).width < bbox.left + bbox.width;
    ctx.textAlign = right ? 'left' : 'right';
    ctx.fillText(label, x + (right ? 6 : -6) * dpr, bbox.top + 20 * dpr);
  }
  ctx.restore();
}

function plotWidth(el) { return Math.max(300, el.clientWidth); }

// the legend while the cursor is off the plot: the values at the marker (the current ξ), as the
// readout gives them; progress per token is read off its drawn (scaled) curve
function atMarkerValue(u, seriesIndex) {
  const v = view;
  if (!v || !Number.isFinite(v.xi)) return null;
  if (seriesIndex < 4) return [v.xi, v.p, v.variance, v.informative][seriesIndex];
  const xs = u.data[0];
  if (!(v.xi >= XI_MIN && v.xi <= XI_MAX)) return null;
  let best = -1;
  for (let i = 0; i < xs.length; ++i) if (best < 0 || Math.abs(Math.log(xs[i] / v.xi)) < Math.abs(Math.log(xs[best] / v.xi))) best = i;
  return best >= 0 ? u.data[seriesIndex][best] : null;
}
const fmt3 = (x) => fmt(x, 3);
const atMarker = legendValue(fmt3, atMarkerValue);

const plot = new uPlot({
  width: plotWidth($('plot')),
  height: 360,
  scales: {
    x: { time: false, distr: 3, log: 10, range: [XI_MIN, XI_MAX] },
    y: { range: [0, 1.02] },
  },
  axes: [
    { label: 'relative budget ξ = H / E[T]', values: (u, splits) => splits.map(fmtTick) },
    { label: 'probability (progress scaled to max 1)' },
  ],
  series: [
    { label: 'ξ', value: atMarker },
    { label: 'p(ξ)', stroke: COLORS.p, width: 2, value: atMarker },
    { label: 'p(1−p)', stroke: COLORS.variance, width: 2, value: atMarker },
    { label: 'P_inf(G)', stroke: COLORS.informative, width: 2, value: atMarker },
    { label: 'progress / token', stroke: COLORS.progress, width: 2, dash: [6, 4], value: atMarker },
  ],
  cursor: { drag: { x: false, y: false } },
  hooks: { drawClear: [drawBands], draw: [drawMarker] },
}, [[XI_MIN, XI_MAX], [null, null], [null, null], [null, null], [null, null]], $('plot'));

// ---- learning-progress simulator (our model) ----------------------------------------------

const sim = { key: '', iteration: [], meanXi: [], informative: [], success: [], running: false, status: 0 };

function drawSimBand(u) {
  const { ctx, bbox } = u;
  const clampY = (y) => Math.min(bbox.top + bbox.height, Math.max(bbox.top, y));
  const y0 = clampY(u.valToPos(state.hi, 'xi', true)), y1 = clampY(u.valToPos(state.lo, 'xi', true));
  ctx.save();
  ctx.fillStyle = BAND_FILL[1];
  ctx.fillRect(bbox.left, y0, bbox.width, y1 - y0);
  ctx.restore();
}

const simPlot = new uPlot({
  width: plotWidth($('sim-plot')),
  height: 260,
  scales: {
    x: { time: false, range: (u, lo, hi) => [0, Math.max(10, hi || 0)] },
    xi: { range: (u, lo, hi) => [0, Math.max(state.hi * 1.25, (hi || 0) * 1.05)] },
    frac: { range: [0, 1] },
  },
  axes: [
    { label: 'iteration' },
    { scale: 'xi', label: 'mean ξ over prompts' },
    { scale: 'frac', side: 1, label: 'fraction', grid: { show: false } },
  ],
  series: [
    { label: 'iteration', value: legendValue(String) },
    { label: 'mean ξ', scale: 'xi', stroke: COLORS.p, width: 2, value: legendValue(fmt3) },
    { label: 'informative groups', scale: 'frac', stroke: COLORS.informative, width: 1.5, value: legendValue(fmt3) },
    { label: 'success rate', scale: 'frac', stroke: COLORS.variance, width: 1.5, value: legendValue(fmt3) },
  ],
  cursor: { drag: { x: false, y: false } },
  hooks: { drawClear: [drawSimBand] },
}, [[0], [null], [null], [null]], $('sim-plot'));

function simMean() {
  return state.law === 'csv' ? (view && Number.isFinite(view.mean) ? view.mean : 1e6) : state.mean;
}

function simReset() {
  sim.running = false;
  const r = M._budget_sim_reset(state.P, state.G, state.H, simMean(), state.spread, state.lr, state.seed >>> 0);
  sim.status = r;
  sim.iteration = [0];
  sim.meanXi = [r < 0 ? null : M._budget_sim_mean_xi()];
  sim.informative = [null];
  sim.success = [null];
  sim.key = simKey();
  simDraw();
}

function simKey() {
  return [state.P, state.G, state.H, simMean(), state.spread, state.lr, state.seed].join(',');
}

function simSteps(count) {
  let done = 0;
  while (done < count) {
    const n = Math.min(SIM_CHUNK, count - done);
    const got = M._budget_sim_step(n, buf.sim);
    if (got <= 0) { sim.status = got; sim.running = false; break; }
    const o = f64(buf.sim, 4 * got);
    for (let k = 0; k < got; ++k) {
      sim.iteration.push(o[4 * k]);
      sim.meanXi.push(o[4 * k + 1]);
      sim.informative.push(o[4 * k + 2]);
      sim.success.push(o[4 * k + 3]);
    }
    done += got;
  }
}

function simDraw() {
  simPlot.setData([sim.iteration, sim.meanXi, sim.informative, sim.success]);
  const last = sim.iteration.length - 1;
  const status = sim.status < 0 ? `error: ${cstr(M._budget_result_string(sim.status))}`
    : `iteration ${sim.iteration[last]}, mean ξ ${fmt(sim.meanXi[last], 3)}${sim.running ? ' — running' : ''}`;
  setText('sim-status', status);
  $('sim-run').textContent = sim.running ? 'pause' : 'run';
  publish();
}

// run: iterations at the speed control's rate (fast: as many as 10 ms a frame allow)
const simSpeed = speedControl($('speed'), $('speed-text'), [10, 100, Infinity], 'iterations/s', urlMessage);
let simOwed = 0, simLastFrame = 0;
function simFrame(now) {
  if (!sim.running) return;
  const start = performance.now();
  const target = state.iters;
  const rate = simSpeed();
  simOwed = Number.isFinite(rate) ? Math.min(simOwed + (simLastFrame ? now - simLastFrame : 16) * rate / 1000, 100) : Infinity;
  simLastFrame = now;
  // about 2e5 rollouts a slice keeps each slice to a few milliseconds whatever P and G are
  const slice = Math.max(1, Math.min(SIM_CHUNK, Math.floor(2e5 / (state.P * state.G))));
  while (performance.now() - start < 10 && simOwed >= 1 && sim.iteration[sim.iteration.length - 1] < target && sim.running) {
    const count = Math.min(slice, Math.floor(simOwed), target - sim.iteration[sim.iteration.length - 1]);
    simSteps(count);
    simOwed -= count;
  }
  if (sim.iteration[sim.iteration.length - 1] >= target) sim.running = false;
  simDraw();
  if (sim.running) requestAnimationFrame(simFrame);
}

// ---- controls -----------------------------------------------------------------------------

function syncControls() {
  for (const key of ['law', 'interval', 'spread-prior'])
    for (const input of document.querySelectorAll(`input[name="${key}"]`)) input.checked = input.value === state[key];
  $('mean').value = String(Math.log2(state.mean));
  $('mean-num').value = String(state.mean);
  setText('mean-out', `${state.mean} tokens`);
  $('sigma').value = String(state.sigma);
  setText('sigma-out', String(state.sigma));
  $('H').value = String(Math.log2(state.H));
  $('H-num').value = String(state.H);
  setText('H-out', `${state.H} tokens`);
  $('G').value = String(state.G);
  setText('G-out', String(state.G));
  $('band-lo').value = String(state.lo);
  $('band-hi').value = String(state.hi);
  if (csvBox.value !== state.csv) csvBox.value = state.csv;
  $('sim-P').value = String(state.P);
  $('sim-spread').value = String(state.spread);
  $('sim-lr').value = String(state.lr);
  $('sim-seed').value = String(state.seed);
  $('sim-iters').value = String(state.iters);
  const csvMode = state.law === 'csv';
  $('mean-control').classList.toggle('hidden', csvMode);
  $('sigma-control').classList.toggle('hidden', state.law !== 'lognormal');
  $('csv-control').classList.toggle('hidden', !csvMode);
  $('plot-points-note').classList.toggle('hidden', !csvMode);
}

function publish() {
  const v = view;
  const last = sim.iteration.length - 1;
  window.__budget = {
    law: state.law, interval: state.interval, spreadPrior: state['spread-prior'], mean: v.mean, sigma: state.sigma, H: state.H, G: state.G, lo: state.lo, hi: state.hi,
    xi: v.xi, p: v.p, variance: v.variance, informative: v.informative, samples: v.samples,
    regime: v.regime, regimeName: v.regimeName, hLow: v.hLow, hHigh: v.hHigh, progress: v.progress,
    csv: state.law === 'csv' ? {
      errors: csv.errors.map((e) => ({ ...e })), errorTotal: csv.errorTotal, rows: csv.rows,
      prompts: v.csv && v.csv.prompts ? v.csv.prompts.map((p) => ({ ...p })) : [],
      pooled: v.csv && v.csv.pooled ? { ...v.csv.pooled } : null,
    } : null,
    sim: { iteration: sim.iteration[last], meanXi: sim.meanXi[last], running: sim.running },
  };
}

function update() {
  takeCsvEdit();
  syncControls();
  view = compute();
  renderReadout(view);
  renderCsv(view);
  plot.setData([view.curves[0], view.curves[1], view.curves[2], view.curves[3], view.curves[4]]);
  if (simKey() !== sim.key) simReset();
  else simPlot.redraw(false, false);
  scheduleUrl();
  publish();
}

function bind(id, event, fn) { $(id).addEventListener(event, fn); }

for (const key of ['law', 'interval', 'spread-prior']) {
  for (const input of document.querySelectorAll(`input[name="${key}"]`))
    input.addEventListener('change', () => { if (input.checked) { state[key] = input.value; update(); } });
}
bind('mean', 'input', (e) => { state.mean = clampKey('mean', Math.round(2 ** Number(e.target.value))); update(); });
bind('mean-num', 'change', (e) => { const v = Number(e.target.value); if (v >= 1) state.mean = clampKey('mean', v); update(); });
bind('sigma', 'input', (e) => { state.sigma = clampKey('sigma', Number(e.target.value)); update(); });
bind('H', 'input', (e) => { state.H = clampKey('H', 2 ** Number(e.target.value)); update(); });
bind('H-num', 'change', (e) => { const v = Number(e.target.value); if (Number.isFinite(v)) state.H = clampKey('H', v); update(); });
bind('G', 'input', (e) => { state.G = clampKey('G', Number(e.target.value)); update(); });
for (const id of ['band-lo', 'band-hi']) {
  bind(id, 'input', () => {
    const lo = Number($('band-lo').value), hi = Number($('band-hi').value);
    const valid = lo > 0 && hi > lo && hi <= 100;
    $('band-lo').style.borderColor = $('band-hi').style.borderColor = valid ? '' : 'var(--bad)';
    if (!valid) return;
    state.lo = lo;
    state.hi = hi;
    update();
  });
}
bind('csv', 'input', () => {
  clearTimeout(csvTimer);
  csvTimer = setTimeout(update, 200);
});
bind('csv-horizon', 'click', () => { if (csv.maxHorizon > 0) { state.H = clampKey('H', csv.maxHorizon); update(); } });
bind('csv-example', 'click', () => {
  clearTimeout(csvTimer);
  csvTimer = 0;
  state.csv = DEFAULT_CSV;
  csvNote = '';
  update();
});
const simInputs = { 'sim-P': 'P', 'sim-spread': 'spread', 'sim-lr': 'lr', 'sim-seed': 'seed', 'sim-iters': 'iters' };
for (const [id, key] of Object.entries(simInputs)) {
  bind(id, 'change', (e) => { const v = Number(e.target.value); if (Number.isFinite(v)) state[key] = clampKey(key, v); update(); });
}
bind('sim-step', 'click', () => { sim.running = false; simSteps(1); simDraw(); });
bind('sim-run', 'click', () => {
  if (sim.running) { sim.running = false; simDraw(); return; }
  if (sim.iteration[sim.iteration.length - 1] >= state.iters) simReset();
  sim.running = true;
  simOwed = 0;
  simLastFrame = 0;
  requestAnimationFrame(simFrame);
});
bind('sim-reset', 'click', () => { simReset(); });

let lastWidth = 0;
new ResizeObserver(() => {
  const width = plotWidth($('plot'));
  if (width === lastWidth) return;
  lastWidth = width;
  plot.setSize({ width, height: 360 });
  simPlot.setSize({ width: plotWidth($('sim-plot')), height: 260 });
}).observe($('plot'));

setText('version', `saferl_budget.h ${cstr(M._budget_version())}`);
readUrl();
update();
window.__ready = true;
