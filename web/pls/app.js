// app.js - the PLS page: the checked-in artifacts of an environment (summary with the ground
// truth, the conditioned policy) fetched and handed to the WebAssembly build of examples/pls_loop.h; step,
// play and reset walk the deployment one evaluation (20 episodes) at a time. The target grid is
// drawn on a canvas, the episodes with uPlot. The URL holds env, method, prior, seed and steps, so a
// link reproduces the run; a bad value in it is reported and replaced by the default. The default
// is the paper-like task (the runner) with the GP prior fitted from offline material before the
// first evaluation (pls_use_fitted_prior, as pls_lifetime --fitted-prior).
import createPlsModule from './pls.mjs';
import { speedControl, speedParam } from '../speed.js';

const lib = await createPlsModule();
const $ = (id) => document.getElementById(id);
const ENVS = ['runner', 'gridworld', 'pointgoal'];
const PRIORS = ['fitted', 'hand-set'];
const METHODS = { pls: 0, fixed: 1, ucb: 2 };
const canvas = $('map');
// canvas text in CSS pixels: the canvas is drawn at a fixed size and shown narrower on a phone,
// so its fonts grow by the ratio to stay readable
const textPx = (size) => Math.round(size * Math.max(1, canvas.width / (canvas.clientWidth || canvas.width)));
const ctx = canvas.getContext('2d');
const EVALUATIONS = lib._pls_evaluations_max();
const PER_EVAL = lib._pls_episodes_per_evaluation();

function cstr(ptr) {
  let end = ptr;
  while (lib.HEAPU8[end] !== 0) ++end;
  return new TextDecoder().decode(lib.HEAPU8.subarray(ptr, end));
}
function message(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('message').appendChild(li);
}
const f64 = (ptr, n) => new Float64Array(lib.HEAPF64.buffer, ptr, n);
const i32 = (ptr, n) => new Int32Array(lib.HEAP32.buffer, ptr, n);
const u8 = (ptr, n) => new Uint8Array(lib.HEAPU8.buffer, ptr, n);
const fmt = (v, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

// ---- the URL ----------------------------------------------------------------------------------
const SEED_RE = /^[0-9]{1,10}$/;
function validSeed(text) { return SEED_RE.test(text) && Number(text) <= 4294967295; }

function applyUrl() {
  const q = new URLSearchParams(location.search);
  let steps = 0;
  if (q.has('method')) {
    const m = q.get('method');
    if (m in METHODS) $('method').value = m;
    else message(`method in the URL: "${m}" is not one of pls, fixed, ucb; showing pls`);
  }
  if (q.has('seed')) {
    const v = q.get('seed');
    if (validSeed(v)) $('seed').value = String(Number(v));
    else message(`seed in the URL: "${v}" is not an integer from 0 to 4294967295; using 1`);
  }
  if (q.has('steps')) {
    const v = q.get('steps');
    if (/^[0-9]{1,3}$/.test(v) && Number(v) <= EVALUATIONS) steps = Number(v);
    else message(`steps in the URL: "${v}" is not an integer from 0 to ${EVALUATIONS}; starting at 0`);
  }
  if (q.has('env')) {
    const v = q.get('env');
    if (ENVS.includes(v)) $('env').value = v;
    else message(`env in the URL: "${v}" is not one of ${ENVS.join(', ')}; showing runner`);
  }
  if (q.has('prior')) {
    const v = q.get('prior');
    if (PRIORS.includes(v)) $('prior').value = v;
    else message(`prior in the URL: "${v}" is not one of ${PRIORS.join(', ')}; using fitted`);
  }
  return steps;
}

function writeUrl() {
  const q = new URLSearchParams({ env: S.env, method: S.method, prior: S.prior, seed: S.seed, steps: S.indices.length,
    speed: speedParam($('speed')) });
  history.replaceState(null, '', `${location.pathname}?${q.toString()}`);
}

// ---- the artifacts, copied once into the module's memory --------------------------------------
async function fetchBytes(name) {
  let res;
  try {
    res = await fetch(`./${name}`);
  } catch (e) {
    throw new Error(`${name}: cannot fetch (${e.message})`);
  }
  if (!res.ok) throw new Error(`${name}: cannot fetch (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}
function toHeap(bytes) {
  const p = lib._malloc(Math.max(1, bytes.length));
  lib.HEAPU8.set(bytes, p);
  return p;
}

// ---- the run ----------------------------------------------------------------------------------
const S = { session: 0, env: 'runner', method: 'pls', prior: 'fitted', seed: 1, indices: [], grid: null, error: null,
  safeBefore: 0 };
const loaded = {}; // env -> its artifacts in the module's memory

async function loadArtifacts(env) {
  if (loaded[env]) return loaded[env];
  const [summary, policy] = await Promise.all([fetchBytes(`${env}.csv`), fetchBytes(`${env}.rcsl`)]);
  loaded[env] = { env: toHeap(new TextEncoder().encode(`${env}\0`)), summary: toHeap(summary), summarySize: summary.length,
    policy: toHeap(policy), policySize: policy.length };
  return loaded[env];
}

function reset() {
  if (S.session) lib._pls_destroy(S.session);
  S.session = 0;
  S.env = $('env').value;
  S.method = $('method').value;
  S.prior = $('prior').value;
  S.seed = Number($('seed').value);
  S.indices = [];
  S.error = null;
  $('evals').tBodies[0].textContent = '';
  const artifacts = loaded[S.env];
  if (!artifacts) return;
  const s = lib._pls_create(artifacts.env, artifacts.summary, artifacts.summarySize, artifacts.policy, artifacts.policySize,
    METHODS[S.method], S.seed);
  if (!s) {
    S.error = cstr(lib._pls_error());
    message(S.error);
    return;
  }
  // the fitted prior: from test-bench runs of the policy before deployment, never from its evaluations
  if (S.prior === 'fitted' && S.method !== 'fixed' && lib._pls_use_fitted_prior(s) !== 0) {
    S.error = cstr(lib._pls_error());
    message(S.error);
    lib._pls_destroy(s);
    return;
  }
  S.session = s;
  const n = lib._pls_grid_count(s);
  S.safeBefore = u8(lib._pls_safe(s), n).reduce((a, v) => a + v, 0); // seed set and what the prior certifies
  S.grid = {
    n, rCount: lib._pls_r_count(s), gCount: lib._pls_g_count(s), rMin: lib._pls_r_min(s), rStep: lib._pls_r_step(s),
    gMin: lib._pls_g_min(s), gStep: lib._pls_g_step(s), b: lib._pls_budget(s),
    targets: f64(lib._pls_targets(s), 2 * n).slice(), truthReward: f64(lib._pls_truth_reward(s), n).slice(),
    truthCost: f64(lib._pls_truth_cost(s), n).slice(),
  };
  let best = -1;
  for (let j = 0; j < n; ++j)
    if (S.grid.truthCost[j] <= S.grid.b && (best < 0 || S.grid.truthReward[j] > S.grid.truthReward[best])) best = j;
  S.grid.best = best;
}

function step() {
  if (!S.session) return false;
  const r = lib._pls_step(S.session);
  if (r === -2) {
    message('the deployment failed');
    return false;
  }
  if (r < 0) return false;
  S.indices.push(r);
  addRow(S.indices.length - 1);
  return true;
}

function addRow(e) {
  const s = S.session, g = S.grid, j = S.indices[e];
  const reward = f64(lib._pls_eval_reward(s), EVALUATIONS)[e], cost = f64(lib._pls_eval_cost(s), EVALUATIONS)[e];
  const stage = i32(lib._pls_eval_stage(s), EVALUATIONS)[e];
  const tr = document.createElement('tr');
  if (g.truthCost[j] > g.b) tr.className = 'unsafe';
  for (const v of [e + 1, g.targets[2 * j], g.targets[2 * j + 1], stage || '—', fmt(reward), fmt(cost), fmt(g.truthCost[j])]) {
    const td = document.createElement('td');
    td.textContent = String(v);
    tr.appendChild(td);
  }
  $('evals').tBodies[0].appendChild(tr);
}

// ---- the target grid --------------------------------------------------------------------------
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function heat(t) {
  const x = Math.min(1, Math.max(0, t)) * 4, i = Math.min(3, Math.floor(x)), f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

function drawMap() {
  const g = S.grid, s = S.session, W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  if (!g || !s) return;
  const left = 80, top = 20, right = W - 150, bottom = H - 60;
  const cw = (right - left) / g.rCount, ch = (bottom - top) / g.gCount;
  const cx = (j) => left + (Math.floor(j / g.gCount) + 0.5) * cw, cy = (j) => bottom - ((j % g.gCount) + 0.5) * ch;
  const pls = S.method === 'pls', hi = 3 * g.b;
  const values = pls ? f64(lib._pls_cost_upper(s), g.n) : g.truthCost;
  const safe = u8(lib._pls_safe(s), g.n);
  ctx.font = `${textPx(12)}px sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let j = 0; j < g.n; ++j) {
    const v = Math.min(values[j], hi), [r, gg, b] = heat(v / hi);
    ctx.fillStyle = `rgb(${r},${gg},${b})`;
    ctx.fillRect(cx(j) - cw / 2, cy(j) - ch / 2, cw + 0.5, ch + 0.5);
    ctx.fillStyle = r * 0.3 + gg * 0.59 + b * 0.11 > 140 ? '#222' : '#eee';
    ctx.fillText(values[j] >= hi ? `≥${fmt(hi, 1)}` : fmt(values[j], 2), cx(j), cy(j) + ch * 0.36);
    if (g.truthCost[j] > g.b) { // truly unsafe: a red corner
      ctx.fillStyle = '#d62828';
      ctx.beginPath();
      ctx.moveTo(cx(j) + cw / 2, cy(j) - ch / 2);
      ctx.lineTo(cx(j) + cw / 2 - 14, cy(j) - ch / 2);
      ctx.lineTo(cx(j) + cw / 2, cy(j) - ch / 2 + 14);
      ctx.fill();
    }
    if (pls && safe[j]) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(cx(j), cy(j) - ch * 0.08, Math.min(cw, ch) * 0.24, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  ctx.lineWidth = 1;
  // evaluations: a dot per visited target, numbered by its first visit; the last one ringed
  const first = new Map();
  S.indices.forEach((j, e) => { if (!first.has(j)) first.set(j, e + 1); });
  for (const [j, e] of first) {
    ctx.fillStyle = '#000';
    ctx.beginPath();
    ctx.arc(cx(j), cy(j) - ch * 0.08, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#fff';
    ctx.fillRect(cx(j) - cw / 2 + 2, cy(j) - ch / 2 + 2, 18, 14);
    ctx.fillStyle = '#000';
    ctx.fillText(String(e), cx(j) - cw / 2 + 11, cy(j) - ch / 2 + 9);
  }
  if (S.indices.length) {
    const j = S.indices[S.indices.length - 1];
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(cx(j), cy(j) - ch * 0.08, 10, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.lineWidth = 1;
  }
  const fin = lib._pls_final_index(s);
  if (fin >= 0) {
    ctx.fillStyle = '#ff7a00';
    ctx.strokeStyle = '#000';
    ctx.beginPath();
    ctx.moveTo(cx(fin), cy(fin) - ch * 0.08 - 16);
    ctx.lineTo(cx(fin) - 13, cy(fin) - ch * 0.08 + 9);
    ctx.lineTo(cx(fin) + 13, cy(fin) - ch * 0.08 + 9);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
  // axes
  ctx.fillStyle = '#333';
  ctx.font = `${textPx(13)}px sans-serif`;
  for (let i = 0; i < g.rCount; ++i) ctx.fillText(String(g.rMin + i * g.rStep), left + (i + 0.5) * cw, bottom + 14);
  ctx.textAlign = 'right';
  for (let k = 0; k < g.gCount; ++k) ctx.fillText(String(g.gMin + k * g.gStep), left - 8, bottom - (k + 0.5) * ch);
  ctx.textAlign = 'center';
  ctx.fillText('reward target R', (left + right) / 2, bottom + 38);
  ctx.save();
  ctx.translate(22, (top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('cost target G', 0, 0);
  ctx.restore();
  // colour bar
  const bx = right + 30;
  for (let y = top; y < bottom; ++y) {
    const [r, gg, b] = heat(1 - (y - top) / (bottom - top));
    ctx.fillStyle = `rgb(${r},${gg},${b})`;
    ctx.fillRect(bx, y, 18, 1);
  }
  const by = (v) => bottom - (v / hi) * (bottom - top);
  ctx.strokeStyle = '#d62828';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(bx - 4, by(g.b));
  ctx.lineTo(bx + 22, by(g.b));
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.fillStyle = '#333';
  ctx.textAlign = 'left';
  ctx.fillText(fmt(hi, 1), bx + 24, top + 6);
  ctx.fillText('0', bx + 24, bottom - 4);
  ctx.fillText(`b = ${g.b}`, bx + 24, by(g.b));
  ctx.textAlign = 'center';
  $('map-title').textContent = pls
    ? `Target grid: PLS's cost upper bound after ${S.indices.length} evaluations, safe set, evaluated targets`
    : `Target grid: true expected cost (${S.method === 'ucb' ? 'GP-UCB has' : 'a fixed target has'} no cost model), the evaluated targets`;
}

// ---- episodes (uPlot) -------------------------------------------------------------------------
function makePlot(id, label, extra) {
  const el = $(id);
  return new uPlot({
    width: Math.max(300, el.clientWidth), height: 210,
    scales: { x: { time: false, range: [0, EVALUATIONS * PER_EVAL] } },
    legend: { live: false },
    axes: [{ label: 'deployment episode' }, { label }],
    series: [{ label: 'episode' },
      { label, stroke: '#2f6fdf', paths: () => null, points: { show: true, size: 4, fill: '#2f6fdf' } },
      { label: 'mean of the evaluation', stroke: '#1d2430', width: 2 }, ...extra],
  }, [[], [], [], ...extra.map(() => [])], el);
}
const plots = {
  ret: makePlot('plot-return', 'episode return', []),
  cost: makePlot('plot-cost', 'episode cost', [{ label: 'budget b', stroke: '#d62828', width: 2, dash: [6, 4] }]),
};

function episodes() {
  const s = S.session;
  if (!s) return { x: [], ret: [], cost: [] };
  const n = lib._pls_episode_count(s);
  return { x: Array.from({ length: n }, (_, i) => i + 1), ret: Array.from(f64(lib._pls_episode_returns(s), n)),
    cost: Array.from(f64(lib._pls_episode_costs(s), n)) };
}

function drawPlots() {
  const ep = episodes(), s = S.session;
  const meanR = f64(lib._pls_eval_reward(s), EVALUATIONS), meanC = f64(lib._pls_eval_cost(s), EVALUATIONS);
  const blockMean = (m) => ep.x.map((_, i) => (s ? m[Math.floor(i / PER_EVAL)] : null));
  plots.ret.setData([ep.x, ep.ret, blockMean(meanR)]);
  plots.cost.setData([ep.x, ep.cost, blockMean(meanC), ep.x.map(() => (S.grid ? S.grid.b : null))]);
}

// ---- readout ----------------------------------------------------------------------------------
function render() {
  const s = S.session, g = S.grid;
  drawMap();
  if (s) drawPlots();
  const evaluations = s ? lib._pls_evaluations(s) : 0;
  const unsafeEvals = s ? lib._pls_unsafe_evaluations(s) : 0, unsafeEpisodes = s ? lib._pls_unsafe_episodes(s) : 0;
  const episodesDone = s ? lib._pls_episode_count(s) : 0;
  let safe = 0, seeds = 0;
  if (s && S.method === 'pls') for (const v of u8(lib._pls_safe(s), g.n)) safe += v;
  if (s) for (const v of u8(lib._pls_seed_set(s), g.n)) seeds += v;
  $('r-evaluations').textContent = `${evaluations} / ${EVALUATIONS}`;
  $('r-unsafe-evals').textContent = String(unsafeEvals);
  $('r-unsafe-evals').classList.toggle('bad', unsafeEvals > 0);
  $('r-unsafe-episodes').textContent = `${unsafeEpisodes} / ${episodesDone}`;
  $('r-unsafe-episodes').classList.toggle('bad', unsafeEpisodes > 0);
  $('r-safe').textContent = s && S.method === 'pls'
    ? `${safe} of ${g.n} targets (seed set ${seeds}; ${S.safeBefore} before the first evaluation)` : '— (no cost model)';
  if (s && evaluations) {
    const e = evaluations - 1, j = S.indices[e];
    $('r-last').textContent = `(${g.targets[2 * j]}, ${g.targets[2 * j + 1]}): ${fmt(f64(lib._pls_eval_reward(s), EVALUATIONS)[e], 2)} / ${fmt(f64(lib._pls_eval_cost(s), EVALUATIONS)[e], 2)}`;
  } else $('r-last').textContent = '—';
  $('r-beta').textContent = s && S.method !== 'fixed' ? `${fmt(lib._pls_beta(s))}${S.method === 'pls' ? `, stage ${lib._pls_stage(s)}` : ''}` : '—';
  const fin = s ? lib._pls_final_index(s) : -1;
  $('r-final').textContent = fin >= 0 ? `(${g.targets[2 * fin]}, ${g.targets[2 * fin + 1]}): ${fmt(g.truthReward[fin])} / ${fmt(g.truthCost[fin])}` : '— (after 20 evaluations)';
  $('r-best').textContent = g && g.best >= 0 ? `(${g.targets[2 * g.best]}, ${g.targets[2 * g.best + 1]}): ${fmt(g.truthReward[g.best])} / ${fmt(g.truthCost[g.best])}` : '—';
  $('step').disabled = !s || evaluations >= EVALUATIONS;
  $('play').disabled = !s || evaluations >= EVALUATIONS;
  window.__state = { env: S.env, method: S.method, prior: S.prior, seed: S.seed, evaluations, safeBefore: S.safeBefore, indices: S.indices.slice(), unsafeEvaluations: unsafeEvals,
    unsafeEpisodes, episodes: episodesDone, safe, finalIndex: fin, error: S.error };
  writeUrl();
}

// ---- controls ---------------------------------------------------------------------------------
// play: evaluations at the speed control's rate
const speed = speedControl($('speed'), $('speed-text'), [1, 4, 20], 'evaluations/s', message);
let timer = 0;
function stop() {
  if (timer) clearTimeout(timer);
  timer = 0;
  $('play').textContent = 'play';
}
function tick() {
  if (!step()) { stop(); render(); return; }
  render();
  timer = S.indices.length < EVALUATIONS ? setTimeout(tick, 1000 / speed()) : 0;
  if (!timer) stop();
}
$('step').addEventListener('click', () => { stop(); step(); render(); });
$('play').addEventListener('click', () => {
  if (timer) { stop(); return; }
  $('play').textContent = 'pause';
  timer = setTimeout(tick, 0);
});
$('reset').addEventListener('click', () => { stop(); reset(); render(); });
$('method').addEventListener('change', () => { stop(); reset(); render(); });
$('prior').addEventListener('change', () => { stop(); reset(); render(); });
$('env').addEventListener('change', async () => {
  stop();
  try {
    await loadArtifacts($('env').value);
  } catch (e) {
    message(e.message);
  }
  reset();
  render();
});
let lastSeed = $('seed').value;
$('seed').addEventListener('change', () => {
  stop();
  if (!validSeed($('seed').value)) {
    message(`seed: "${$('seed').value}" is not an integer from 0 to 4294967295`);
    $('seed').value = lastSeed;
    return;
  }
  lastSeed = $('seed').value;
  reset();
  render();
});

$('version').textContent = cstr(lib._pls_versions());
const replay = applyUrl();
lastSeed = $('seed').value;
try {
  await loadArtifacts($('env').value);
} catch (e) {
  S.error = e.message;
  message(e.message);
}
reset();
for (let k = 0; k < replay; ++k) if (!step()) break;
render();
window.__ready = true;
