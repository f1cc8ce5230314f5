// app.js - web/shield: compile a rule, draw its minimal automaton, step a trace.
// Every state, edge and verdict comes from saferl_shield.h (glue.c); the layout is ours: states
// on a circle, edges as arcs labelled by the letters' guard (dagre would lay out bigger ones).
import createShieldModule from './shield.mjs';

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
  const k = lib._shield_prop_count(), letters = [];
  for (let l = 0; l < (1 << k); ++l) if (lib._shield_next(q, l) === dest) letters.push(l);
  if (letters.length === (1 << k)) return 'true';
  if (letters.length > 4) return `${letters.length} letters`;
  return letters.map((l) => state.props.map((p, j) => ((l >> j) & 1 ? '' : '!') + p.name).join('&') || 'true').join(' | ');
}

function draw() {
  const canvas = $('graph'), ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!state.compiled) return;
  const n = lib._shield_state_count(), sink = lib._shield_sink(), cur = lib._shield_state();
  const cx = canvas.width / 2, cy = canvas.height / 2, R = Math.min(cx, cy) - 60;
  const pos = [];
  for (let q = 0; q < n; ++q) {
    const a = -Math.PI / 2 + (2 * Math.PI * q) / n;
    pos.push(n === 1 ? [cx, cy] : [cx + R * Math.cos(a) * 1.6, cy + R * Math.sin(a)]);
  }
  ctx.font = '12px monospace';
  const k = lib._shield_prop_count();
  for (let q = 0; q < n; ++q) {
    const dests = new Set();
    for (let l = 0; l < (1 << k); ++l) dests.add(lib._shield_next(q, l));
    for (const d of dests) {
      const label = guardOf(q, d);
      ctx.strokeStyle = d === sink && q !== sink ? '#c0392b' : '#555';
      ctx.fillStyle = ctx.strokeStyle;
      const [x1, y1] = pos[q], [x2, y2] = pos[d];
      ctx.beginPath();
      if (q === d) {
        ctx.arc(x1, y1 - 30, 12, 0, 2 * Math.PI);
        ctx.stroke();
        ctx.fillText(label, x1 - 20, y1 - 46);
      } else {
        const mx = (x1 + x2) / 2 + (y2 - y1) * 0.15, my = (y1 + y2) / 2 - (x2 - x1) * 0.15;
        ctx.moveTo(x1, y1);
        ctx.quadraticCurveTo(mx, my, x2, y2);
        ctx.stroke();
        const t = 0.8, ax = (1 - t) * (1 - t) * x1 + 2 * t * (1 - t) * mx + t * t * x2, ay = (1 - t) * (1 - t) * y1 + 2 * t * (1 - t) * my + t * t * y2;
        ctx.fillRect(ax - 3, ay - 3, 6, 6);
        ctx.fillText(label, mx - 20, my);
      }
    }
  }
  for (let q = 0; q < n; ++q) {
    const [x, y] = pos[q];
    ctx.beginPath();
    ctx.arc(x, y, 20, 0, 2 * Math.PI);
    ctx.fillStyle = q === sink ? '#f4a6a6' : q === cur ? '#ffe08a' : '#eef3fb';
    ctx.fill();
    ctx.lineWidth = q === cur ? 3 : 1;
    ctx.strokeStyle = '#222';
    ctx.stroke();
    if (lib._shield_finite() && lib._shield_accepting(q)) { ctx.beginPath(); ctx.arc(x, y, 16, 0, 2 * Math.PI); ctx.stroke(); }
    ctx.lineWidth = 1;
    ctx.fillStyle = '#222';
    ctx.fillText(String(q), x - 4, y + 4);
    if (q === lib._shield_initial()) ctx.fillText('start', x - 16, y + 34);
  }
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
  const url = new URL(window.location.href);
  url.searchParams.set('f', text);
  url.searchParams.set('logic', String(logic));
  history.replaceState(null, '', url);
  if (r < 0) {
    $('status').textContent = `line ${lib._shield_error_line()}, column ${lib._shield_error_column()}: ${cstr(lib._shield_error_message())}`;
    $('status').className = 'bad';
    state.error = $('status').textContent;
    return;
  }
  state.error = null;
  state.compiled = true;
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

$('version').textContent = 'v' + cstr(lib._shield_version());
$('compile').addEventListener('click', compile);
$('formula').addEventListener('keydown', (e) => { if (e.key === 'Enter') compile(); });
$('step').addEventListener('click', step);
$('reset').addEventListener('click', () => { lib._shield_reset(); state.trace = []; $('reward').textContent = ''; showMonitor(); });
const params = new URL(window.location.href).searchParams;
if (params.get('f')) $('formula').value = params.get('f');
if (params.get('logic') === '2') document.querySelector('input[name=logic][value="2"]').checked = true;
compile();
window.__ready = true;
