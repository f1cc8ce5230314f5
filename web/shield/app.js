// app.js - web/shield: compile a rule, draw its minimal automaton, step a trace; paint a
// gridworld and watch two agents learn on it, without and with the rule's preemptive shield.
// Every state, edge and verdict comes from saferl_shield.h (glue.c); dagre lays the automaton
// out. A third agent learns through the header's progressive curriculum.
import createShieldModule from './shield.mjs';
import { legendValue } from '../legend.js';

const lib = await createShieldModule();
const $ = (id) => document.getElementById(id);
const cstr = (ptr) => { const h = lib.HEAPU8; let e = ptr; while (h[e]) ++e; return new TextDecoder().decode(h.subarray(ptr, e)); };

const state = { props: [], trace: [], compiled: false };
window.__shield = state;

function withString(text, fn) {
  const bytes = new TextEncoder().encode(text);
  const ptr = lib._malloc(bytes.length + 1);
  lib.HEAPU8.set(bytes, ptr);
  lib.HEAPU8[ptr + bytes.length] = 0;
  try { return fn(ptr, bytes.length); } finally { lib._free(ptr); }
}

function guardOf(q, dest) { // the letters of q leading to dest, as a short text
  const k = lib._shield_prop_count(), count = lib._shield_letter_count(), letters = [];
  for (let l = 0; l < count; ++l) if (lib._shield_next(q, l) === dest) letters.push(l);
  if (letters.length === count) return 'true';
  if (letters.length > 4 || k > 16) return `${letters.length} ${k > 16 ? 'label classes' : 'letters'}`;
  return letters.map((l) => state.props.map((p, j) => ((l >> j) & 1 ? '' : '!') + p.name).join('&') || 'true').join(' | ');
}

// The automaton laid out by dagre (layered, left to right), scaled to fit the canvas at whatever
// size the page gives it; above GRAPH_LABELS states the guards go to a table. On a narrow canvas
// (a phone) guards squeezed into the drawing would be unreadable: the states are laid out top to
// bottom without them, and the table lists the guards.
const GRAPH_LABELS = 40, NARROW_GRAPH = 600;

function layoutGraph(narrow) {
  const n = lib._shield_state_count(), count = lib._shield_letter_count(), labelled = n <= GRAPH_LABELS && !narrow;
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: narrow ? 'TB' : 'LR', nodesep: 18, ranksep: labelled ? 60 : 30, edgesep: 8, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (let q = 0; q < n; ++q) g.setNode(String(q), { width: 40, height: 40 });
  const loops = [], edges = [];
  for (let q = 0; q < n; ++q) {
    const dests = new Set();
    for (let l = 0; l < count; ++l) dests.add(lib._shield_next(q, l));
    for (const d of dests) {
      const label = guardOf(q, d);
      if (d === q) { loops.push({ q, label }); continue; }
      edges.push({ q, d, label });
      g.setEdge(String(q), String(d), labelled ? { label, width: 7 * Math.min(label.length, 40), height: 14, labelpos: 'c' } : {}, `${q}>${d}`);
    }
  }
  dagre.layout(g);
  const nodes = [];
  for (let q = 0; q < n; ++q) { const v = g.node(String(q)); nodes.push({ q, x: v.x, y: v.y }); }
  for (const e of edges) { const v = g.edge(String(e.q), String(e.d), `${e.q}>${e.d}`); e.points = v.points; e.lx = v.x; e.ly = v.y; }
  return { n, nodes, edges, loops, labelled, narrow, width: g.graph().width, height: g.graph().height };
}

function guardTable(layout) { // every state's edges, one row a state
  const rows = [];
  for (let q = 0; q < layout.n; ++q) {
    const out = layout.edges.filter((e) => e.q === q).map((e) => `→${e.d}: ${e.label}`);
    const loop = layout.loops.find((e) => e.q === q);
    if (loop) out.unshift(`↺: ${loop.label}`);
    rows.push(`<tr><th>${q}${q === state.sink ? ' (sink)' : ''}${q === lib._shield_initial() ? ' (start)' : ''}</th><td>${out.join('<br>')}</td></tr>`);
  }
  return `<table><tr><th>state</th><th>edges (guard)</th></tr>${rows.join('')}</table>`;
}

function draw() {
  const canvas = $('graph'), ctx = canvas.getContext('2d');
  const ratio = window.devicePixelRatio || 1, cssWidth = Math.max(200, canvas.clientWidth || 600);
  const narrow = cssWidth < NARROW_GRAPH;
  if (state.compiled && state.layout?.narrow !== narrow) state.layout = layoutGraph(narrow);
  const layout = state.compiled ? state.layout : null;
  const aspect = layout ? layout.height / Math.max(1, layout.width) : 0.35;
  const cssHeight = Math.min(640, Math.max(240, cssWidth * aspect));
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.round(cssWidth * ratio);
  canvas.height = Math.round(cssHeight * ratio);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  state.graph = null;
  if (!layout) { $('graph-table').innerHTML = ''; return; }
  // the layout's box scaled into the canvas (never above 1.5x), centred
  const pad = 6 * ratio, scale = Math.min((canvas.width - 2 * pad) / layout.width, (canvas.height - 2 * pad) / layout.height, 1.5 * ratio);
  // text is drawn at the layout's 12 px scaled with it; squeezed below 11 px on the screen (a wide
  // automaton on a phone) the guards go to the table instead, as above GRAPH_LABELS states
  const readable = 12 * scale >= 11 * ratio, labelled = layout.labelled && readable;
  $('graph-table').innerHTML = labelled ? '' : guardTable(layout);
  const ox = (canvas.width - layout.width * scale) / 2, oy = (canvas.height - layout.height * scale) / 2;
  const X = (x) => ox + x * scale, Y = (y) => oy + y * scale, r = 20 * scale;
  const bounds = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  const grow = (x0, y0, x1, y1) => { bounds.x0 = Math.min(bounds.x0, x0); bounds.y0 = Math.min(bounds.y0, y0); bounds.x1 = Math.max(bounds.x1, x1); bounds.y1 = Math.max(bounds.y1, y1); };
  const sink = state.sink, cur = lib._shield_state(), font = Math.min(13 * ratio, 12 * scale);
  ctx.font = `${font}px monospace`;
  ctx.lineWidth = Math.max(0.5, scale);
  for (const e of layout.edges) {
    ctx.strokeStyle = e.d === sink ? '#c0392b' : '#555';
    ctx.fillStyle = ctx.strokeStyle;
    ctx.beginPath();
    e.points.forEach((p, i) => { if (i) ctx.lineTo(X(p.x), Y(p.y)); else ctx.moveTo(X(p.x), Y(p.y)); grow(X(p.x), Y(p.y), X(p.x), Y(p.y)); });
    ctx.stroke();
    const [a, b] = e.points.slice(-2), angle = Math.atan2(b.y - a.y, b.x - a.x), h = Math.max(3, 7 * scale);
    ctx.beginPath(); // the arrow head at the target's border
    ctx.moveTo(X(b.x), Y(b.y));
    ctx.lineTo(X(b.x) - h * Math.cos(angle - 0.4), Y(b.y) - h * Math.sin(angle - 0.4));
    ctx.lineTo(X(b.x) - h * Math.cos(angle + 0.4), Y(b.y) - h * Math.sin(angle + 0.4));
    ctx.fill();
    if (labelled && e.lx !== undefined) {
      const w = ctx.measureText(e.label).width;
      ctx.fillText(e.label, X(e.lx) - w / 2, Y(e.ly) + font / 3);
      grow(X(e.lx) - w / 2, Y(e.ly) - font, X(e.lx) + w / 2, Y(e.ly) + font / 3);
    }
  }
  for (const node of layout.nodes) {
    const x = X(node.x), y = Y(node.y), q = node.q;
    const loop = layout.loops.find((e) => e.q === q);
    if (loop) { // a self-loop: a small circle above the state
      ctx.strokeStyle = '#555';
      ctx.beginPath();
      ctx.arc(x, y - r, r * 0.45, 0, 2 * Math.PI);
      ctx.stroke();
      grow(x - r * 0.45, y - r * 1.45, x + r * 0.45, y);
      if (labelled) {
        const w = ctx.measureText(loop.label).width, lx = Math.min(Math.max(x - w / 2, 2), canvas.width - w - 2);
        const ly = Math.max(y - r * 1.5, font);
        ctx.fillStyle = '#555';
        ctx.fillText(loop.label, lx, ly);
        grow(lx, ly - font, lx + w, ly);
      }
    }
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = q === sink ? '#f4a6a6' : q === cur ? '#ffe08a' : '#eef3fb';
    ctx.fill();
    ctx.lineWidth = q === cur ? 3 : Math.max(0.5, scale);
    ctx.strokeStyle = q === lib._shield_initial() ? '#2d5fb3' : '#222';
    ctx.stroke();
    if (lib._shield_finite() && lib._shield_accepting(q)) { ctx.beginPath(); ctx.arc(x, y, r * 0.8, 0, 2 * Math.PI); ctx.stroke(); }
    ctx.lineWidth = Math.max(0.5, scale);
    ctx.fillStyle = '#222';
    if (readable) { // state numbers squeezed below 11 px would be noise: the table lists them
      const t = String(q), w = ctx.measureText(t).width;
      ctx.fillText(t, x - w / 2, y + font / 3);
    }
    grow(x - r, y - r, x + r, y + r);
  }
  state.graph = { width: canvas.width, height: canvas.height, bounds, states: layout.n, labelled };
}

function showMonitor() {
  $('state').textContent = String(lib._shield_state());
  $('steps').textContent = String(lib._shield_steps());
  const violated = lib._shield_violated();
  const v = $('verdict');
  if (violated) { v.textContent = `violated at step ${lib._shield_first_violation()}`; v.className = 'bad'; }
  else if (lib._shield_finite()) { v.textContent = lib._shield_monitor_accepting() ? 'accepted' : 'not accepted (yet)'; v.className = lib._shield_monitor_accepting() ? 'good' : ''; }
  else { v.textContent = 'safe so far'; v.className = 'good'; }
  $('trace').textContent = state.trace.map((s, i) => `${i + 1}: {${s.join(', ')}}`).join('\n');
  draw();
}

function compile() {
  const text = $('formula').value;
  const logic = Number(document.querySelector('input[name=logic]:checked').value);
  const r = withString(text, (ptr, n) => lib._shield_compile(ptr, n, logic));
  world.rule = text;
  world.logic = logic;
  gridRule();
  state.layout = null;
  if (r < 0) { // nothing of the previous automaton stays on screen
    $('status').textContent = `line ${lib._shield_error_line()}, column ${lib._shield_error_column()}: ${cstr(lib._shield_error_message())}`;
    $('status').className = 'bad';
    state.error = $('status').textContent;
    state.compiled = false;
    state.props = [];
    state.trace = [];
    for (const id of ['hoa', 'dot', 'props', 'state', 'steps', 'reward', 'verdict', 'trace']) $(id).textContent = '';
    draw();
    return;
  }
  state.error = null;
  state.compiled = true;
  $('reward').textContent = '';
  const k = lib._shield_prop_count();
  state.props = [];
  for (let j = 0; j < k; ++j) state.props.push({ name: cstr(lib._shield_prop_name(j)), bit: lib._shield_prop_bit(j) });
  state.states = lib._shield_state_count();
  state.sink = lib._shield_sink();
  $('status').textContent = `${state.states} states, ${k} propositions${state.sink >= 0 ? ', violation sink ' + state.sink : ''}`;
  $('status').className = '';
  $('hoa').textContent = cstr(lib._shield_text(0));
  $('dot').textContent = cstr(lib._shield_text(2));
  $('props').innerHTML = '';
  for (const p of state.props) {
    const l = document.createElement('label');
    l.innerHTML = `<input type="checkbox" data-bit="${p.bit}"> ${p.name}`;
    $('props').appendChild(l);
  }
  state.trace = [];
  showMonitor();
}

function step() {
  if (!state.compiled) return;
  let label = 0;
  const names = [];
  for (const box of $('props').querySelectorAll('input')) if (box.checked) { label |= 1 << Number(box.dataset.bit); names.push(box.parentElement.textContent.trim()); }
  lib._shield_step(label);
  $('reward').textContent = lib._shield_last_reward().toFixed(2);
  state.trace.push(names);
  showMonitor();
}

// ---- part 2: the gridworld, its shield and two learning agents ------------------------------
// The map is edited here as legend symbols and handed to the header as text; the rule is
// compiled again over the legend's propositions; every step, mask, violation and return is
// the module's (glue.c). The page draws and counts what it is given.

const LEGEND = [];
for (let k = 0; k < lib._grid_legend_count(); ++k) {
  const rgb = lib._grid_legend_rgb(k);
  LEGEND.push({ symbol: String.fromCharCode(lib._grid_legend_symbol(k)), name: cstr(lib._grid_legend_name(k)),
    flags: lib._grid_legend_flags(k), label: lib._grid_legend_label(k), color: '#' + rgb.toString(16).padStart(6, '0') });
}
const KIND = Object.fromEntries(LEGEND.map((e, k) => [e.symbol, k]));
const START = LEGEND.findIndex((e) => e.flags & 2);
const URL_SYMBOL = { '#': '-' }; // '#' would end the URL's query
const FROM_URL = { '-': '#' };
const MAX_SIDE = 32;
const RIVER = '##############\n#S...w....L..#\n#.........L.D#\n#..b......L..#\n#.........L..#\n#..i......LLL#\n#......C.....#\n#..t.........#\n##############\n';
const COLORS = ['#c0392b', '#1e7b34', '#2d5fb3'];
const NAMES = ['no shield', 'preemptive shield', 'curriculum'];
const AGENTS = 3;
// the speed control: steps per second of every agent, up to full speed (time slices of episodes)
const SPEEDS = [1, 3, 10, 30, 100, 1000, Infinity];
// the curriculum's transfer, in the glue's order (world_reset_staged): copy from states at
// least as strict, copy from states with the same rule, replay the real steps (the default)
const TRANSFERS = ['stricter', 'same', 'replay'];
const emptySeries = () => Array.from({ length: AGENTS }, () => ({ ret: [], cumViolations: [] }));

const world = {
  rule: '', logic: 0, width: 0, height: 0, kinds: [], paint: KIND['#'],
  seed: 1, slip: 0, shift: 0, epsilon: 0.1, runEpisodes: 500, stageEpisodes: 500, transfer: 'replay', speed: SPEEDS.length - 1,
  ready: false, result: 0, error: null, mapError: null, running: false, target: 0,
  series: emptySeries(),
};
state.world = world;
const cursor = { x: 0, y: 0, shown: false }; // the keyboard's cell on the map editor

function mapText() {
  let text = '';
  for (let y = 0; y < world.height; ++y) {
    for (let x = 0; x < world.width; ++x) text += LEGEND[world.kinds[y * world.width + x]].symbol;
    text += '\n';
  }
  return text;
}

function setKindsFromText(text) {
  const rows = text.split('\n').map((r) => r.replace(/\r$/, '')).filter((r) => r.length);
  world.height = rows.length;
  world.width = rows.length ? rows[0].length : 0;
  world.kinds = [];
  for (const row of rows) for (let x = 0; x < world.width; ++x) world.kinds.push(KIND[row[x]] ?? 0);
}

// compact map code: "WxH_" then runs of symbols, a run written as its length (when > 1) and
// the symbol, row after row: "12x10_13-S2.w3.L.D2-..."
function encodeMap() {
  const flat = mapText().replace(/\n/g, '');
  let code = `${world.width}x${world.height}_`;
  for (let i = 0; i < flat.length;) {
    let j = i;
    while (j < flat.length && flat[j] === flat[i]) ++j;
    code += (j - i > 1 ? String(j - i) : '') + (URL_SYMBOL[flat[i]] ?? flat[i]);
    i = j;
  }
  return code;
}

function decodeMap(code) {
  const m = /^(\d+)x(\d+)_(.*)$/.exec(code || '');
  if (!m) return null;
  const width = Number(m[1]), height = Number(m[2]);
  if (!(width >= 1 && height >= 1 && width <= MAX_SIDE && height <= MAX_SIDE)) return null;
  let flat = '';
  for (const [, count, symbol] of m[3].matchAll(/(\d*)(\D)/g)) flat += (FROM_URL[symbol] ?? symbol).repeat(count ? Number(count) : 1);
  if (flat.length !== width * height) return null;
  let text = '';
  for (let y = 0; y < height; ++y) text += flat.slice(y * width, (y + 1) * width) + '\n';
  return text;
}

function updateURL() {
  const url = new URL(window.location.href);
  url.searchParams.set('f', world.rule);
  url.searchParams.set('logic', String(world.logic));
  url.searchParams.set('m', encodeMap());
  url.searchParams.set('seed', String(world.seed));
  url.searchParams.set('slip', String(world.slip));
  url.searchParams.set('shift', String(world.shift));
  url.searchParams.set('eps', String(world.epsilon));
  url.searchParams.set('n', String(world.runEpisodes));
  url.searchParams.set('stage', String(world.stageEpisodes));
  url.searchParams.set('transfer', world.transfer);
  url.searchParams.delete('same');
  url.searchParams.set('speed', String(world.speed));
  const done = Math.min(lib._agent_episodes(0), lib._agent_episodes(1));
  if (world.ready && done > 0) url.searchParams.set('ep', String(done)); else url.searchParams.delete('ep');
  history.replaceState(null, '', url);
}

// ---- the header's view of the map, the rule and the game ----

function gridLoad() {
  const r = withString(mapText(), (ptr, n) => lib._grid_load(ptr, n));
  world.mapError = r < 0 ? `map, line ${lib._grid_error_line()}, column ${lib._grid_error_column()}: ${cstr(lib._grid_error_message())}` : null;
  return r;
}

function gridRule() {
  const r = withString(world.rule, (ptr, n) => lib._grid_rule(ptr, n, world.logic));
  world.error = r < 0 ? `the rule over the map's propositions (${LEGEND.filter((e) => e.label).map((e) => e.name).join(', ')}): ${cstr(lib._grid_error_message())}` : null;
  resetWorld();
}

function resetWorld() {
  stopRun();
  world.ready = false;
  world.series = emptySeries();
  if (!world.mapError && !world.error && world.width) {
    world.result = lib._world_reset_staged(world.seed, world.slip, world.shift, world.epsilon, 100, world.stageEpisodes,
      TRANSFERS.indexOf(world.transfer));
    world.ready = world.result === 0;
    if (!world.ready) world.error = `the game could not be laid out (${world.result})`;
  }
  showWorld();
  updateURL();
}

function shieldText() {
  if (world.mapError) return world.mapError;
  if (world.error) return world.error;
  if (!world.ready) return '';
  const wins = lib._world_winning_count(), all = lib._world_game_states();
  if (lib._world_initial_winning())
    return `the start is winning: ${wins} of ${all} (cell, rule state) pairs can stay safe; the shielded agent cannot violate the rule`;
  const fallback = lib._world_probabilistic()
    ? `the shielded agent uses the probabilistic shield (P(safe for 10 steps) ≥ 0.9; ${lib._world_start_safety().toFixed(4)} at the start)`
    : 'the shielded agent acts unshielded';
  const rank = lib._world_initial_rank();
  return `unrealisable: the start is losing: whatever the agent does, the map's slips can force a violation of the rule ` +
    `within ${rank - 1} step${rank === 2 ? '' : 's'} from the start (${all - wins} of ${all} (cell, rule state) pairs lose; ` +
    `hatched on the shielded agent's map); ${fallback}.`;
}

// ---- learning ----

function collect() { // new episodes from the module into the plotted series
  for (let k = 0; k < AGENTS; ++k) {
    const s = world.series[k], n = Math.min(lib._agent_episodes(k), 100000);
    const ret = lib._agent_returns(k) >> 3, vio = lib._agent_violated(k);
    for (let i = s.ret.length; i < n; ++i) {
      s.ret.push(lib.HEAPF64[ret + i]);
      s.cumViolations.push((s.cumViolations.length ? s.cumViolations[s.cumViolations.length - 1] : 0) + lib.HEAPU8[vio + i]);
    }
  }
}

function counters(k) {
  const s = world.series[k], n = s.ret.length, window_ = Math.min(100, n);
  let sum = 0;
  for (let i = n - window_; i < n; ++i) sum += s.ret[i];
  return { episodes: lib._agent_episodes(k), violations: lib._agent_violations(k), goals: lib._agent_goals(k),
    steps: lib._agent_steps(k), restricted: lib._agent_restricted(k), meanReturn: window_ ? sum / window_ : 0,
    returnSum: s.ret.reduce((a, b) => a + b, 0) };
}

function stepAll() { // one environment step of every agent
  if (!world.ready) return;
  for (let k = 0; k < AGENTS; ++k) lib._agent_step(k);
  collect();
  showWorld();
  updateURL();
}

function stopRun() { world.running = false; }

function runTo(target) {
  if (!world.ready) return;
  world.target = Math.min(target, 100000);
  world.running = true;
  let last = performance.now(), budget = 0;
  const frame = () => {
    if (!world.running) return;
    const t0 = performance.now(), rate = SPEEDS[world.speed];
    let left = true;
    if (Number.isFinite(rate)) { // so many steps a second: each agent one step at a time
      budget = Math.min(budget + (rate * (t0 - last)) / 1000, rate);
      for (; budget >= 1 && left; budget -= 1) {
        left = false;
        for (let k = 0; k < AGENTS; ++k) if (lib._agent_episodes(k) < world.target) { lib._agent_step(k); left = true; }
      }
      left = [...Array(AGENTS).keys()].some((k) => lib._agent_episodes(k) < world.target);
    } else {
      while (performance.now() - t0 < 14 && left) { // a slice per frame; the agents in lockstep
        left = false;
        for (let k = 0; k < AGENTS; ++k) {
          const need = world.target - lib._agent_episodes(k);
          if (need > 0) { lib._agent_run(k, Math.min(need, 10)); left = left || need > 10; }
        }
      }
    }
    last = t0;
    collect();
    showWorld();
    if (!left) { world.running = false; updateURL(); showWorld(); return; }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

// ---- drawing ----

function cellSize(canvas) { return Math.floor(Math.min(canvas.width / world.width, canvas.height / world.height)); }

function drawMap(canvas, kindOf, overlay) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!world.width) return 0;
  const c = cellSize(canvas);
  for (let y = 0; y < world.height; ++y)
    for (let x = 0; x < world.width; ++x) {
      const e = LEGEND[kindOf(y * world.width + x)];
      ctx.fillStyle = e.color;
      ctx.fillRect(x * c, y * c, c, c);
      if (e.flags & 8 || e.flags & 4 || e.flags & 2) { // items, goal, start: their initial
        ctx.fillStyle = '#fff';
        ctx.font = `bold ${Math.round(c * 0.5)}px sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(e.symbol, x * c + c / 2, y * c + c / 2 + 1);
      }
    }
  ctx.strokeStyle = 'rgba(0,0,0,0.12)';
  ctx.lineWidth = 1;
  for (let x = 0; x <= world.width; ++x) { ctx.beginPath(); ctx.moveTo(x * c + 0.5, 0); ctx.lineTo(x * c + 0.5, world.height * c); ctx.stroke(); }
  for (let y = 0; y <= world.height; ++y) { ctx.beginPath(); ctx.moveTo(0, y * c + 0.5); ctx.lineTo(world.width * c, y * c + 0.5); ctx.stroke(); }
  if (overlay) overlay(ctx, c);
  return c;
}

function drawAgent(k) {
  const canvas = $(`agent${k}`);
  drawMap(canvas, (i) => (world.ready ? lib._agent_kind(k, i) : world.kinds[i]), (ctx, c) => {
    if (!world.ready) return;
    const cells = world.width * world.height, visits = lib._agent_visits(k) >> 2;
    let most = 1;
    for (let i = 0; i < cells; ++i) most = Math.max(most, lib.HEAPU32[visits + i]);
    for (let i = 0; i < cells; ++i) { // visits: a dark square growing with sqrt(count)
      const v = lib.HEAPU32[visits + i];
      if (!v) continue;
      const side = c * 0.7 * Math.sqrt(v / most), x = (i % world.width) * c, y = Math.floor(i / world.width) * c;
      ctx.fillStyle = 'rgba(20,20,90,0.35)';
      ctx.fillRect(x + (c - side) / 2, y + (c - side) / 2, side, side);
    }
    if (k === 1) { // cells that lose the safety game in the agent's current rule state: hatched
      const q = lib._agent_state(1);
      ctx.strokeStyle = 'rgba(120,0,0,0.55)';
      ctx.lineWidth = 1;
      state.hatched = { q, cells: [] };
      for (let i = 0; i < cells; ++i) {
        if (!lib._world_losing_rank(i, q)) continue;
        state.hatched.cells.push(i);
        const x = (i % world.width) * c, y = Math.floor(i / world.width) * c;
        ctx.beginPath();
        for (let d = 0.25; d < 2; d += 0.25) {
          ctx.moveTo(x + Math.max(0, d - 1) * c, y + Math.min(1, d) * c);
          ctx.lineTo(x + Math.min(1, d) * c, y + Math.max(0, d - 1) * c);
        }
        ctx.stroke();
      }
    }
    const trail = lib._agent_trail(k) >> 2, n = lib._agent_trail_length(k);
    const centre = (cell) => [(cell % world.width) * c + c / 2, Math.floor(cell / world.width) * c + c / 2];
    if (n > 1) {
      ctx.strokeStyle = COLORS[k];
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      for (let i = 0; i < n; ++i) { const [x, y] = centre(lib.HEAPU32[trail + i]); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); }
      ctx.stroke();
    }
    const [ax, ay] = centre(lib._agent_cell(k));
    ctx.beginPath();
    ctx.arc(ax, ay, c * 0.3, 0, 2 * Math.PI);
    ctx.fillStyle = COLORS[k];
    ctx.fill();
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.stroke();
    if (k === 1 && lib._agent_in_episode(1)) { // the shield's verdict at the agent: blocked moves in red
      const mask = lib._world_allowed(lib._agent_cell(1), lib._agent_state(1));
      const dirs = [[1, 0], [0, -1], [-1, 0], [0, 1]];
      ctx.lineWidth = 3;
      for (let a = 0; a < 4; ++a) {
        if (!mask || (mask >> a) & 1) continue;
        const [dx, dy] = dirs[a];
        ctx.strokeStyle = '#b3261e';
        ctx.beginPath();
        ctx.moveTo(ax + dx * c * 0.5 - dy * c * 0.35, ay + dy * c * 0.5 - dx * c * 0.35);
        ctx.lineTo(ax + dx * c * 0.5 + dy * c * 0.35, ay + dy * c * 0.5 + dx * c * 0.35);
        ctx.stroke();
      }
    }
  });
}

function plotWidth(el) { return Math.max(280, el.clientWidth); }
function makePlot(el, label) {
  return new uPlot({
    width: plotWidth(el), height: 220,
    scales: { x: { time: false } },
    axes: [{ label: 'episode' }, { label }],
    series: [{ label: 'episode', value: legendValue(String) }, ...NAMES.map((name, k) => ({ label: name, stroke: COLORS[k], width: 2,
      value: legendValue((v) => v.toFixed(3).replace(/\.?0+$/, '')) }))],
    cursor: { drag: { x: false, y: false } },
  }, [[], ...NAMES.map(() => [])], el);
}
const violationPlot = makePlot($('plot-violations'), 'violations so far');
const returnPlot = makePlot($('plot-returns'), 'return (mean of last 100)');

function plotData() { // at most about 2000 points a curve: every stride-th episode
  const n = Math.max(...world.series.map((s) => s.ret.length)), stride = Math.max(1, Math.ceil(n / 2000));
  const x = [], v = world.series.map(() => []), r = world.series.map(() => []);
  const window_ = 100;
  for (let k = 0; k < AGENTS; ++k) {
    const s = world.series[k].ret;
    let run = 0;
    for (let i = 0; i < n; ++i) {
      if (i < s.length) { run += s[i]; if (i >= window_) run -= s[i - window_]; }
      if ((i + 1) % stride === 0 || i === n - 1) {
        if (k === 0) x.push(i + 1);
        v[k].push(i < s.length ? world.series[k].cumViolations[i] : null);
        r[k].push(i < s.length ? run / Math.min(window_, i + 1) : null);
      }
    }
  }
  return { x, v, r };
}

function showWorld() {
  $('world-status').textContent = shieldText();
  $('world-status').className = world.error || world.mapError ? 'bad' : (world.ready && !lib._world_initial_winning() ? 'warn' : '');
  $('map-code').textContent = encodeMap();
  drawEditor();
  for (let k = 0; k < AGENTS; ++k) {
    drawAgent(k);
    const c = world.ready ? counters(k) : null;
    $(`episodes${k}`).textContent = c ? String(c.episodes) : '—';
    $(`violations${k}`).textContent = c ? String(c.violations) : '—';
    $(`goals${k}`).textContent = c ? String(c.goals) : '—';
    $(`return${k}`).textContent = c ? c.meanReturn.toFixed(3) : '—';
    $(`steps${k}`).textContent = c ? String(c.steps) : '—';
    $(`rstate${k}`).textContent = world.ready ? String(lib._agent_state(k)) : '—';
    if (k === 1) $('restricted1').textContent = c ? String(c.restricted) : '—';
    if (k === 2) $('stage2').textContent = world.ready ? `${lib._agent_stage(2) + 1} of 4` : '—';
  }
  $('speed-text').textContent = Number.isFinite(SPEEDS[world.speed]) ? `${SPEEDS[world.speed]} steps/s` : 'full';
  $('run').disabled = world.running || !world.ready;
  $('stop').disabled = !world.running;
  const { x, v, r } = plotData();
  violationPlot.setData([x, ...v]);
  returnPlot.setData([x, ...r]);
}

// ---- the editor ----

function drawEditor() {
  drawMap($('map'), (i) => world.kinds[i]);
  if (cursor.shown) { // the keyboard's cell
    const canvas = $('map'), c = cellSize(canvas), g = canvas.getContext('2d');
    g.strokeStyle = '#2f6fdf';
    g.lineWidth = 3;
    g.strokeRect(cursor.x * c + 1.5, cursor.y * c + 1.5, c - 3, c - 3);
  }
}

function mapChanged() {
  gridLoad();
  resetWorld();
}

function paintAt(event) {
  const canvas = $('map'), box = canvas.getBoundingClientRect(), c = cellSize(canvas);
  const x = Math.floor(((event.clientX - box.left) * canvas.width) / box.width / c);
  const y = Math.floor(((event.clientY - box.top) * canvas.height) / box.height / c);
  if (x < 0 || y < 0 || x >= world.width || y >= world.height) return false;
  return paintCell(x, y);
}

// Paints cell (x, y) with the chosen kind (one start: painting it moves it); false if unchanged.
function paintCell(x, y) {
  const i = y * world.width + x;
  if (world.kinds[i] === world.paint) return false;
  if (world.paint === START) for (let j = 0; j < world.kinds.length; ++j) if (world.kinds[j] === START) world.kinds[j] = KIND['.'];
  world.kinds[i] = world.paint;
  return true;
}

// the keyboard path: the map takes the focus, arrow keys move a cursor cell, space or Enter
// paints it with the chosen kind
$('map').addEventListener('keydown', (e) => {
  const move = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
  if (move) {
    cursor.x = Math.min(world.width - 1, Math.max(0, cursor.x + move[0]));
    cursor.y = Math.min(world.height - 1, Math.max(0, cursor.y + move[1]));
  } else if (e.key === ' ' || e.key === 'Enter') {
    if (paintCell(cursor.x, cursor.y)) mapChanged();
  } else return;
  e.preventDefault();
  cursor.shown = true;
  drawEditor();
});
$('map').addEventListener('blur', () => { cursor.shown = false; drawEditor(); });

let painting = false, painted = false;
$('map').addEventListener('pointerdown', (e) => { painting = true; painted = paintAt(e) || painted; drawEditor(); });
$('map').addEventListener('pointermove', (e) => { if (painting && paintAt(e)) { painted = true; drawEditor(); } });
window.addEventListener('pointerup', () => { if (painting && painted) mapChanged(); painting = painted = false; });

for (const [k, e] of LEGEND.entries()) {
  const b = document.createElement('label');
  b.className = 'swatch';
  b.innerHTML = `<input type="radio" name="paint" value="${k}"${k === world.paint ? ' checked' : ''}><span style="background:${e.color}"></span>${e.name}`;
  b.title = `'${e.symbol}'` + (e.label ? ` labels the cell ${e.name}` : '') + (e.flags & 8 ? '; an item (moved at reset by the shift)' : '') + (e.flags & 4 ? '; the goal (reward 1, ends the episode)' : '');
  b.querySelector('input').addEventListener('change', () => { world.paint = k; });
  $('palette').appendChild(b);
}

function resize(width, height) {
  const old = world.kinds, ow = world.width, oh = world.height, kinds = [];
  for (let y = 0; y < height; ++y)
    for (let x = 0; x < width; ++x) {
      const border = x === 0 || y === 0 || x === width - 1 || y === height - 1;
      kinds.push(x < ow - 1 && y < oh - 1 && !border ? old[y * ow + x] : border ? KIND['#'] : KIND['.']);
    }
  world.width = width;
  world.height = height;
  world.kinds = kinds;
  mapChanged();
}

function readSettings() {
  world.seed = Math.max(0, Math.floor(Number($('seed').value)) || 0);
  world.slip = Math.min(1, Math.max(0, Number($('slip').value) || 0));
  world.shift = Math.min(0.25, Math.max(0, Number($('shift').value) || 0));
  world.epsilon = Math.min(1, Math.max(0, Number($('epsilon').value) || 0));
  world.runEpisodes = Math.max(1, Math.floor(Number($('episodes').value)) || 1);
  world.stageEpisodes = Math.max(1, Math.floor(Number($('stage').value)) || 1);
  world.transfer = $('transfer').value;
  world.speed = Math.min(SPEEDS.length - 1, Math.max(0, Math.floor(Number($('speed').value)) || 0));
}
function writeSettings() {
  $('seed').value = world.seed; $('slip').value = world.slip; $('shift').value = world.shift;
  $('epsilon').value = world.epsilon; $('episodes').value = world.runEpisodes;
  $('stage').value = world.stageEpisodes; $('speed').value = world.speed; $('transfer').value = world.transfer;
  $('width').value = world.width; $('height').value = world.height;
}

for (const id of ['seed', 'slip', 'shift', 'epsilon', 'stage', 'transfer']) $(id).addEventListener('change', () => { readSettings(); resetWorld(); });
$('speed').addEventListener('input', () => { readSettings(); updateURL(); showWorld(); });
$('episodes').addEventListener('change', () => { readSettings(); updateURL(); });
$('resize').addEventListener('click', () => {
  const w = Math.min(MAX_SIDE, Math.max(3, Math.floor(Number($('width').value)) || 3));
  const h = Math.min(MAX_SIDE, Math.max(3, Math.floor(Number($('height').value)) || 3));
  resize(w, h);
  writeSettings();
});
$('preset').addEventListener('change', () => {
  const v = $('preset').value;
  if (!v) return;
  setKindsFromText(v === 'minecraft' ? cstr(lib._grid_default_map()) : RIVER);
  $('preset').value = '';
  writeSettings();
  mapChanged();
});
$('world-step').addEventListener('click', () => { stopRun(); stepAll(); });
$('run').addEventListener('click', () => { readSettings(); runTo(Math.max(lib._agent_episodes(0), lib._agent_episodes(1)) + world.runEpisodes); });
$('stop').addEventListener('click', () => { stopRun(); collect(); updateURL(); showWorld(); });
$('world-reset').addEventListener('click', () => { readSettings(); resetWorld(); });
window.addEventListener('resize', () => {
  draw();
  violationPlot.setSize({ width: plotWidth($('plot-violations')), height: 220 });
  returnPlot.setSize({ width: plotWidth($('plot-returns')), height: 220 });
});

// what the tests read
state.learn = () => ({ ready: world.ready, running: world.running, mapText: mapText(), map: encodeMap(), rule: world.rule,
  initialWinning: world.ready ? lib._world_initial_winning() === 1 : null, status: $('world-status').textContent,
  speed: SPEEDS[world.speed], graph: state.graph,
  agents: [...Array(AGENTS).keys()].map((k) => ({ ...counters(k), returns: world.series[k].ret.slice(),
    cell: world.ready ? lib._agent_cell(k) : -1, inEpisode: world.ready ? lib._agent_in_episode(k) === 1 : false })) });

// ---- start: URL, map, rule, and the run the URL names ----

$('version').textContent = 'v' + cstr(lib._shield_version());
$('compile').addEventListener('click', compile);
$('formula').addEventListener('keydown', (e) => { if (e.key === 'Enter') compile(); });
$('step').addEventListener('click', step);
$('reset').addEventListener('click', () => { lib._shield_reset(); state.trace = []; $('reward').textContent = ''; showMonitor(); });
const params = new URL(window.location.href).searchParams;
// A bad value in the URL is reported under the caption and replaced by the default.
function urlMessage(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('url-messages').append(li);
}
if (params.get('f')) $('formula').value = params.get('f');
if (params.has('logic')) {
  if (params.get('logic') === '2') document.querySelector('input[name=logic][value="2"]').checked = true;
  else if (params.get('logic') !== '0') urlMessage(`logic in the URL: "${params.get('logic')}" is not 0 (safety LTL) or 2 (LTLf); using 0`);
}
// num(key, default, lo, hi, integer): the URL's value when it is one, else the default and a message
const num = (key, fallback, lo, hi, integer) => {
  if (!params.has(key)) return fallback;
  const raw = params.get(key), v = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(v) && v >= lo && v <= hi && (!integer || Number.isInteger(v))) return v;
  urlMessage(`${key} in the URL: "${raw}" is not ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}; using ${fallback}`);
  return fallback;
};
world.seed = num('seed', 1, 0, 4294967295, true);
world.slip = num('slip', 0, 0, 1, false);
world.shift = num('shift', 0, 0, 0.25, false);
world.epsilon = num('eps', 0.1, 0, 1, false);
world.runEpisodes = num('n', 500, 1, 1000000, true);
world.stageEpisodes = num('stage', 500, 1, 1000000, true);
// the curriculum's transfer (an older link's same=1 is the same-rule copy)
world.transfer = params.get('same') === '1' ? 'same' : 'replay';
if (params.has('transfer')) {
  if (TRANSFERS.includes(params.get('transfer'))) world.transfer = params.get('transfer');
  else urlMessage(`transfer in the URL: "${params.get('transfer').slice(0, 20)}" is not one of ${TRANSFERS.join(', ')}; using replay`);
}
world.speed = num('speed', SPEEDS.length - 1, 0, SPEEDS.length - 1, true);
const mapFromUrl = decodeMap(params.get('m'));
if (params.has('m') && mapFromUrl === null) urlMessage(`m in the URL: "${params.get('m').slice(0, 40)}" is not a map code; showing the default map`);
setKindsFromText(mapFromUrl ?? cstr(lib._grid_default_map()));
writeSettings();
readSettings();
gridLoad();
compile();
const replay = num('ep', 0, 0, 100000, true);
if (world.ready && replay > 0) { // the URL names a run: redo it, on the same seed
  for (let k = 0; k < AGENTS; ++k) lib._agent_run(k, replay);
  collect();
  showWorld();
  updateURL();
}
window.__ready = true;
