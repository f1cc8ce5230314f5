// app.js - SACPO's two steps on the response simplex, with saferl_rl.h. Every number shown
// comes from the header's C code through align.mjs (glue.c); this file only moves numbers and
// draws.
import createAlignModule from './align.mjs';
import { speedControl, speedParam } from '../speed.js';

const $ = (id) => document.getElementById(id);
const M = await createAlignModule();
const OUT = 27, PATH_POINTS = 81, FIRST_PAIRS = 30, GROWTH = 1.25;
const out = M._malloc(OUT * 8), path = M._malloc(3 * PATH_POINTS * 8);
const f64 = (ptr, n) => Array.from(new Float64Array(M.HEAPF64.buffer, ptr, n));
function cstr(ptr) {
  const heap = M.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) ++end;
  return new TextDecoder().decode(heap.subarray(ptr, end));
}

// ---- state and URL: beta, lambda, pairs (log10 of the data size), seed, speed -------------
const DEFAULTS = { beta: 1, lambda: 1.5, pairs: 10000, seed: 22 };
const RANGES = { beta: [0.1, 2], lambda: [0, 5], pairs: [100, 100000], seed: [0, 4294967295] };
const state = { ...DEFAULTS };
function urlMessage(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('url-messages').appendChild(li);
}
function readUrl() {
  const q = new URLSearchParams(location.search);
  for (const key of Object.keys(DEFAULTS)) {
    if (!q.has(key)) continue;
    const raw = q.get(key), v = Number(raw), [lo, hi] = RANGES[key];
    const integer = key === 'pairs' || key === 'seed';
    if (raw.trim() === '' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      urlMessage(`${key} in the URL: "${raw}" is not ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]; using ${DEFAULTS[key]}`);
    } else state[key] = v;
  }
}
function writeUrl() {
  const url = new URL(location.href);
  url.search = '';
  for (const key of Object.keys(DEFAULTS)) url.searchParams.set(key, String(state[key]));
  url.searchParams.set('speed', speedParam($('speed')));
  history.replaceState(history.state, '', url);
}
readUrl();
const rate = speedControl($('speed'), $('speed-text'), [2, 8, Infinity], 'data sizes/s', urlMessage);

// ---- the computation ------------------------------------------------------------------------
const sim = { pairs: FIRST_PAIRS, running: false, done: false, result: null, path: [] };
window.__align = sim;
function compute() {
  const r = M._align_sacpo(state.seed, state.beta, state.lambda, Math.round(sim.pairs), out);
  const v = f64(out, OUT);
  const point = (i) => v.slice(i, i + 3);
  sim.result = {
    code: r, reference: point(0), rewardOptimum: point(3), optimum: point(6), step1: point(9), step2: point(12),
    tv: v[15], optimumR: v[16], optimumG: v[17], sacpoR: v[18], sacpoG: v[19],
  };
  sim.tv = v[15];
  M._align_optimum_path(state.seed, state.beta, Math.max(5, 2 * state.lambda), PATH_POINTS, path);
  const p = f64(path, 3 * PATH_POINTS);
  sim.path = [];
  for (let i = 0; i < PATH_POINTS; ++i) sim.path.push(p.slice(3 * i, 3 * i + 3));
  draw();
  report();
}

// ---- drawing: barycentric coordinates on an equilateral triangle -----------------------------
const canvas = $('view'), ctx = canvas.getContext('2d');
function corners() {
  const w = canvas.width, h = canvas.height, side = Math.min(w - 80, (h - 90) / 0.866);
  const x0 = (w - side) / 2, y0 = h - 50;
  return [[x0, y0], [x0 + side, y0], [x0 + side / 2, y0 - side * 0.866]];
}
function at(p) {
  const c = corners();
  return [p[0] * c[0][0] + p[1] * c[1][0] + p[2] * c[2][0], p[0] * c[0][1] + p[1] * c[1][1] + p[2] * c[2][1]];
}
function dot(p, color, radius, ring) {
  if (!p.every(Number.isFinite)) return;
  const [x, y] = at(p);
  ctx.beginPath();
  ctx.arc(x, y, radius, 0, 2 * Math.PI);
  if (ring) { ctx.strokeStyle = color; ctx.lineWidth = 2.5; ctx.stroke(); } else { ctx.fillStyle = color; ctx.fill(); }
}
function arrow(a, b, color) {
  if (!a.every(Number.isFinite) || !b.every(Number.isFinite)) return;
  const [x0, y0] = at(a), [x1, y1] = at(b), angle = Math.atan2(y1 - y0, x1 - x0);
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  ctx.beginPath(); ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 10 * Math.cos(angle - 0.4), y1 - 10 * Math.sin(angle - 0.4));
  ctx.lineTo(x1 - 10 * Math.cos(angle + 0.4), y1 - 10 * Math.sin(angle + 0.4));
  ctx.closePath(); ctx.fill();
}
function draw() {
  const res = sim.result, c = corners();
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = '#888'; ctx.lineWidth = 1.5;
  ctx.beginPath(); ctx.moveTo(...c[0]); ctx.lineTo(...c[1]); ctx.lineTo(...c[2]); ctx.closePath(); ctx.stroke();
  // 14 px on a laptop, and never under 12 px on the screen when the canvas is shrunk to a phone
  const shown = canvas.clientWidth > 0 ? canvas.width / canvas.clientWidth : 1;
  ctx.font = `${Math.max(14, Math.ceil(12 * shown))}px sans-serif`; ctx.fillStyle = '#333'; ctx.textAlign = 'center';
  const v = f64(out, OUT);
  const labels = [[-6, 24], [6, 24], [0, -12]], align = ['left', 'right', 'center'];
  for (let y = 0; y < 3; ++y) ctx.textAlign = align[y], ctx.fillText(`y${y + 1}: r ${v[20 + y].toFixed(2)}, g ${v[24 + y].toFixed(2)}`, c[y][0] + labels[y][0], c[y][1] + labels[y][1]);
  ctx.strokeStyle = 'rgba(217, 120, 42, 0.5)'; ctx.lineWidth = 1.5; ctx.beginPath();
  sim.path.forEach((p, i) => { const [x, y] = at(p); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
  ctx.stroke();
  dot(res.rewardOptimum, '#2f6fdf', 9, true);
  dot(res.optimum, '#d9782a', 11, true);
  dot(res.reference, '#777', 6);
  arrow(res.reference, res.step1, '#2f6fdf');
  arrow(res.step1, res.step2, '#d9782a');
  dot(res.step1, '#2f6fdf', 5);
  dot(res.step2, '#d9782a', 5);
}
function report() {
  const res = sim.result, fmt = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
  $('opt-r').textContent = fmt(res.optimumR); $('opt-g').textContent = fmt(res.optimumG);
  $('sacpo-r').textContent = fmt(res.sacpoR); $('sacpo-g').textContent = fmt(res.sacpoG);
  $('status').textContent = res.code < 0
    ? `${Math.round(sim.pairs)} pairs: not enough yet (${cstr(M._align_result_string(res.code))})`
    : `${Math.round(sim.pairs)} pairs each: TV(SACPO, π*) = ${res.tv.toFixed(4)}`;
}

// ---- controls ----------------------------------------------------------------------------
function showSettings() {
  $('beta').value = state.beta; $('lambda').value = state.lambda; $('pairs').value = Math.log10(state.pairs);
  $('seed').value = state.seed;
  $('beta-out').textContent = state.beta.toFixed(2); $('lambda-out').textContent = state.lambda.toFixed(2);
  $('pairs-out').textContent = String(state.pairs);
}
function settingsChanged() {
  state.beta = Number($('beta').value); state.lambda = Number($('lambda').value);
  state.pairs = Math.round(10 ** Number($('pairs').value));
  const seed = Number($('seed').value);
  if (Number.isInteger(seed) && seed >= 0 && seed <= 4294967295) state.seed = seed;
  sim.pairs = Math.min(sim.pairs, state.pairs);
  if (sim.done) sim.pairs = state.pairs;
  showSettings(); writeUrl(); compute();
}
for (const id of ['beta', 'lambda', 'pairs', 'seed']) $(id).addEventListener('input', settingsChanged);
$('speed').addEventListener('input', writeUrl);
function grow() {
  sim.pairs = Math.min(state.pairs, Math.max(sim.pairs + 1, sim.pairs * GROWTH));
  sim.done = sim.pairs >= state.pairs;
  compute();
}
let last = 0;
function frame(now) {
  if (!sim.running) return;
  if (!Number.isFinite(rate()) || now - last >= 1000 / rate()) { last = now; grow(); }
  if (sim.done) { sim.running = false; $('run').textContent = 'run'; return; }
  requestAnimationFrame(frame);
}
$('run').addEventListener('click', () => {
  if (sim.running) { sim.running = false; $('run').textContent = 'run'; return; }
  if (sim.done) { sim.pairs = FIRST_PAIRS; sim.done = false; }
  sim.running = true; $('run').textContent = 'pause'; requestAnimationFrame(frame);
});
$('step').addEventListener('click', () => { if (!sim.done) grow(); });
$('reset').addEventListener('click', () => {
  sim.running = false; sim.done = false; sim.pairs = FIRST_PAIRS; $('run').textContent = 'run'; compute();
});

$('version').textContent = `saferl_rl.h ${cstr(M._align_version())}`;
showSettings();
writeUrl();
compute();
window.__ready = true;
