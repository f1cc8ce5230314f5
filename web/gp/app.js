// app.js - the saferl_gp.h demo page: hidden functions on a grid, SafeOpt / StageOpt / safe UCB
// stepping in WebAssembly, the bands, sets and evaluations drawn on a canvas. The URL holds the
// settings, the number of steps and a drawn function, so a link reproduces the run.
import createGpModule from './gp.mjs';
import { speedControl, speedParam } from '../speed.js';

const lib = await createGpModule();
const $ = (id) => document.getElementById(id);
const canvas = $('view');
// canvas text in CSS pixels: the canvas is drawn at a fixed size and shown narrower on a phone,
// so its fonts grow by the ratio to stay readable
const textPx = (size) => Math.round(size * Math.max(1, canvas.width / (canvas.clientWidth || canvas.width)));
const ctx = canvas.getContext('2d');

const GRID1 = { side: 201, lo: 0, hi: 10 };
const GRID2 = { side: 41, lo: 0, hi: 5 };
const CAPACITY = 200;

// ---- the hidden functions ----------------------------------------------------------------
const FUNCTIONS = {
  bump: {
    f1: (x) => 2 * Math.exp(-0.5 * (x - 6.5) ** 2) + 0.3 * Math.sin(2 * x),
    g1: (x) => 1 - 0.06 * (x - 4) ** 2 + 0.2 * Math.cos(1.5 * x),
    seed1: [3.5, 4.5],
    f2: (a, b) => 2 * Math.exp(-0.5 * ((a - 3.5) ** 2 + (b - 3.5) ** 2)) + 0.2 * Math.sin(a) * Math.cos(b),
    g2: (a, b) => 1 - 0.19 * ((a - 1.5) ** 2 + (b - 1.5) ** 2),
    seed2: [1.2, 1.8],
  },
  hills: {
    f1: (x) => 1.5 * Math.exp(-((x - 2) ** 2) / 0.8) + 2.2 * Math.exp(-((x - 8) ** 2) / 1.0),
    g1: (x) => 0.7 - 1.2 * Math.exp(-((x - 5) ** 2) / 0.8),
    seed1: [1.5, 2.5],
    f2: (a, b) => 1.5 * Math.exp(-((a - 1) ** 2 + (b - 1) ** 2) / 0.8) + 2.2 * Math.exp(-((a - 4) ** 2 + (b - 4) ** 2)),
    g2: (a, b) => 0.7 - 1.2 * Math.exp(-((a - 2.5) ** 2 + (b - 2.5) ** 2) / 0.8),
    seed2: [0.7, 1.3],
  },
};
let drawn = null; // { f: Float64Array, g: Float64Array } for "draw", always on the codec's levels

// ---- a drawn function in the URL ------------------------------------------------------------
// "d1." + base64url of: f then g, each the 201 grid samples quantised to 12 bits over the plot's
// range (f in [-1.5, 3.2], g in [-2, 2]; steps of 1.1e-3 and 9.8e-4), two samples in three
// bytes (a zero pad sample makes 202), then one check byte (the sum of the others mod 256):
// 607 bytes, 810 characters after the prefix. The page keeps a drawn function on these levels at all times, so
// the run after a reload is the same run.
const DRAWN = { samples: 201, bits: 12, f: [-1.5, 3.2], g: [-2, 2], prefix: 'd1.' };
const DRAWN_LEVELS = (1 << DRAWN.bits) - 1;
const DRAWN_BYTES = 2 * ((DRAWN.samples + 1) / 2) * 3 + 1;

function drawnLevel(v, [lo, hi]) { return Math.min(DRAWN_LEVELS, Math.max(0, Math.round(((v - lo) / (hi - lo)) * DRAWN_LEVELS))); }
function drawnValue(level, [lo, hi]) { return lo + ((hi - lo) * level) / DRAWN_LEVELS; }
function snapDrawn(d) {
  for (const [key, range] of [['f', DRAWN.f], ['g', DRAWN.g]]) for (let i = 0; i < d[key].length; ++i) d[key][i] = drawnValue(drawnLevel(d[key][i], range), range);
  return d;
}

function encodeDrawn(d) {
  const bytes = new Uint8Array(DRAWN_BYTES);
  let at = 0;
  for (const [key, range] of [['f', DRAWN.f], ['g', DRAWN.g]]) {
    for (let i = 0; i < DRAWN.samples + 1; i += 2) {
      const a = drawnLevel(d[key][i], range), b = i + 1 < DRAWN.samples ? drawnLevel(d[key][i + 1], range) : 0;
      bytes[at++] = a >> 4;
      bytes[at++] = ((a & 15) << 4) | (b >> 8);
      bytes[at++] = b & 255;
    }
  }
  let sum = 0;
  for (let i = 0; i < at; ++i) sum = (sum + bytes[i]) & 255;
  bytes[at] = sum;
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return DRAWN.prefix + btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Returns { f, g } or throws an Error whose message says what is wrong with the value.
function decodeDrawn(value) {
  if (!value.startsWith(DRAWN.prefix)) throw new Error(`not a drawn function of this page (expected "${DRAWN.prefix}..." )`);
  const body = value.slice(DRAWN.prefix.length);
  const bad = body.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) throw new Error(`character ${JSON.stringify(body[bad])} at ${DRAWN.prefix.length + bad} is not base64url`);
  const expected = Math.ceil((DRAWN_BYTES * 4) / 3);
  if (body.length !== expected) throw new Error(`${body.length} characters after "${DRAWN.prefix}", expected ${expected} (truncated link?)`);
  const text = atob(body.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (body.length % 4)) % 4));
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; ++i) sum = (sum + bytes[i]) & 255;
  if (sum !== bytes[bytes.length - 1]) throw new Error('check byte does not match (the link was altered)');
  const d = { f: new Float64Array(DRAWN.samples), g: new Float64Array(DRAWN.samples) };
  let at = 0;
  for (const [key, range] of [['f', DRAWN.f], ['g', DRAWN.g]]) {
    for (let i = 0; i < DRAWN.samples + 1; i += 2) {
      const a = (bytes[at] << 4) | (bytes[at + 1] >> 4), b = ((bytes[at + 1] & 15) << 8) | bytes[at + 2];
      at += 3;
      d[key][i] = drawnValue(a, range);
      if (i + 1 < DRAWN.samples) d[key][i + 1] = drawnValue(b, range);
      else if (b !== 0) throw new Error('the pad sample is not zero (the link was altered)');
    }
  }
  return d;
}

// ---- settings and the URL -----------------------------------------------------------------
function readSettings() {
  return {
    dim: Number(document.querySelector('input[name=dim]:checked').value),
    fn: $('fn').value,
    rule: Number($('rule').value),
    expander: Number($('expander').value),
    beta: Number($('beta').value),
    noise: Number($('noise').value),
    seed: Math.max(0, Math.floor(Number($('seed').value) || 0)) >>> 0,
  };
}

// A bad value in the URL is reported under the caption and the control keeps its default.
function urlMessage(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('url-messages').append(li);
}

function applyUrl() {
  const q = new URLSearchParams(location.search);
  const choice = (key, values, apply, shown) => {
    if (!q.has(key)) return;
    if (values.includes(q.get(key))) apply(q.get(key));
    else urlMessage(`${key} in the URL: "${q.get(key)}" is not one of ${values.join(', ')}; showing ${shown()}`);
  };
  choice('dim', ['1', '2'], (v) => { document.querySelector(`input[name=dim][value="${v}"]`).checked = true; },
    () => document.querySelector('input[name=dim]:checked').value);
  choice('rule', ['0', '1', '2', '3', '4'], (v) => { $('rule').value = v; }, () => $('rule').value);
  choice('fn', ['bump', 'hills', 'draw'], (v) => { $('fn').value = v; }, () => $('fn').value);
  choice('exp', ['0', '1', '2'], (v) => { $('expander').value = v; }, () => $('expander').value);
  // numbers: within the control's own range (seed an integer)
  for (const [key, id] of [['beta', 'beta'], ['noise', 'noise'], ['seed', 'seed']]) {
    if (!q.has(key)) continue;
    const el = $(id), raw = q.get(key), v = Number(raw), lo = Number(el.min), hi = Number(el.max);
    if (raw.trim() !== '' && Number.isFinite(v) && v >= lo && v <= hi && (key !== 'seed' || Number.isInteger(v))) el.value = raw;
    else urlMessage(`${key} in the URL: "${raw}" is not ${key === 'seed' ? 'an integer' : 'a number'} from ${lo} to ${hi}; using ${el.value}`);
  }
  if (q.has('drawn')) {
    try {
      drawn = decodeDrawn(q.get('drawn'));
    } catch (e) {
      drawn = null; // the page starts from its default drawing and says why
      urlMessage(`drawn= in the URL ignored: ${e.message}`);
    }
  }
  if (!q.has('steps')) return 0;
  const raw = q.get('steps'), steps = Number(raw);
  if (raw.trim() !== '' && Number.isInteger(steps) && steps >= 0 && steps <= CAPACITY) return steps;
  urlMessage(`steps in the URL: "${raw}" is not an integer from 0 to ${CAPACITY}; starting at 0`);
  return 0;
}

function writeUrl() {
  const s = readSettings();
  const q = new URLSearchParams({ dim: s.dim, fn: s.fn, rule: s.rule, exp: s.expander, beta: s.beta, noise: s.noise,
    seed: s.seed, steps: state.indices.length });
  if (s.fn === 'draw' && s.dim === 1 && drawn) q.set('drawn', encodeDrawn(drawn));
  q.set('speed', speedParam($('speed')));
  history.replaceState(null, '', `${location.pathname}?${q.toString()}`);
}

// ---- the run -------------------------------------------------------------------------------
let demo = 0;
const state = { indices: [], settings: null, count: 0, truthF: null, truthG: null };

function gridPoints(s) {
  const g = s.dim === 1 ? GRID1 : GRID2;
  const count = s.dim === 1 ? g.side : g.side * g.side;
  const xs = new Float64Array(count * s.dim);
  for (let i = 0; i < count; ++i) {
    if (s.dim === 1) xs[i] = g.lo + ((g.hi - g.lo) * i) / (g.side - 1);
    else {
      xs[2 * i] = g.lo + ((g.hi - g.lo) * (i % g.side)) / (g.side - 1);
      xs[2 * i + 1] = g.lo + ((g.hi - g.lo) * Math.floor(i / g.side)) / (g.side - 1);
    }
  }
  return { xs, count, grid: g };
}

function truth(s, xs, count) {
  const f = new Float64Array(count), g = new Float64Array(count), seed = new Uint8Array(count);
  const fn = FUNCTIONS[s.fn === 'draw' ? 'bump' : s.fn];
  for (let i = 0; i < count; ++i) {
    if (s.dim === 1) {
      const x = xs[i];
      f[i] = fn.f1(x);
      g[i] = fn.g1(x);
      seed[i] = x >= fn.seed1[0] && x <= fn.seed1[1] ? 1 : 0;
    } else {
      const a = xs[2 * i], b = xs[2 * i + 1];
      f[i] = fn.f2(a, b);
      g[i] = fn.g2(a, b);
      seed[i] = a >= fn.seed2[0] && a <= fn.seed2[1] && b >= fn.seed2[0] && b <= fn.seed2[1] ? 1 : 0;
    }
  }
  if (s.fn === 'draw' && s.dim === 1) {
    if (!drawn || drawn.f.length !== count) drawn = snapDrawn({ f: f.slice(), g: g.slice() });
    f.set(drawn.f);
    g.set(drawn.g);
  }
  return { f, g, seed };
}

function reset() {
  if (demo) lib._gp_demo_destroy(demo);
  demo = 0;
  const s = readSettings();
  // drawing: a finger draws instead of scrolling, and the figure takes the keyboard's focus
  const drawing = s.dim === 1 && s.fn === 'draw';
  canvas.style.touchAction = drawing ? 'none' : '';
  canvas.tabIndex = drawing ? 0 : -1;
  const { xs, count, grid } = gridPoints(s);
  const t = truth(s, xs, count);
  const bytes = count * 8;
  const pf = lib._malloc(bytes), pg = lib._malloc(bytes), ps = lib._malloc(count);
  lib.HEAPF64.set(t.f, pf / 8);
  lib.HEAPF64.set(t.g, pg / 8);
  lib.HEAPU8.set(t.seed, ps);
  const lengthF = s.dim === 1 ? 1.0 : 1.0, lengthG = s.dim === 1 ? (s.fn === 'hills' ? 1.0 : 1.5) : 1.2;
  demo = lib._gp_demo_create(s.dim, grid.side, grid.lo, grid.hi, pf, pg, ps, s.rule, s.expander, s.beta, lengthF, lengthG,
    s.noise, 1.0, CAPACITY, s.seed);
  lib._free(pf);
  lib._free(pg);
  lib._free(ps);
  Object.assign(state, { indices: [], settings: s, count, grid, xs, truthF: t.f, truthG: t.g });
  if (!demo) $('r-choice').textContent = 'setup failed: ' + cstr(lib._gp_result_string(lib._gp_demo_error()));
}

function step() {
  if (!demo) return false;
  const i = lib._gp_demo_step(demo);
  if (i < 0) return false;
  state.indices.push(i);
  return true;
}

function cstr(ptr) {
  const heap = lib.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) ++end;
  return new TextDecoder().decode(heap.subarray(ptr, end));
}

function array(which, n) { return new Float64Array(lib.HEAPF64.buffer, lib._gp_demo_array(demo, which), n); }

// ---- drawing ---------------------------------------------------------------------------------
const COLORS = { truth: '#1f1f1f', f: '#2f6fdf', g: '#d9822b', safe: 'rgba(60,170,90,0.16)', max: '#e08c00', exp: '#9628b4', bad: '#c0392b' };

// The 1-D figure's two panels (f above g) in canvas pixels; the room for the tick labels grows
// with the text, which is scaled up when the canvas is shown narrower (phones).
function panels1d() {
  const tick = textPx(12), gap = 14 + tick, top = 20, h = (canvas.height - top - gap - (tick + 10)) / 2;
  return {
    left: 50, right: canvas.width - 15, tick,
    list: [{ top, bottom: top + h, ymin: -1.5, ymax: 3.2 }, { top: top + h + gap, bottom: top + 2 * h + gap, ymin: -2, ymax: 2 }],
  };
}

function draw1d() {
  const n = state.count, W = canvas.width, H = canvas.height;
  const flags = new Uint8Array(lib.HEAPU8.buffer, lib._gp_demo_flags(demo), n);
  const lo = [array(4, n), array(6, n)], hi = [array(5, n), array(7, n)], mean = [array(0, n), array(2, n)];
  const { left, right, tick, list } = panels1d();
  const panels = [
    { ...list[0], truth: state.truthF, color: COLORS.f, label: 'objective f' },
    { ...list[1], truth: state.truthG, color: COLORS.g, label: 'constraint g (safe: g >= 0)' },
  ];
  const x0 = state.grid.lo, x1 = state.grid.hi;
  const px = (x) => left + ((x - x0) / (x1 - x0)) * (right - left);
  ctx.clearRect(0, 0, W, H);
  panels.forEach((p, k) => {
    const py = (y) => p.bottom - ((Math.min(p.ymax, Math.max(p.ymin, y)) - p.ymin) / (p.ymax - p.ymin)) * (p.bottom - p.top);
    p.py = py;
    const half = (px(state.xs[1]) - px(state.xs[0])) / 2;
    ctx.fillStyle = COLORS.safe;
    for (let i = 0; i < n; ++i) if (flags[i] & 1) ctx.fillRect(px(state.xs[i]) - half, p.top, 2 * half + 0.5, p.bottom - p.top);
    ctx.strokeStyle = '#bbb';
    ctx.strokeRect(left, p.top, right - left, p.bottom - p.top);
    ctx.fillStyle = '#555';
    ctx.font = `${textPx(13)}px sans-serif`;
    ctx.fillText(p.label, left + 6, p.top + 2 + textPx(13));
    ctx.font = `${tick}px sans-serif`;
    for (let y = Math.ceil(p.ymin); y <= p.ymax; ++y) {
      ctx.fillText(String(y), 8, py(y) + tick / 3);
      ctx.strokeStyle = '#eee';
      ctx.beginPath(); ctx.moveTo(left, py(y)); ctx.lineTo(right, py(y)); ctx.stroke();
    }
    // band
    ctx.fillStyle = k === 0 ? 'rgba(47,111,223,0.18)' : 'rgba(217,130,43,0.2)';
    ctx.beginPath();
    for (let i = 0; i < n; ++i) ctx.lineTo(px(state.xs[i]), py(hi[k][i]));
    for (let i = n - 1; i >= 0; --i) ctx.lineTo(px(state.xs[i]), py(lo[k][i]));
    ctx.closePath();
    ctx.fill();
    const line = (ys, color, width) => {
      ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
      for (let i = 0; i < n; ++i) ctx.lineTo(px(state.xs[i]), py(ys[i]));
      ctx.stroke(); ctx.lineWidth = 1;
    };
    line(p.truth, COLORS.truth, 1.5);
    line(mean[k], p.color, 2);
    if (k === 1) {
      ctx.strokeStyle = COLORS.bad; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(left, py(0)); ctx.lineTo(right, py(0)); ctx.stroke(); ctx.lineWidth = 1;
    }
  });
  // sets under the top panel
  for (let i = 0; i < n; ++i) {
    const x = px(state.xs[i]);
    if (flags[i] & 2) { ctx.fillStyle = COLORS.max; ctx.fillRect(x - 2, panels[0].bottom - 14, 4, 5); }
    if (flags[i] & 4) { ctx.fillStyle = COLORS.exp; ctx.fillRect(x - 2, panels[0].bottom - 7, 4, 5); }
  }
  // evaluations
  const m = state.indices.length, fs = array(10, m), gs = array(11, m);
  for (let e = 0; e < m; ++e) {
    const i = state.indices[e], x = px(state.xs[i]), violated = state.truthG[i] < 0;
    ctx.fillStyle = violated ? COLORS.bad : '#111';
    for (const [p, v] of [[panels[0], fs[e]], [panels[1], gs[e]]]) {
      ctx.beginPath(); ctx.arc(x, p.py(v), e === m - 1 ? 5 : 3.5, 0, 2 * Math.PI); ctx.fill();
    }
  }
  ctx.fillStyle = '#555';
  ctx.font = `${tick}px sans-serif`;
  for (let x = 0; x <= 10; x += 2) {
    ctx.textAlign = x === 10 ? 'right' : 'center';
    ctx.fillText(String(x), x === 10 ? right : px(x), H - 6);
  }
  ctx.textAlign = 'left';
}

function draw2d() {
  const n = state.count, side = state.grid.side, W = canvas.width, H = canvas.height;
  const flags = new Uint8Array(lib.HEAPU8.buffer, lib._gp_demo_flags(demo), n);
  const mean = array(0, n);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; ++i) { lo = Math.min(lo, mean[i]); hi = Math.max(hi, mean[i]); }
  const size = Math.min(W - 220, H - 20), cell = size / side, left = 40, top = 10;
  ctx.clearRect(0, 0, W, H);
  for (let i = 0; i < n; ++i) {
    const c = i % side, r = Math.floor(i / side), t = hi > lo ? (mean[i] - lo) / (hi - lo) : 0.5;
    const alpha = flags[i] & 1 ? 1 : 0.3;
    ctx.fillStyle = `rgba(${Math.round(40 + 200 * t)},${Math.round(60 + 120 * t)},${Math.round(200 - 150 * t)},${alpha})`;
    ctx.fillRect(left + c * cell, top + (side - 1 - r) * cell, cell + 0.5, cell + 0.5);
  }
  // the true constraint's boundary: cells where g changes sign against a neighbour
  ctx.fillStyle = COLORS.bad;
  for (let i = 0; i < n; ++i) {
    const c = i % side, r = Math.floor(i / side), s = state.truthG[i] >= 0;
    if ((c + 1 < side && (state.truthG[i + 1] >= 0) !== s) || (r + 1 < side && (state.truthG[i + side] >= 0) !== s))
      ctx.fillRect(left + (c + 0.5) * cell - 1.5, top + (side - 1 - r + 0.5) * cell - 1.5, 3, 3);
  }
  for (let i = 0; i < n; ++i) {
    const c = i % side, r = Math.floor(i / side), x = left + (c + 0.5) * cell, y = top + (side - 1 - r + 0.5) * cell;
    if (flags[i] & 4) { ctx.strokeStyle = COLORS.exp; ctx.lineWidth = 2; ctx.strokeRect(x - cell / 2 + 1, y - cell / 2 + 1, cell - 2, cell - 2); }
    else if (flags[i] & 2) { ctx.strokeStyle = COLORS.max; ctx.lineWidth = 1.5; ctx.strokeRect(x - cell / 2 + 1, y - cell / 2 + 1, cell - 2, cell - 2); }
  }
  ctx.lineWidth = 1.5;
  state.indices.forEach((i, e) => {
    const c = i % side, r = Math.floor(i / side);
    ctx.strokeStyle = state.truthG[i] < 0 ? COLORS.bad : '#000';
    ctx.beginPath();
    ctx.arc(left + (c + 0.5) * cell, top + (side - 1 - r + 0.5) * cell, e === state.indices.length - 1 ? 6 : 4, 0, 2 * Math.PI);
    ctx.stroke();
  });
  ctx.lineWidth = 1;
  // colour bar
  const bx = left + size + 30;
  for (let k = 0; k < 200; ++k) {
    const t = 1 - k / 199;
    ctx.fillStyle = `rgb(${Math.round(40 + 200 * t)},${Math.round(60 + 120 * t)},${Math.round(200 - 150 * t)})`;
    ctx.fillRect(bx, top + (k * size) / 200, 20, size / 200 + 1);
  }
  ctx.fillStyle = '#333';
  ctx.font = `${textPx(13)}px sans-serif`;
  ctx.fillText(hi.toFixed(2), bx + 26, top + 10);
  ctx.fillText(lo.toFixed(2), bx + 26, top + size);
  ctx.fillText('mean of f', bx + 26, top + size / 2);
  ctx.fillText('faded: unsafe', bx + 26, top + size / 2 + 18);
}

function render() {
  if (!demo) return;
  const s = state.settings, n = state.count;
  if (s.dim === 1) draw1d(); else draw2d();
  const flags = new Uint8Array(lib.HEAPU8.buffer, lib._gp_demo_flags(demo), n);
  let safe = 0, expanders = 0, maximizers = 0;
  for (let i = 0; i < n; ++i) { safe += flags[i] & 1; expanders += (flags[i] >> 2) & 1; maximizers += (flags[i] >> 1) & 1; }
  const evaluations = lib._gp_demo_evaluations(demo), violations = lib._gp_demo_violations(demo);
  $('r-evaluations').textContent = String(evaluations);
  $('r-violations').textContent = String(violations);
  $('r-violations').classList.toggle('bad', violations > 0);
  $('r-safe').textContent = `${safe} of ${n}`;
  $('r-sets').textContent = `${expanders} / ${maximizers}`;
  const names = ['expander', 'maximiser', 'safe UCB', 'widest safe', 'expected improvement', 'most likely feasible'];
  $('r-choice').textContent = evaluations ? `${names[lib._gp_demo_last_choice(demo)]}${s.rule === 1 ? `, stage ${lib._gp_demo_stage(demo)}` : ''}` : '-';
  $('r-beta').textContent = lib._gp_demo_beta(demo).toFixed(3);
  const best = lib._gp_demo_best(demo);
  $('r-best').textContent = state.truthF[best].toFixed(4);
  $('view-title').textContent = s.dim === 1 ? 'Objective f and constraint g' : 'Objective f (heat map), true constraint boundary in red';
  window.__state = { evaluations, violations, safe, expanders, maximizers, indices: state.indices.slice(), best,
    beta: lib._gp_demo_beta(demo), settings: s,
    tickCssPx: (textPx(12) * canvas.clientWidth) / canvas.width, // the tick labels' size on screen
    drawn: s.fn === 'draw' && s.dim === 1 && drawn ? { f: Array.from(drawn.f), g: Array.from(drawn.g) } : null };
  writeUrl();
}

// ---- controls --------------------------------------------------------------------------------
// run 20: evaluations at the speed control's rate (slow 1, normal 4 a second, fast one a frame)
const speed = speedControl($('speed'), $('speed-text'), [1, 4, Infinity], 'evaluations/s', urlMessage);
let running = 0, lastStep = 0;
function stopRun() { running = 0; $('run').textContent = 'run 20'; }
function runFrames(now) {
  if (!running) return;
  if (now - lastStep >= 1000 / speed()) {
    lastStep = now;
    if (!step()) { stopRun(); render(); return; }
    running -= 1;
    render();
  }
  if (running) requestAnimationFrame(runFrames); else stopRun();
}

function labels() {
  $('noise-out').textContent = Number($('noise').value).toFixed(2);
  $('beta-out').textContent = Number($('beta').value) > 0 ? Number($('beta').value).toFixed(1) : 'schedule';
}

$('step').addEventListener('click', () => { stopRun(); step(); render(); });
$('run').addEventListener('click', () => {
  if (running) { stopRun(); return; }
  running = 20;
  lastStep = 0;
  $('run').textContent = 'pause';
  requestAnimationFrame(runFrames);
});
$('reset').addEventListener('click', () => { stopRun(); reset(); render(); });
for (const el of document.querySelectorAll('input[name=dim], #rule, #fn, #expander, #beta, #noise, #seed')) {
  el.addEventListener('change', () => { stopRun(); labels(); reset(); render(); });
  el.addEventListener('input', labels);
}

// drawing the hidden functions (1-D, "draw")
let dragging = false;
function paint(ev) {
  const s = state.settings;
  if (!s || s.dim !== 1 || s.fn !== 'draw' || !drawn) return;
  const rect = canvas.getBoundingClientRect();
  const cx = ((ev.clientX - rect.left) / rect.width) * canvas.width, cy = ((ev.clientY - rect.top) / rect.height) * canvas.height;
  const { left, right, list } = panels1d(), top = cy < (list[0].bottom + list[1].top) / 2, p = top ? list[0] : list[1];
  const x = state.grid.lo + ((cx - left) / (right - left)) * (state.grid.hi - state.grid.lo);
  const y = p.ymin + ((p.bottom - cy) / (p.bottom - p.top)) * (p.ymax - p.ymin);
  bump(top ? drawn.f : drawn.g, x, y);
}
// pulls the drawn function towards y around x (a Gaussian bump of width 0.35)
function bump(target, x, y) {
  for (let i = 0; i < target.length; ++i) {
    const w = Math.exp(-0.5 * ((state.xs[i] - x) / 0.35) ** 2);
    target[i] = (1 - w) * target[i] + w * y;
  }
  snapDrawn(drawn);
}
// the keyboard path: with the figure focused, left/right move along x, up/down raise or lower f
// there (with Shift: g)
let drawAt = 100;
canvas.addEventListener('keydown', (ev) => {
  const s = state.settings;
  if (!s || s.dim !== 1 || s.fn !== 'draw' || !drawn) return;
  const dx = { ArrowLeft: -5, ArrowRight: 5 }[ev.key], dy = { ArrowUp: 0.1, ArrowDown: -0.1 }[ev.key];
  if (dx === undefined && dy === undefined) return;
  ev.preventDefault();
  if (dx) drawAt = Math.min(state.xs.length - 1, Math.max(0, drawAt + dx));
  else {
    const target = ev.shiftKey ? drawn.g : drawn.f;
    bump(target, state.xs[drawAt], target[drawAt] + dy);
    reset();
    render();
  }
  $('draw-status').textContent = `drawing at x = ${state.xs[drawAt].toFixed(2)}: f ${drawn.f[drawAt].toFixed(2)}, g ${drawn.g[drawAt].toFixed(2)}`;
});
canvas.addEventListener('pointerdown', (ev) => { dragging = true; paint(ev); });
canvas.addEventListener('pointermove', (ev) => { if (dragging) { paint(ev); if (state.indices.length === 0) { reset(); render(); } } });
window.addEventListener('pointerup', () => { if (dragging) { dragging = false; reset(); render(); } });

$('version').textContent = 'saferl_gp.h ' + cstr(lib._gp_version());
const replay = applyUrl();
labels();
reset();
for (let k = 0; k < replay; ++k) if (!step()) break;
render();
window.__ready = true;
