// app.js - two architecture searches of saferl_nas.h side by side. Every loss, probability and
// architecture comes from the header through nas.mjs (glue.c); this file moves numbers and
// draws. Runs are sliced across animation frames (a few milliseconds of work per frame), so
// the page stays responsive; the URL holds the settings and the iterations done, its fragment a
// checkpoint of the view (see "the link's checkpoint").
import createNasModule from './nas.mjs';
import { speedControl, speedParam } from '../speed.js';
import { legendValue } from '../legend.js';

const lib = await createNasModule();
const $ = (id) => document.getElementById(id);
const canvas = $('view');
const ctx = canvas.getContext('2d');
const utf8 = new TextDecoder();
function cstr(ptr) {
  const heap = lib.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) ++end;
  return utf8.decode(heap.subarray(ptr, end));
}

// every strategy the header has, by its kind (saferl_nas_strategy_kind), named by the header
const STRATEGIES = [];
for (let kind = 0; cstr(lib._nas_strategy_name(kind)) !== '?'; ++kind) STRATEGIES.push(cstr(lib._nas_strategy_name(kind)));
const LABELS = { advantage: 'AdvantageNAS', reinforce: 'REINFORCE', parsec: 'PARSEC', gdas: 'GDAS',
  proxyless: 'ProxylessNAS', darts: 'DARTS (dense)', snas: 'SNAS', nasp: 'NASP',
  proxyless_official: 'ProxylessNAS (official code\u2019s rescale)' };
const strategyLabel = (name) => LABELS[name] || name;
const TASKS = ['toy', 'images'];
// The image set is smaller than nas_search's (800 images of 12 x 12, width 8, batch 32) so a
// step fits a frame; the glue takes nas_search's sizes as well.
const IMAGES = { count: 400, side: 10, channels: 4, batch: 16 };
const TOY_BATCH = 100;
const MAX_ITERS = 5000;
const FRAME_BUDGET_MS = 12;
const RUN_COLORS = ['#2f6fdf', '#d9582b'];
const OP_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#7f7f7f'];
const SHORT_OPS = { none: 'none', skip_connect: 'skip', nor_conv_1x1: 'conv 1x1', nor_conv_3x3: 'conv 3x3', avg_pool_3x3: 'pool 3x3' };
const DEFAULT_ITERS = { toy: 2000, images: 400 };

const ints = lib._malloc(16 * 4);
const probBuf = lib._malloc(16 * 16 * 8);
const i32 = (n) => Array.from(new Int32Array(lib.HEAP32.buffer, ints, n));

// ---- settings and the URL ------------------------------------------------------------------
// The architecture parameters' Adam step size: 0 is the official setting (toy 1e-3), which
// leaves the heat maps at 0.10 for a minute on the page. The default 1e-2 moves them within
// seconds and keeps the comparison (toy, seeds 1-10, 2000 iterations, settings fixed before the
// run: AdvantageNAS's median first hit of the teacher 194 against REINFORCE's 978; at 1e-3, 518
// against 1059).
const ALR_CHOICES = ['0', '0.003', '0.01', '0.03'];
const settings = { task: 'toy', a: 'advantage', b: 'reinforce', seed: 1, iters: 2000, wb: 0, zero: 0, alr: 0.01, edge: 0 };

// A bad value in the URL is reported under the caption and replaced by the default.
function urlMessage(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('url-messages').append(li);
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  const choice = (key, list) => {
    if (!q.has(key)) return;
    if (list.includes(q.get(key))) settings[key] = q.get(key);
    else urlMessage(`${key} in the URL: "${q.get(key)}" is not one of ${list.join(', ')}; showing ${settings[key]}`);
  };
  choice('task', TASKS);
  settings.iters = DEFAULT_ITERS[settings.task];
  choice('a', STRATEGIES);
  choice('b', STRATEGIES);
  const int = (key, lo, hi) => {
    if (!q.has(key)) return;
    const raw = q.get(key), v = Number(raw);
    if (raw.trim() !== '' && Number.isInteger(v) && v >= lo && v <= hi) settings[key] = v;
    else urlMessage(`${key} in the URL: "${raw}" is not an integer from ${lo} to ${hi}; using ${settings[key]}`);
  };
  int('seed', 0, 2147483647);
  int('iters', 1, MAX_ITERS);
  int('wb', 0, 1);
  int('zero', 0, 1);
  int('edge', 0, 9);
  if (q.has('alr')) {
    if (ALR_CHOICES.includes(q.get('alr'))) settings.alr = Number(q.get('alr'));
    else urlMessage(`alr in the URL: "${q.get('alr')}" is not one of ${ALR_CHOICES.join(', ')}; using ${settings.alr}`);
  }
  if (!q.has('at')) return 0;
  const raw = q.get('at'), at = Number(raw);
  if (raw.trim() !== '' && Number.isInteger(at) && at >= 0 && at <= settings.iters) return at;
  urlMessage(`at in the URL: "${raw}" is not an iteration from 0 to ${settings.iters}; starting at 0`);
  return 0;
}

function writeUrl() {
  const q = new URLSearchParams({ task: settings.task, a: settings.a, b: settings.b, seed: settings.seed,
    iters: settings.iters, wb: settings.wb, zero: settings.zero, alr: settings.alr, edge: settings.edge, at: iteration,
    speed: speedParam($('speed')) });
  let fragment = '';
  if (restoredAt) fragment = `#view=${restoredFragment}`;
  else if (iteration > 0 && !failure && runs.length === 2) fragment = `#view=${encodeCheckpoint()}`;
  history.replaceState(null, '', `${location.pathname}?${q.toString()}${fragment}`);
}

function settingsToControls() {
  document.querySelector(`input[name=task][value=${settings.task}]`).checked = true;
  $('strategy-a').value = settings.a;
  $('strategy-b').value = settings.b;
  $('seed').value = String(settings.seed);
  $('iters').value = String(settings.iters);
  $('wb').checked = settings.wb === 1;
  $('zero').checked = settings.zero === 1;
  $('alr').value = String(settings.alr);
}

function controlsToSettings() {
  const task = document.querySelector('input[name=task]:checked').value;
  if (task !== settings.task) $('iters').value = String(DEFAULT_ITERS[task]);
  settings.task = task;
  settings.a = $('strategy-a').value;
  settings.b = $('strategy-b').value;
  settings.seed = Math.min(2147483647, Math.max(0, Math.round(Number($('seed').value) || 0)));
  settings.iters = Math.min(MAX_ITERS, Math.max(1, Math.round(Number($('iters').value) || 1)));
  settings.wb = $('wb').checked ? 1 : 0;
  settings.zero = $('zero').checked ? 1 : 0;
  settings.alr = Number($('alr').value);
}

// ---- the two runs ----------------------------------------------------------------------------
let runs = [];
let iteration = 0, target = 0, running = false, failure = '';

function createRun(name) {
  const kind = STRATEGIES.indexOf(name), task = settings.task === 'toy' ? 0 : 1;
  const ptr = lib._nas_run_create(task, kind, settings.seed, settings.iters, settings.wb, settings.zero, TOY_BATCH,
    IMAGES.count, IMAGES.side, IMAGES.channels, IMAGES.batch, settings.alr);
  if (!ptr) throw new Error(`${name}: ${cstr(lib._nas_result_string(lib._nas_last_error()))}`);
  lib._nas_run_info(ptr, ints);
  const [, E, K] = i32(3);
  const recordSize = lib._nas_run_record_size(ptr);
  const ops = [];
  for (let k = 0; k < K; ++k) ops.push(task === 0 ? `op ${k}` : cstr(lib._nas_run_op_name(ptr, k)));
  lib._nas_run_architecture(ptr, 2, ints);
  const teacher = task === 0 ? i32(E) : null;
  const record = lib._malloc(recordSize * 8);
  const probabilities = new Float64Array(E * K);
  lib._nas_run_probabilities(ptr, probBuf);
  probabilities.set(new Float64Array(lib.HEAPF64.buffer, probBuf, E * K));
  return {
    name, kind, ptr, E, K, ops, teacher, record, recordSize, probabilities,
    loss: [], lossEma: [], argmaxLoss: [], entropy: [],
    history: new Float32Array(settings.iters * E * K), // probabilities after each iteration
    initial: Float32Array.from(probabilities),
    ema: NaN, lastArgmaxLoss: NaN, firstHit: -1,
  };
}
function destroyRuns() {
  for (const r of runs) {
    lib._nas_run_destroy(r.ptr);
    lib._free(r.record);
  }
  runs = [];
}

function reset() {
  stop();
  destroyRuns();
  restoredAt = 0;
  restoredFragment = '';
  iteration = 0;
  target = 0;
  failure = '';
  try {
    runs = [createRun(settings.a), createRun(settings.b)];
  } catch (e) {
    failure = e.message;
  }
  if (settings.edge >= (runs[0]?.E ?? 1)) settings.edge = 0;
  buildCharts();
}

// One iteration of both runs; false at the end or on an error.
function stepBoth() {
  if (iteration >= settings.iters || failure || runs.length !== 2) return false;
  for (const r of runs) {
    const n = lib._nas_run_step(r.ptr, 1, r.record);
    if (n !== 1) {
      failure = `${strategyLabel(r.name)} at iteration ${iteration}: ${cstr(lib._nas_result_string(n))}`;
      return false;
    }
    const rec = new Float64Array(lib.HEAPF64.buffer, r.record, r.recordSize);
    const loss = rec[0];
    r.ema = Number.isFinite(r.ema) ? 0.05 * loss + 0.95 * r.ema : loss;
    r.loss.push(loss);
    r.lossEma.push(r.ema);
    r.argmaxLoss.push(Number.isFinite(rec[1]) ? rec[1] : null);
    if (Number.isFinite(rec[1])) r.lastArgmaxLoss = rec[1];
    r.entropy.push(rec[2]);
    r.probabilities.set(rec.subarray(3));
    r.history.set(r.probabilities, iteration * r.E * r.K);
  }
  ++iteration;
  return true;
}

// ---- running across frames ------------------------------------------------------------------
let urlTimer = 0;
// run: iterations of both searches at the speed control's rate; fast fills each frame's budget
const speed = speedControl($('speed'), $('speed-text'), [10, 100, Infinity], 'iterations/s', urlMessage);
let owed = 0, lastFrame = 0, fullUntil = 0; // full speed below fullUntil: recomputing a link's view
function frame(now) {
  if (!running) return;
  const t0 = performance.now();
  const rate = iteration < fullUntil ? Infinity : speed();
  owed = Math.min(owed + (lastFrame ? (now - lastFrame) : 16) * rate / 1000, 1e9);
  lastFrame = now;
  let more = true;
  while (more && owed >= 1 && performance.now() - t0 < FRAME_BUDGET_MS) {
    more = iteration < target && stepBoth();
    owed -= 1;
  }
  if (!Number.isFinite(rate) || owed > 100) owed = Math.min(owed, 1); // never a burst after a slow frame
  if (!more || iteration >= target) stop();
  render();
  if (running) requestAnimationFrame(frame);
}
function start(to, full = false) {
  fullUntil = full ? to : 0;
  target = Math.min(settings.iters, to);
  if (iteration >= target || failure) return;
  running = true;
  owed = 0;
  lastFrame = 0;
  $('run').textContent = 'pause';
  requestAnimationFrame(frame);
}
function stop() {
  running = false;
  $('run').textContent = 'run';
}

// ---- readout --------------------------------------------------------------------------------
function fmt(x, digits = 4) {
  if (x == null || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(digits - 1);
  return x.toPrecision(digits);
}

function architecture(r, which) {
  lib._nas_run_architecture(r.ptr, which, ints);
  return i32(r.E);
}

// What the view draws of a run: the library's state now, or the link's checkpoint.
function view(r) {
  if (r.checkpoint) return r.checkpoint;
  lib._nas_run_info(r.ptr, ints);
  const [, , , at, firstHit] = i32(6);
  return {
    iteration: at, firstHit, argmax: architecture(r, 0), best: at > 0 ? architecture(r, 1) : null,
    probabilities: r.probabilities, ema: r.ema, lastArgmaxLoss: r.lastArgmaxLoss,
    entropy: r.entropy.length ? r.entropy[r.entropy.length - 1] : Math.log(r.K), accuracy: lib._nas_run_accuracy(r.ptr),
  };
}

// NAS-Bench-201's string of a cell, "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|" (saferl_nas_arch_string_format).
function nb201String(r, choice) {
  let text = '', e = 0;
  for (let to = 1; e < choice.length; ++to) {
    text += to > 1 ? '+|' : '|';
    for (let from = 0; from < to; ++from, ++e) text += `${r.ops[choice[e]]}~${from}|`;
  }
  return text;
}

function archText(r, choice) {
  if (!choice) return '\u2014';
  return settings.task === 'images' ? nb201String(r, choice) : choice.join(' ');
}

function snapshot() {
  return {
    settings: { ...settings }, iteration, running, target, failure,
    restored: restoredAt > 0, restoredAt, urlLength: location.href.length,
    runs: runs.map((r) => {
      const v = view(r);
      return {
        strategy: r.name, edges: r.E, ops: r.K, iteration: v.iteration, firstHit: v.firstHit,
        argmax: v.argmax, best: v.best ?? architecture(r, 1), teacher: r.teacher,
        archString: settings.task === 'images' ? nb201String(r, v.argmax) : null,
        probabilities: Array.from(v.probabilities), accuracy: v.accuracy,
        // the live run's every value; a restored view has the checkpoint's samples (curves)
        loss: r.checkpoint ? null : r.loss.slice(), argmaxLoss: r.checkpoint ? null : r.argmaxLoss.slice(),
        entropy: r.checkpoint ? null : r.entropy.slice(), curves: r.checkpoint ? r.checkpoint.curves : null,
      };
    }),
  };
}

function renderReadout() {
  const toy = settings.task === 'toy';
  $('r-argmax-loss-label').textContent = toy ? 'argmax loss (fresh batch, every 10)' : 'argmax loss, held-out half (every 50)';
  $('r-score-label').textContent = toy ? 'edges = teacher' : 'argmax accuracy, held-out half';
  $('row-hit').classList.toggle('hidden', !toy);
  runs.forEach((r, j) => {
    const side = j === 0 ? 'a' : 'b', v = view(r);
    $(`h-${side}`).textContent = `${'AB'[j]}: ${strategyLabel(r.name)}${r.name === 'advantage' && settings.wb ? ' + baseline' : ''}`;
    $(`r-${side}-iter`).textContent = String(v.iteration);
    $(`r-${side}-argmax-loss`).textContent = fmt(v.lastArgmaxLoss);
    $(`r-${side}-loss`).textContent = fmt(v.ema);
    $(`r-${side}-entropy`).textContent = fmt(v.entropy);
    $(`r-${side}-argmax`).textContent = archText(r, v.argmax);
    $(`r-${side}-best`).textContent = archText(r, v.best);
    if (toy) {
      $(`r-${side}-score`).textContent = `${v.argmax.filter((op, e) => op === r.teacher[e]).length} of ${r.E}`;
      $(`r-${side}-hit`).textContent = v.firstHit > 0 ? String(v.firstHit) : 'not yet';
    } else {
      $(`r-${side}-score`).textContent = Number.isFinite(v.accuracy) ? v.accuracy.toFixed(3) : '—';
    }
  });
  const status = $('status');
  status.classList.toggle('bad', !!failure);
  status.textContent = failure || (restoredAt ? `iteration ${iteration} of ${settings.iters}, restored from the link\u2019s `
    + 'checkpoint of the view; run, step or another edge first recompute the runs from iteration 0 at full speed'
    : `iteration ${iteration} of ${settings.iters}${running ? (iteration < fullUntil ? ' \u2014 recomputing' : ' \u2014 running') : ''}`);
}

// ---- the link's checkpoint of the view ------------------------------------------------------
// A link restores what the page drew at `at` from a checkpoint in its fragment instead of
// replaying the runs (2000 toy iterations take a minute or more on a slow machine). Per run it
// holds the state the view draws: every probability (float32), the argmax and process-best
// architectures, the first hit, the readout's numbers, and the curves sampled at CURVE_POINTS
// iterations (the selected edge's probabilities as bytes: a chart's resolution). A hash of the
// settings ties it to its query. Run, step or another edge need the runs themselves: the page
// then recomputes them from iteration 0 at full speed and carries on.
const CHECKPOINT_VERSION = 1, CURVE_POINTS = 80;
let restoredAt = 0, restoredFragment = '';

function settingsHash(at) { // FNV-1a of the settings the checkpoint belongs to
  const text = [settings.task, settings.a, settings.b, settings.seed, settings.iters, settings.wb, settings.zero,
    settings.alr, settings.edge, at].join('|');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; ++i) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function byteWriter() {
  const bytes = [], scratch = new DataView(new ArrayBuffer(4));
  const put = (n) => { for (let i = 0; i < n; ++i) bytes.push(scratch.getUint8(i)); };
  return {
    bytes,
    u8: (v) => bytes.push(v & 255),
    u16: (v) => { scratch.setUint16(0, v, true); put(2); },
    u32: (v) => { scratch.setUint32(0, v >>> 0, true); put(4); },
    i32: (v) => { scratch.setInt32(0, v, true); put(4); },
    f32: (v) => { scratch.setFloat32(0, v == null ? NaN : v, true); put(4); },
  };
}
function byteReader(bytes) {
  const data = new DataView(bytes.buffer);
  let at = 0;
  const take = (n) => { if (at + n > bytes.length) throw new Error('the checkpoint is cut short'); at += n; return at - n; };
  return {
    u8: () => data.getUint8(take(1)), u16: () => data.getUint16(take(2), true), u32: () => data.getUint32(take(4), true),
    i32: () => data.getInt32(take(4), true),
    f32: () => { const v = data.getFloat32(take(4), true); return Number.isNaN(v) ? null : v; },
    done: () => at === bytes.length,
  };
}

// Sample iterations 0 .. n (CURVE_POINTS + 1 of them at most, both ends included).
function sampleIterations(n) {
  const count = Math.min(n, CURVE_POINTS), xs = [];
  for (let i = 0; i <= count; ++i) xs.push(count ? Math.round((i * n) / count) : 0);
  return xs;
}
// The argmax losses as the loss chart places them: [x, value] pairs, at most CURVE_POINTS.
function argmaxDots(r) {
  const toy = settings.task === 'toy', dots = [];
  r.argmaxLoss.forEach((v, i) => { if (v !== null && !(toy && v === 0)) dots.push([toy ? i : i + 1, v]); });
  if (dots.length <= CURVE_POINTS) return dots;
  return Array.from({ length: CURVE_POINTS }, (_, i) => dots[Math.round((i * (dots.length - 1)) / (CURVE_POINTS - 1))]);
}

function encodeCheckpoint() {
  const w = byteWriter(), xs = sampleIterations(iteration), e = settings.edge;
  w.u8(CHECKPOINT_VERSION);
  w.u32(settingsHash(iteration));
  for (const r of runs) {
    const v = view(r);
    w.i32(v.firstHit);
    v.argmax.forEach(w.u8);
    (v.best ?? v.argmax).forEach(w.u8);
    [v.ema, v.lastArgmaxLoss, v.entropy, v.accuracy].forEach(w.f32);
    v.probabilities.forEach(w.f32);
    w.u8(xs.length);
    for (const x of xs) {
      w.u16(x);
      w.f32(x ? r.lossEma[x - 1] : null);
      w.f32(x ? r.entropy[x - 1] : Math.log(r.K));
      for (let k = 0; k < r.K; ++k)
        w.u8(Math.round(255 * (x ? r.history[((x - 1) * r.E + e) * r.K + k] : r.initial[e * r.K + k])));
    }
    const dots = argmaxDots(r);
    w.u8(dots.length);
    for (const [x, value] of dots) { w.u16(x); w.f32(value); }
  }
  let text = '';
  for (const b of w.bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Installs the checkpoint on the fresh runs (reset()); a message and false when it does not fit.
function restoreCheckpoint(fragment, at) {
  try {
    const text = atob(fragment.replace(/-/g, '+').replace(/_/g, '/'));
    const rd = byteReader(Uint8Array.from(text, (c) => c.charCodeAt(0)));
    if (rd.u8() !== CHECKPOINT_VERSION) throw new Error('it is of another version');
    if (rd.u32() !== settingsHash(at)) throw new Error('it belongs to other settings');
    const views = runs.map((r) => {
      const choice = () => Array.from({ length: r.E }, () => {
        const op = rd.u8();
        if (op >= r.K) throw new Error('an operation is out of range');
        return op;
      });
      const v = { iteration: at, firstHit: rd.i32(), argmax: choice(), best: choice() };
      [v.ema, v.lastArgmaxLoss, v.entropy, v.accuracy] = [rd.f32(), rd.f32(), rd.f32(), rd.f32()];
      v.probabilities = Float64Array.from({ length: r.E * r.K }, () => rd.f32() ?? NaN);
      if (!v.probabilities.every((p) => p >= 0 && p <= 1)) throw new Error('a probability is out of range');
      const curves = { x: [], lossEma: [], entropy: [], edge: [], dots: [] };
      for (let n = rd.u8(), i = 0; i < n; ++i) {
        curves.x.push(rd.u16());
        curves.lossEma.push(rd.f32());
        curves.entropy.push(rd.f32());
        curves.edge.push(Array.from({ length: r.K }, () => rd.u8() / 255));
      }
      for (let n = rd.u8(), i = 0; i < n; ++i) curves.dots.push([rd.u16(), rd.f32()]);
      v.curves = curves;
      return v;
    });
    if (!rd.done()) throw new Error('it has bytes to spare');
    runs.forEach((r, j) => { r.checkpoint = views[j]; });
    iteration = at;
    restoredAt = at;
    restoredFragment = fragment;
    return true;
  } catch (err) {
    urlMessage(`the link's checkpoint of the view cannot be used (${err.message.replace(/^.*: /, '')}); recomputing ${at} iterations`);
    return false;
  }
}

// Back from the checkpoint to live runs at iteration 0; returns the checkpoint's iteration.
function leaveCheckpoint() {
  const at = restoredAt;
  reset();
  return at;
}

// ---- the canvas: a heat map of the probabilities per run ------------------------------------
let layout = null;
// The canvas is drawn at its displayed width, so its text keeps its size on a phone; below
// 640 px the two runs stack (A above B) and the numbers are left out where a cell is too small.
function drawHeatmaps() {
  const W = Math.max(300, Math.round(canvas.clientWidth || 960));
  if (canvas.width !== W) canvas.width = W;
  if (!runs.length) { ctx.clearRect(0, 0, W, canvas.height); return; }
  const toy = settings.task === 'toy', E = runs[0].E, K = runs[0].K;
  const gap = 36, labelW = toy ? 58 : 44, top = 56, rowH = toy ? 36 : 50, stacked = W < 640;
  const panelW = stacked ? W : (W - gap) / 2, cellW = (panelW - labelW - 8) / K;
  const panelH = top + E * rowH + 14, H = stacked ? 2 * panelH : panelH;
  if (canvas.height !== H) canvas.height = H;
  ctx.clearRect(0, 0, W, H);
  layout = { top, rowH, E, panelH };
  ctx.textBaseline = 'middle';
  const numbers = cellW >= (toy ? 30 : 40);
  runs.forEach((r, j) => {
    const x0 = stacked ? 0 : j * (panelW + gap), gx = x0 + labelW;
    ctx.save();
    if (stacked) ctx.translate(0, j * panelH);
    ctx.fillStyle = RUN_COLORS[j];
    ctx.font = '600 15px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.fillText(`${'AB'[j]}: ${strategyLabel(r.name)}`, x0, 14);
    ctx.fillStyle = '#5b6472';
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.fillText(`iteration ${iteration}`, x0 + panelW, 14);
    ctx.textAlign = 'center';
    for (let k = 0; k < K; ++k) {
      const name = toy ? String(k) : SHORT_OPS[r.ops[k]] || r.ops[k];
      ctx.fillText(name, gx + (k + 0.5) * cellW, top - 12);
    }
    const v = view(r), am = v.argmax;
    for (let e = 0; e < E; ++e) {
      const y = top + e * rowH;
      ctx.textAlign = 'right';
      ctx.fillStyle = e === settings.edge ? '#1d2430' : '#5b6472';
      ctx.font = `${e === settings.edge ? '600 ' : ''}12px system-ui, sans-serif`;
      let label = `edge ${e}`;
      if (!toy) { const [from, to] = edgeNodes(e); label = `${to}\u2190${from}`; }
      ctx.fillText(label, gx - 8, y + rowH / 2);
      for (let k = 0; k < K; ++k) {
        const p = v.probabilities[e * K + k], t = Math.pow(Math.min(1, Math.max(0, p)), 0.6);
        const x = gx + k * cellW;
        ctx.fillStyle = `rgb(${Math.round(255 - 225 * t)},${Math.round(255 - 175 * t)},${Math.round(255 - 60 * t)})`;
        ctx.fillRect(x + 1, y + 1, cellW - 2, rowH - 2);
        ctx.fillStyle = t > 0.55 ? '#fff' : '#333';
        ctx.font = '11px ui-monospace, monospace';
        ctx.textAlign = 'center';
        if (numbers) ctx.fillText(p.toFixed(toy ? 2 : 3), x + cellW / 2, y + rowH / 2 - (toy ? 3 : 5));
        if (r.teacher && r.teacher[e] === k) {
          ctx.strokeStyle = '#e08c00';
          ctx.lineWidth = 3;
          ctx.strokeRect(x + 2.5, y + 2.5, cellW - 5, rowH - 5);
        }
        if (am[e] === k) {
          ctx.fillStyle = t > 0.55 ? '#fff' : '#111';
          ctx.beginPath();
          ctx.arc(x + cellW / 2, y + rowH - (toy ? 8 : 11), 3.5, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
      if (e === settings.edge) {
        ctx.strokeStyle = RUN_COLORS[j];
        ctx.lineWidth = 2;
        ctx.strokeRect(gx - 0.5, y - 0.5, K * cellW + 1, rowH + 1);
      }
    }
    ctx.lineWidth = 1;
    ctx.restore();
  });
  layout.panelW = panelW;
  layout.gap = gap;
}

function edgeNodes(e) { // (1<-0), (2<-0), (2<-1), (3<-0), ...
  let to = 1;
  while (e >= to) { e -= to; ++to; }
  return [e, to];
}

function selectEdge(e) {
  if (!layout || e < 0 || e >= layout.E) return;
  const at = restoredAt ? leaveCheckpoint() : 0;
  settings.edge = e;
  buildEdgeCharts();
  if (at) start(at, true);
  render();
  writeUrl();
}
canvas.addEventListener('click', (ev) => {
  if (!layout) return;
  const rect = canvas.getBoundingClientRect();
  const y = (((ev.clientY - rect.top) / rect.height) * canvas.height) % layout.panelH; // either run's rows
  selectEdge(Math.floor((y - layout.top) / layout.rowH));
});
// the keyboard path: the heat maps take the focus, arrow keys move the selected edge
canvas.addEventListener('keydown', (ev) => {
  const move = { ArrowUp: -1, ArrowDown: 1, ArrowLeft: -1, ArrowRight: 1 }[ev.key];
  if (move === undefined) return;
  ev.preventDefault();
  selectEdge(settings.edge + move);
});

// ---- charts (uPlot) -------------------------------------------------------------------------
let charts = {};
function chartWidth(id) { return Math.max(240, $(id).clientWidth || 400); }

function destroyCharts() {
  for (const c of Object.values(charts)) c?.destroy();
  charts = {};
}

function buildCharts() {
  destroyCharts();
  if (!runs.length) return;
  const toy = settings.task === 'toy';
  $('loss-title').textContent = toy
    ? 'loss (log scale): lines the sampled architecture\u2019s (EMA 0.05), dots the argmax\u2019s on a fresh batch (0 once it is the teacher: not drawn)'
    : 'loss: lines the sampled architecture\u2019s on validation batches (EMA 0.05), dots the argmax\u2019s on the held-out half';
  const runSeries = (what, dash, points) => runs.map((r, j) => ({
    label: `${'AB'[j]} ${what}`, stroke: RUN_COLORS[j], width: points ? 0 : 1.6, dash,
    points: points ? { show: true, size: 5, fill: RUN_COLORS[j], stroke: RUN_COLORS[j] } : { show: false },
    spanGaps: true, value: legendValue(fmt),
  }));
  charts.loss = new uPlot({
    width: chartWidth('plot-loss'), height: 230,
    scales: { x: { time: false }, y: toy ? { distr: 3 } : {} },
    axes: [{ label: 'iteration' }, { size: 60 }],
    series: [{ label: 'iteration', value: legendValue(String) }, ...runSeries('sampled', undefined, false), ...runSeries('argmax', undefined, true)],
  }, [[], [], [], [], []], $('plot-loss'));
  charts.entropy = new uPlot({
    width: chartWidth('plot-entropy'), height: 230,
    scales: { x: { time: false }, y: { range: [0, Math.log(runs[0].K) * 1.02] } },
    axes: [{ label: 'iteration' }, { size: 50 }],
    series: [{ label: 'iteration', value: legendValue(String) }, ...runSeries('entropy', undefined, false)],
  }, [[], [], []], $('plot-entropy'));
  buildEdgeCharts();
}

function buildEdgeCharts() {
  charts.edgeA?.destroy();
  charts.edgeB?.destroy();
  if (!runs.length) return;
  const toy = settings.task === 'toy', e = settings.edge;
  runs.forEach((r, j) => {
    const id = j === 0 ? 'plot-edge-a' : 'plot-edge-b';
    let label = `edge ${e}`;
    if (!toy) { const [from, to] = edgeNodes(e); label = `edge ${to}\u2190${from}`; }
    $(j === 0 ? 'edge-title-a' : 'edge-title-b').textContent =
      `${'AB'[j]}: ${strategyLabel(r.name)} \u2014 probabilities of ${label}${toy ? ` (teacher: op ${r.teacher[e]})` : ''}`;
    const series = [{ label: 'iteration', value: legendValue(String) }];
    for (let k = 0; k < r.K; ++k) {
      const isTeacher = toy && r.teacher[e] === k;
      series.push({ label: toy ? `op ${k}` : SHORT_OPS[r.ops[k]], stroke: OP_COLORS[k % OP_COLORS.length],
        width: isTeacher ? 3 : 1.4, points: { show: false }, value: legendValue((v) => v.toFixed(3)) });
    }
    charts[j === 0 ? 'edgeA' : 'edgeB'] = new uPlot({
      width: chartWidth(id), height: 220,
      scales: { x: { time: false }, y: { range: [0, 1] } },
      axes: [{ label: 'iteration' }, { size: 40 }],
      series,
    }, Array.from({ length: r.K + 1 }, () => []), $(id));
  });
}

// A restored view's curves: both runs' samples and argmax dots on one x axis (gaps spanned).
function renderCheckpointCharts() {
  const xs = [...new Set(runs.flatMap((r) => [...r.checkpoint.curves.x, ...r.checkpoint.curves.dots.map(([x]) => x)]))]
    .sort((a, b) => a - b);
  const at = (pairs) => { const m = new Map(pairs); return xs.map((x) => (m.has(x) ? m.get(x) : null)); };
  const line = (r, key) => at(r.checkpoint.curves.x.map((x, i) => [x, r.checkpoint.curves[key][i]]));
  charts.loss.setData([xs, ...runs.map((r) => line(r, 'lossEma')), ...runs.map((r) => at(r.checkpoint.curves.dots))]);
  charts.entropy.setData([xs, ...runs.map((r) => line(r, 'entropy'))]);
  runs.forEach((r, j) => {
    const c = r.checkpoint.curves;
    charts[j === 0 ? 'edgeA' : 'edgeB'].setData([c.x, ...Array.from({ length: r.K }, (_, k) => c.edge.map((p) => p[k]))]);
  });
}

function renderCharts() {
  if (!runs.length || !charts.loss) return;
  if (restoredAt) { renderCheckpointCharts(); return; }
  const toy = settings.task === 'toy';
  const xs = Array.from({ length: iteration + 1 }, (_, i) => i);
  // iteration 0 is the start: the uniform distribution, before any loss
  const withStart = (arr, first) => [first, ...arr];
  // the toy's argmax loss is measured before update i (x = i), the images' after it (x = i + 1);
  // a loss of exactly 0 (argmax = teacher) has no place on the log scale
  const argmaxAt = (r) => (toy ? [...r.argmaxLoss, null] : withStart(r.argmaxLoss, null)).map((v) => (toy && v === 0 ? null : v));
  charts.loss.setData([xs, ...runs.map((r) => withStart(r.lossEma, null)), ...runs.map(argmaxAt)]);
  charts.entropy.setData([xs, ...runs.map((r) => withStart(r.entropy, Math.log(r.K)))]);
  const e = settings.edge;
  runs.forEach((r, j) => {
    const data = [xs];
    for (let k = 0; k < r.K; ++k) {
      const ys = new Array(iteration + 1);
      ys[0] = r.initial[e * r.K + k];
      for (let i = 0; i < iteration; ++i) ys[i + 1] = r.history[(i * r.E + e) * r.K + k];
      data.push(ys);
    }
    charts[j === 0 ? 'edgeA' : 'edgeB'].setData(data);
  });
}

// ---- render ---------------------------------------------------------------------------------
let lastUrlWrite = 0;
function render() {
  drawHeatmaps();
  renderReadout();
  renderCharts();
  $('teacher-note').classList.toggle('hidden', settings.task !== 'toy');
  $('task-hint').textContent = settings.task === 'toy'
    ? 'The AdvantageNAS paper\u2019s teacher\u2013student task: 10 edges \u00d7 10 operations, Adam 1e-3, batch 100; the student should find the teacher\u2019s architecture.'
    : `NAS-Bench-201 cell (4 nodes, 6 edges) on ${IMAGES.count} synthetic ${IMAGES.side}\u00d7${IMAGES.side} gratings of 4 classes, width ${IMAGES.channels}, batch ${IMAGES.batch}; weight and architecture steps alternate.`;
  $('zero-row').classList.toggle('muted', settings.task !== 'images');
  const now = performance.now();
  if (!running || now - lastUrlWrite > 500) { writeUrl(); lastUrlWrite = now; }
}

// ---- controls -------------------------------------------------------------------------------
for (const s of STRATEGIES)
  for (const id of ['strategy-a', 'strategy-b']) {
    const o = document.createElement('option');
    o.value = s;
    o.textContent = strategyLabel(s);
    $(id).appendChild(o);
  }

$('step').addEventListener('click', () => {
  stop();
  const at = restoredAt ? leaveCheckpoint() : iteration;
  start(at + 10, true);
});
$('run').addEventListener('click', () => {
  if (running) { stop(); render(); return; }
  const at = restoredAt ? leaveCheckpoint() : 0;
  start(settings.iters);
  fullUntil = at;
});
$('reset').addEventListener('click', () => { reset(); render(); });
for (const el of document.querySelectorAll('input[name=task], #strategy-a, #strategy-b, #seed, #iters, #wb, #zero, #alr'))
  el.addEventListener('change', () => { controlsToSettings(); reset(); render(); });

let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const [key, id] of [['loss', 'plot-loss'], ['entropy', 'plot-entropy'], ['edgeA', 'plot-edge-a'], ['edgeB', 'plot-edge-b']])
      charts[key]?.setSize({ width: chartWidth(id), height: charts[key].height });
    drawHeatmaps();
  }, 150);
});

$('version').textContent = 'saferl_nas.h ' + cstr(lib._nas_version());
// Tests read the state through window.__nas (computed when read).
Object.defineProperty(window, '__nas', { get: snapshot });
const linkAt = readUrl();
settingsToControls();
reset();
const fragment = new URLSearchParams(location.hash.slice(1)).get('view');
if (linkAt > 0 && !(fragment && restoreCheckpoint(fragment, linkAt))) start(linkAt, true); // an old link: replay
render();
window.__ready = true;
