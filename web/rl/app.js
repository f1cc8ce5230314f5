// app.js - the page of web/rl/: settings and the URL, the training worker, the learning
// curves (uPlot) and the replay. Every number comes from saferl_rl.h: the worker trains
// (worker.js), and after each epoch sends the policy as an SRLP buffer, which the page's own
// instance of rl.mjs loads (saferl_rl_policy_load) and runs deterministically on its own copy
// of the environment, drawn on the canvas.
//
// The module is fetched once: the page reads rl.mjs as text and imports it from a Blob URL, and
// compiles rl.wasm while it downloads (compileStreaming); the worker gets the same Blob URL and
// the compiled WebAssembly.Module, which instantiates without another download.
import { speedControl, speedParam } from '../speed.js';
import { legendValue } from '../legend.js';

const [rlScript, rlWasm] = await Promise.all([
  fetch(new URL('./rl.mjs', import.meta.url)).then((r) => r.text()),
  WebAssembly.compileStreaming(fetch(new URL('./rl.wasm', import.meta.url))),
]);
const rlScriptUrl = URL.createObjectURL(new Blob([rlScript], { type: 'text/javascript' }));
const { default: createRlModule } = await import(rlScriptUrl);
const lib = await createRlModule({
  locateFile: (file) => new URL(file, import.meta.url).href, // its URL under a Blob URL
  instantiateWasm(imports, receive) {
    WebAssembly.instantiate(rlWasm, imports).then((instance) => receive(instance, rlWasm));
    return {};
  },
});
const $ = (id) => document.getElementById(id);
const canvas = $('view');
const ctx = canvas.getContext('2d');

const ENVS = ['cartpole', 'pointgoal', 'gridworld', 'pendulum', 'cliff'];
// in saferl_rl_algorithm's order: the index is the value glue.c passes on
const ON_POLICY = ['ppo', 'ppo-lag', 'pid-lag', 'cpo', 'pcpo', 'trpo-lag', 'focops', 'cup'];
// the off-policy agent's algorithms: saferl_rl_offpolicy_algorithm's values; each trains on
// the environments of its action kind and, picked on another, moves to its own
const OFF_POLICY = { td3: 0, sac: 1, 'td3-lag': 2, 'sac-lag': 3, 'sac-discrete': 6, 'sac-discrete-lag': 7 };
const CONTINUOUS_ENVS = ['pointgoal', 'pendulum'];
const offPolicyEnv = (algo) => (algo.startsWith('sac-discrete') ? 'gridworld' : 'pendulum');
const fitsEnv = (algo, env) => !(algo in OFF_POLICY) || CONTINUOUS_ENVS.includes(env) === !algo.startsWith('sac-discrete');
const ALGOS = [...ON_POLICY, ...Object.keys(OFF_POLICY)];
const SECOND_ORDER = ['cpo', 'pcpo', 'trpo-lag'];
const OFF_POLICY_HIDDEN = 64; // the worker's hidden width (worker.js), which the player must match
// what the multiplier column is for each algorithm
const MULTIPLIER = { cpo: 'ν (the step\'s dual)', pcpo: 'ν (projection)', focops: 'ν', cup: 'ν' };
const DEFAULT_D = { cartpole: 10, pointgoal: 25, gridworld: 0.5, pendulum: 0.1, cliff: 0.2 };
const NOTES = {
  cartpole: 'Gym CartPole-v1; the red bands are |x| > 1, where every step costs 1. Solved: return 475.',
  pointgoal: 'Point robot, green goal (re-drawn when reached), blue hazards: each step inside one costs 1.',
  gridworld: 'Lava world (7 x 9): -1 a move, +50 at G; each step on lava (red) costs 1; moves slip with p 0.1.',
  pendulum: 'Safe Pendulum: reward -theta^2; falling past 1.5 rad (red) costs 1 and ends the episode.',
  cliff: 'Tabular cliff (4 x 6): -1 a step; falling (red) costs 1 and returns to S; moves slip with p 0.1.',
};
// the replay's speed: environment steps a frame at normal speed (above), times these factors
const replaySpeed = speedControl($('speed'), $('speed-text'), [0.25, 1, 4], '× normal', urlMessage);
let replayPaused = false, replayOwed = 0;
const GRID = ['#########', '#A LLL G#', '#       #', '#       #', '#       #', '#  LLL  #', '#########'];
const STEPS_PER_FRAME = { cartpole: 1, pointgoal: 4, gridworld: 1, pendulum: 1, cliff: 1 };
const FRAMES_PER_STEP = { cartpole: 1, pointgoal: 1, gridworld: 8, pendulum: 2, cliff: 8 };

const utf8 = new TextDecoder();
function cstr(ptr) {
  const heap = lib.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) ++end;
  return utf8.decode(heap.subarray(ptr, end));
}
const stateBuf = lib._malloc(32 * 8);
const readState = () => Array.from(new Float64Array(lib.HEAPF64.buffer, stateBuf, 32));

// ---- state (window.__rl is what the browser test reads) ---------------------------------------
// The default run succeeds visibly: PPO-Lagrangian on the lava gridworld meets d = 0.5 within 15
// epochs of 2000 steps (natively, build/rl_train --steps 30000 --steps-per-epoch 2000: seeds 1-3 end
// at cost 0.21, 0.14, 0.12 and return 32-40 over the last 100 episodes; PPO alone ends near cost 3).
// The run's length is the environment's, as d is. CartPole's 35 was fixed from seeds 1-3 alone:
// their episodes grow to about 500 steps, 4 an epoch, so the last 100 episodes (what the verdict
// judges) still hold the cost jump of epochs 4-14 long after the epochs' own J_C is back near 0;
// that window is under d = 10 for good from epoch 15 / 21 / 34 (at epoch 35: 0.16 / 0 / 2.58).
// Held out, at 35 epochs, seeds 4-13 end under d on 9 of 10, not all: seed 5 ends at 23.3, its
// cost back in epochs 30-40 (bench_rl diagnose). At 15 epochs seeds 1-3 end at 9.5 / 10.3 / 33.
// The others' default runs at 15 epochs, seeds 1-3 (build/rl_train, 2000 steps an epoch;
// bench/run_rl.sh part 9): the cliff ends under d = 0.2 (0.06 / 0.06 / 0.04); the Safe Pendulum
// does not (0.93 / 0.98 / 0.86 against d = 0.1: the last 100 episodes all fall until epoch 13 /
// 14 / 12, and the window holds about 10 epochs' episodes), but is under d for good from epoch
// 24 / 25 / 23 (0 by epoch 29 / 27 / 26), so its run is 30; held out, seeds 4-13 end under d on
// 10 of 10 (0 to 0.06). PointGoal at d = 25 (87 / 24.9 / 90) is not met at 60 epochs either
// (70 / 73 / 126), so a longer run would not show it succeeding: it keeps 15.
const DEFAULT_EPOCHS = { cartpole: 35, pointgoal: 15, gridworld: 15, pendulum: 30, cliff: 15 };
const DEFAULTS = { env: 'gridworld', algo: 'ppo-lag', d: DEFAULT_D.gridworld, seed: 1, spe: 2000, epochs: DEFAULT_EPOCHS.gridworld };
const S = {
  settings: { ...DEFAULTS },
  run: null,                  // the settings the current run was started with (plots, replay)
  epochs: [],                 // {epoch, steps, ret, cost, costEpoch, lambda, rate}: cost over the
                              // last 100 episodes, costEpoch the J_C the update acted on
  running: false,
  started: false,
  restoring: 0,               // > 0: re-training a link's run up to this epoch
  policy: null,               // the newest SRLP buffer
  replay: { player: 0, policyEpoch: 0, episode: 0, steps: 0, ret: 0, cost: 0, done: false, finished: [], state: null },
  error: '',
};
window.__rl = S;

// A bad value in the URL is reported under the caption and replaced by the default.
function urlMessage(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('url-messages').appendChild(li);
}

// An environment's own cost limit and run length (an explicit d= or epochs= in the URL wins).
function useEnvDefaults(s) {
  s.d = DEFAULT_D[s.env];
  s.epochs = DEFAULT_EPOCHS[s.env];
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  const s = S.settings;
  const choice = (key, list) => {
    if (!q.has(key)) return;
    if (list.includes(q.get(key))) s[key] = q.get(key);
    else urlMessage(`${key} in the URL: "${q.get(key)}" is not one of ${list.join(', ')}; showing ${s[key]}`);
  };
  choice('env', ENVS);
  useEnvDefaults(s);
  choice('algo', ALGOS);
  if (!fitsEnv(s.algo, s.env)) {
    urlMessage(`env in the URL: ${s.algo} does not train on ${s.env}; showing ${offPolicyEnv(s.algo)}`);
    s.env = offPolicyEnv(s.algo);
    useEnvDefaults(s);
  }
  const num = (key, lo, hi, int) => {
    if (!q.has(key)) return;
    const raw = q.get(key), v = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(v) && v >= lo && v <= hi && (!int || Number.isInteger(v))) s[key] = v;
    else urlMessage(`${key} in the URL: "${raw}" is not ${int ? 'an integer' : 'a number'} from ${lo} to ${hi}; using ${s[key]}`);
  };
  num('d', 0, 1e6, false);
  num('seed', 0, 2147483647, true);
  num('spe', 100, 20000, true);
  num('epochs', 0, 100000, true);
  // A run lives in this page's worker and cannot be stored, but it is deterministic: the same
  // settings and seed train the same epochs. A link (or a reload) with trained=N trains the run
  // again up to epoch N and stops there, as it was; resume goes on from it.
  if (!q.has('trained')) return 0;
  const raw = q.get('trained'), n = Number(raw), most = s.epochs > 0 ? s.epochs : 100000;
  if (/^[0-9]+$/.test(raw) && n >= 1 && n <= most) return n;
  urlMessage(`trained in the URL: "${raw}" is not an epoch count from 1 to ${most}; not re-training`);
  return 0;
}

function writeUrl() {
  const q = new URLSearchParams();
  const s = S.settings;
  q.set('env', s.env);
  q.set('algo', s.algo);
  q.set('d', String(s.d));
  q.set('seed', String(s.seed));
  q.set('spe', String(s.spe));
  if (s.epochs !== DEFAULT_EPOCHS[s.env]) q.set('epochs', String(s.epochs)); // else the env's own
  // the run these settings trained (while a link's run is re-trained: the epoch it goes back to)
  if (S.started && (S.epochs.length || S.restoring)) q.set('trained', String(Math.max(S.restoring, S.epochs.length)));
  q.set('speed', speedParam($('speed')));
  history.replaceState(null, '', '?' + q.toString());
}

function syncControls() {
  const s = S.settings;
  $('env').value = s.env;
  $('algo').value = s.algo;
  $('d').value = String(s.d);
  $('seed').value = String(s.seed);
  $('spe').value = String(s.spe);
  $('epochs').value = String(s.epochs);
  $('view-note').textContent = NOTES[runEnv()];
  // a run's settings are locked while it trains; changed afterwards, they start a new run
  for (const id of ['env', 'algo', 'd', 'seed', 'spe', 'epochs']) $(id).disabled = S.running;
  $('stop').disabled = !S.running;
  $('resume').disabled = S.running || !S.started;
  $('replay').disabled = !S.policy;
}

// ---- charts -----------------------------------------------------------------------------------
function makePlot(id, series) {
  const el = $(id);
  return new uPlot({
    width: Math.max(240, el.clientWidth), height: 200,
    scales: { x: { time: false } },
    axes: [{ label: 'steps' }, {}],
    legend: { show: series.length > 1 },
    series: [{ label: 'steps', value: legendValue(String) },
      ...series.map((s) => ({ value: legendValue((v) => Number(v.toPrecision(4)).toString()), ...s }))],
  }, [[], ...series.map(() => [])], el);
}
// The cost plot shows both measures: the verdict's (the last 100 episodes, which lags when an
// epoch holds few long episodes) and the multiplier's (J_C, the episodes that finished this
// epoch). An off-policy run reports the epoch's episodes only, and its multiplier steps on each.
const costSeries = (offPolicy) => [
  { label: offPolicy ? "cost (this epoch's episodes)" : 'cost (last 100 episodes)', stroke: '#d9582b', width: 2 },
  { label: "J_C (this epoch's episodes: the multiplier's)", stroke: '#8e44ad', width: 2, show: !offPolicy },
  { label: 'd', stroke: '#777', dash: [6, 4] }];
const plots = {
  ret: makePlot('plot-return', [{ label: 'return', stroke: '#2f6fdf', width: 2 }]),
  cost: makePlot('plot-cost', costSeries(false)),
  costOffPolicy: false,
  lambda: makePlot('plot-lambda', [{ label: 'lambda', stroke: '#2a9d55', width: 2 }]),
};
function redrawPlots() {
  const x = S.epochs.map((e) => e.steps);
  const nan = (v) => (Number.isFinite(v) ? v : null);
  plots.ret.setData([x, S.epochs.map((e) => nan(e.ret))]);
  const run = S.run || S.settings, offPolicy = run.algo in OFF_POLICY;
  if (offPolicy !== plots.costOffPolicy) { // the legend names what the curves are for this kind of run
    plots.cost.destroy();
    plots.cost = makePlot('plot-cost', costSeries(offPolicy));
    plots.costOffPolicy = offPolicy;
  }
  plots.cost.setData([x, S.epochs.map((e) => nan(e.cost)), S.epochs.map((e) => nan(e.costEpoch)), x.map(() => run.d)]);
  plots.lambda.setData([x, S.epochs.map((e) => e.lambda)]);
}

const fmt = (v, digits = 4) => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : '—');
function showReadout() {
  const e = S.epochs[S.epochs.length - 1];
  if (e) {
    $('r-epoch').textContent = `${e.epoch} / ${e.steps}`;
    $('r-return').textContent = fmt(e.ret);
    $('r-cost').textContent = `${fmt(e.cost)} vs ${S.run.d}`;
    $('r-cost-epoch').textContent = fmt(e.costEpoch);
    $('r-lambda').textContent = fmt(e.lambda);
    $('r-rate').textContent = fmt(e.rate);
    $('r-trust').textContent = e.optimCase >= 0 ? `case ${e.optimCase}, step ${fmt(e.stepFraction, 3)}`
      : (SECOND_ORDER.includes(S.run.algo) ? 'no step' : '—');
  }
  $('r-multiplier').textContent = MULTIPLIER[(S.run || S.settings).algo] || 'λ';
  const f = S.replay.finished[S.replay.finished.length - 1];
  $('r-replay').textContent = f ? `${fmt(f.ret)} / ${fmt(f.cost)}` : '—';
}

function setStatus(text, bad = false) {
  $('status').textContent = text;
  $('status').classList.toggle('bad', bad);
}

// ---- the worker ---------------------------------------------------------------------------------
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.postMessage({ type: 'module', scriptUrl: rlScriptUrl, wasmModule: rlWasm });
let workerReady;
const workerReadyPromise = new Promise((resolve) => { workerReady = resolve; });
worker.onmessage = (event) => {
  const m = event.data;
  if (m.type === 'ready') workerReady();
  else if (m.type === 'started') setStatus(`training (saferl_rl ${m.version} in a Web Worker)`);
  else if (m.type === 'epoch') {
    S.epochs.push({ epoch: m.epoch, steps: m.steps, ret: m.ret, cost: m.cost, costEpoch: m.costEpoch, lambda: m.lambda,
      rate: m.rate, optimCase: m.optimCase, stepFraction: m.stepFraction });
    S.policy = { bytes: m.policy, epoch: m.epoch };
    if (!S.replay.player) loadReplay();
    redrawPlots();
    showReadout();
    if (S.running) setStatus(S.restoring ? `re-training the link's run: epoch ${m.epoch} of ${S.restoring} (the same settings and seed give the same run)`
      : `training: epoch ${m.epoch}, ${m.steps} steps`);
    writeUrl();
    syncControls();
  } else if (m.type === 'stopped') {
    S.running = false;
    const last = S.epochs[S.epochs.length - 1];
    // judged on the last 100 episodes (an off-policy run: the epoch's), not on J_C
    const measure = S.run.algo in OFF_POLICY ? "this epoch's episodes' cost" : 'cost over the last 100 episodes';
    const verdict = last && Number.isFinite(last.cost)
      ? (last.cost <= S.run.d ? `; ${measure} ${fmt(last.cost)} ≤ d = ${S.run.d}: the limit is met`
        : `; ${measure} ${fmt(last.cost)} > d = ${S.run.d}: not met yet (resume to train on)`)
      : '';
    const restored = S.restoring && m.reason === 'done';
    S.restoring = 0;
    if (restored && S.epochs.length < S.run.epochs) setStatus(`back at epoch ${S.epochs.length} of the link's run, re-trained `
      + `from its settings and seed; resume trains on to epoch ${S.run.epochs}` + verdict);
    else setStatus((m.reason === 'done' ? `done: ${S.epochs.length} epochs` : `stopped after epoch ${S.epochs.length}`) + verdict);
    syncControls();
  } else if (m.type === 'error') {
    S.running = false;
    S.error = m.message;
    setStatus(`error: ${m.message}`, true);
    syncControls();
  }
};

// until: 0 trains the run's epochs; N > 0 trains the run again up to epoch N (a link's run).
async function start(until = 0) {
  readControls();
  writeUrl();
  await workerReadyPromise;
  S.epochs = [];
  S.policy = null;
  S.error = '';
  S.run = { ...S.settings };
  dropReplay();
  redrawPlots();
  S.running = true;
  S.started = true;
  S.restoring = until;
  const offPolicy = S.settings.algo in OFF_POLICY;
  worker.postMessage({ type: 'start', env: S.settings.env, offPolicy,
    algorithm: offPolicy ? OFF_POLICY[S.settings.algo] : ON_POLICY.indexOf(S.settings.algo), costLimit: S.settings.d, seed: S.settings.seed, stepsPerEpoch: S.settings.spe, maxEpochs: until || S.settings.epochs });
  syncControls();
}

function readControls() {
  const s = S.settings;
  const env = $('env').value;
  if (env !== s.env) s.env = env;
  s.algo = $('algo').value;
  const d = Number($('d').value);
  s.d = Number.isFinite(d) && d >= 0 ? d : DEFAULT_D[s.env];
  s.seed = Math.max(0, Math.round(Number($('seed').value) || 0));
  const spe = Math.round(Number($('spe').value));
  s.spe = Number.isFinite(spe) ? Math.min(20000, Math.max(100, spe)) : DEFAULTS.spe;
  const epochs = Math.round(Number($('epochs').value));
  s.epochs = Number.isFinite(epochs) ? Math.min(100000, Math.max(0, epochs)) : DEFAULT_EPOCHS[s.env];
}

// the environment being shown: the run's, else the one picked
const runEnv = () => (S.run ? S.run.env : S.settings.env);

// ---- the replay ---------------------------------------------------------------------------------
function dropReplay() {
  if (S.replay.player) lib._rl_player_destroy(S.replay.player);
  S.replay.player = 0;
  S.replay.state = null;
}

// Loads the newest policy buffer into a player and starts an episode (seeds 1000, 1001, ...).
function loadReplay() {
  if (!S.policy) return;
  dropReplay();
  const bytes = S.policy.bytes;
  const ptr = lib._malloc(bytes.length);
  lib.HEAPU8.set(bytes, ptr);
  const kind = ENVS.indexOf(runEnv());
  const algo = S.run.algo;
  const player = algo in OFF_POLICY
    ? lib._rl_offpolicy_player_create(kind, OFF_POLICY[algo], OFF_POLICY_HIDDEN, ptr, bytes.length)
    : lib._rl_player_create(kind, ptr, bytes.length);
  lib._free(ptr);
  if (!player) {
    setStatus(`replay: ${cstr(lib._rl_result_string(lib._rl_last_error()))}`, true);
    return;
  }
  S.replay.player = player;
  S.replay.policyEpoch = S.policy.epoch;
  S.replay.episode += 1;
  lib._rl_player_reset(player, 1000 + S.replay.episode);
  lib._rl_player_state(player, stateBuf);
  S.replay.state = readState();
  S.replay.steps = 0;
  S.replay.done = false;
  S.replay.pause = 0;
}

let frame = 0;
function tick() {
  frame += 1;
  const r = S.replay;
  if (r.player) {
    if (r.done) {
      if (++r.pause > 40) loadReplay(); // the next episode with the newest policy
    } else if (!replayPaused) {
      replayOwed += replaySpeed() * STEPS_PER_FRAME[runEnv()] / FRAMES_PER_STEP[runEnv()];
      for (; replayOwed >= 1 && !r.done; replayOwed -= 1) replayStep();
    }
  }
  draw();
  requestAnimationFrame(tick);
}

// One environment step of the replay (the step button, or the animation).
function replayStep() {
  const r = S.replay;
  if (!r.player || r.done) return;
  const done = lib._rl_player_step(r.player, stateBuf);
  if (done < 0) {
    setStatus(`replay: ${cstr(lib._rl_result_string(done))}`, true);
    dropReplay();
    return;
  }
  r.state = readState();
  r.steps = r.state[0];
  if (done) {
    r.done = true;
    r.finished.push({ epoch: r.policyEpoch, steps: r.state[0], ret: r.state[2], cost: r.state[3] });
    showReadout();
  }
}

// ---- drawing ----------------------------------------------------------------------------------
function draw() {
  const W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const s = S.replay.state;
  const env = runEnv();
  if (env === 'gridworld' || env === 'cliff') drawGrid(env, s);
  else if (env === 'cartpole') drawCartpole(s);
  else if (env === 'pendulum') drawPendulum(s);
  else drawPointgoal(s);
  // the replay's step, return and cost as page text above the canvas: readable at any width
  const label = s ? `policy of epoch ${S.replay.policyEpoch} — step ${s[0]}, return ${fmt(s[2])}, cost ${fmt(s[3])}`
    : 'train to see the policy';
  const shown = $('view-label');
  if (shown.textContent !== label) shown.textContent = label;
}

// A cell's letter: a third of the cell, but at least 12 px on the screen when the canvas is
// shrunk to a phone's width (and never wider than the cell).
function letterPx(cell) {
  const shown = canvas.clientWidth > 0 ? canvas.width / canvas.clientWidth : 1;
  return Math.round(Math.min(cell * 0.8, Math.max(cell * 0.35, 12 * shown)));
}

function drawGrid(env, s) {
  const rows = env === 'cliff' ? 4 : 7, cols = env === 'cliff' ? 6 : 9;
  const cell = Math.min((canvas.width - 40) / cols, (canvas.height - 50) / rows);
  const x0 = (canvas.width - cell * cols) / 2, y0 = 35;
  for (let r = 0; r < rows; ++r) {
    for (let c = 0; c < cols; ++c) {
      let tile = ' ';
      if (env === 'gridworld') tile = GRID[r][c];
      else if (r === rows - 1 && c > 0 && c < cols - 1) tile = 'L';
      else if (r === rows - 1 && c === 0) tile = 'A';
      else if (r === rows - 1 && c === cols - 1) tile = 'G';
      ctx.fillStyle = tile === '#' ? '#5b6472' : tile === 'L' ? '#f2b8b0' : tile === 'G' ? '#cfe8cf' : '#f5f6f8';
      ctx.fillRect(x0 + c * cell + 1, y0 + r * cell + 1, cell - 2, cell - 2);
      if (tile === 'A' || tile === 'G') {
        ctx.fillStyle = '#5b6472';
        ctx.font = `${letterPx(cell)}px system-ui, sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(tile === 'A' ? 'S' : 'G', x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell);
        ctx.textAlign = 'start';
        ctx.textBaseline = 'alphabetic';
      }
    }
  }
  if (s) {
    const r = Math.floor(s[11] / cols), c = s[11] % cols;
    ctx.fillStyle = '#2f6fdf';
    ctx.beginPath();
    ctx.arc(x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell, cell * 0.3, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function drawCartpole(s) {
  const W = canvas.width, H = canvas.height, scale = (W - 60) / 4.8, mid = W / 2, ground = H * 0.7;
  ctx.fillStyle = '#fdecea';
  ctx.fillRect(30, 40, (2.4 - 1.0) * scale, ground - 40);
  ctx.fillRect(mid + 1.0 * scale, 40, (2.4 - 1.0) * scale, ground - 40);
  ctx.strokeStyle = '#5b6472';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(30, ground);
  ctx.lineTo(W - 30, ground);
  ctx.stroke();
  const x = s ? s[4] : 0, theta = s ? s[6] : 0;
  const cx = mid + x * scale;
  ctx.fillStyle = '#2f6fdf';
  ctx.fillRect(cx - 30, ground - 22, 60, 22);
  ctx.strokeStyle = '#d9582b';
  ctx.lineWidth = 8;
  ctx.beginPath();
  ctx.moveTo(cx, ground - 22);
  ctx.lineTo(cx + Math.sin(theta) * 1.0 * scale, ground - 22 - Math.cos(theta) * 1.0 * scale);
  ctx.stroke();
}

function drawPendulum(s) {
  const W = canvas.width, H = canvas.height, cx = W / 2, cy = H / 2 + 20, len = H * 0.38;
  ctx.fillStyle = '#fdecea';
  ctx.beginPath();
  ctx.moveTo(cx, cy);
  ctx.arc(cx, cy, len + 20, -Math.PI / 2 + 1.5, -Math.PI / 2 - 1.5 + 2 * Math.PI);
  ctx.fill();
  const theta = s ? s[4] : 0.3;
  ctx.strokeStyle = '#2f6fdf';
  ctx.lineWidth = 10;
  ctx.beginPath();
  ctx.moveTo(cx, cy);
  ctx.lineTo(cx + Math.sin(theta) * len, cy - Math.cos(theta) * len);
  ctx.stroke();
  ctx.fillStyle = '#1d2430';
  ctx.beginPath();
  ctx.arc(cx, cy, 6, 0, 2 * Math.PI);
  ctx.fill();
}

function drawPointgoal(s) {
  const W = canvas.width, H = canvas.height, scale = (H - 50) / 3.0, cx = W / 2, cy = 35 + (H - 50) / 2;
  const px = (x) => cx + x * scale, py = (y) => cy - y * scale;
  ctx.strokeStyle = '#5b6472';
  ctx.lineWidth = 2;
  ctx.strokeRect(px(-1.5), py(1.5), 3 * scale, 3 * scale);
  if (!s) return;
  ctx.fillStyle = '#cfe8cf';
  ctx.beginPath();
  ctx.arc(px(s[9]), py(s[10]), 0.3 * scale, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = 'rgba(47, 111, 223, 0.35)';
  for (let i = 0; i < 8; ++i) {
    ctx.beginPath();
    ctx.arc(px(s[16 + 2 * i]), py(s[17 + 2 * i]), 0.2 * scale, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.fillStyle = s[13] > 0 ? '#b3261e' : '#d9582b';
  ctx.beginPath();
  ctx.arc(px(s[4]), py(s[5]), 8, 0, 2 * Math.PI);
  ctx.fill();
  ctx.strokeStyle = '#1d2430';
  ctx.beginPath();
  ctx.moveTo(px(s[4]), py(s[5]));
  ctx.lineTo(px(s[4]) + 16 * Math.cos(s[8]), py(s[5]) - 16 * Math.sin(s[8]));
  ctx.stroke();
}

// ---- wiring -------------------------------------------------------------------------------------
$('version').textContent = `saferl_rl ${cstr(lib._rl_version())}`;
const linkTrained = readUrl();
syncControls();
redrawPlots();
// Settings changed after a run stopped belong to the next run: resume would mix them, so it
// is off until train starts that run; the curves and the replay stay the stopped run's.
function settingsChanged() {
  if (S.started && !S.running) {
    S.started = false;
    setStatus('settings changed: train starts a new run with them');
  }
  syncControls();
  writeUrl();
}
$('env').addEventListener('change', () => {
  S.settings.env = $('env').value;
  useEnvDefaults(S.settings);
  settingsChanged();
});
$('algo').addEventListener('change', () => {
  readControls();
  if (!fitsEnv(S.settings.algo, S.settings.env)) { // an off-policy algorithm moves to an environment it trains on
    S.settings.env = offPolicyEnv(S.settings.algo);
    useEnvDefaults(S.settings);
  }
  settingsChanged();
});
for (const id of ['d', 'seed', 'spe', 'epochs']) $(id).addEventListener('change', () => { readControls(); settingsChanged(); });
$('start').addEventListener('click', () => start());
$('stop').addEventListener('click', () => { worker.postMessage({ type: 'stop' }); });
$('resume').addEventListener('click', () => {
  if (S.running || !S.started) return;
  S.running = true;
  setStatus('training resumed');
  worker.postMessage({ type: 'resume', maxEpochs: S.run.epochs });
  syncControls();
});
$('replay').addEventListener('click', loadReplay);
$('replay-pause').addEventListener('click', () => {
  replayPaused = !replayPaused;
  $('replay-pause').textContent = replayPaused ? 'play' : 'pause';
  $('replay-step').disabled = !replayPaused;
});
$('replay-step').addEventListener('click', () => { replayStep(); draw(); });
await workerReadyPromise;
if (linkTrained) start(linkTrained);
else setStatus('ready: press train');
requestAnimationFrame(tick);
window.__ready = true;
