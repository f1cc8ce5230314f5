// shield.test.mjs - the saferl_shield.h page in Debian's chromium: the automaton shown is the
// library's (compared with the module loaded in Node), a trace steps to the violation the
// monitor reports, errors carry line and column, the URL reproduces the rule; on a painted
// gridworld the shielded agent never violates a rule whose start is winning, the counters
// shown are a replay of the same seed on the module in Node, and the URL reproduces the map,
// the rule and the run.
// Needs the web build (make web): build/web/shield/shield.mjs and the copied pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModule, serve, launchBrowser, openPage, ensureScreenshotDir, built, webRoot } from './harness.mjs';

let server, browser, lib;

before(async () => {
  assert.ok(built('index.html', 'style.css', 'shield/index.html', 'shield/app.js', 'shield/shield.mjs'),
    'build/web is incomplete: run make web first');
  lib = await loadModule('shield');
  server = await serve();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

function compileInNode(text, logic = 0) {
  const bytes = new TextEncoder().encode(text);
  const ptr = lib._malloc(bytes.length + 1);
  lib.HEAPU8.set(bytes, ptr);
  const r = lib._shield_compile(ptr, bytes.length, logic);
  lib._free(ptr);
  return { r, states: lib._shield_state_count(), sink: lib._shield_sink(), props: lib._shield_prop_count() };
}

async function setRule(page, text) {
  await page.fill('#formula', text);
  await page.click('#compile');
}

async function check(page, names) {
  for (const box of await page.$$('#props input')) {
    const label = (await box.evaluate((el) => el.parentElement.textContent)).trim();
    if (names.includes(label)) await box.check(); else await box.uncheck();
  }
  await page.click('#step');
}

test('the page shows the library automaton and steps a trace to its violation', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'shield/index.html');
  await page.waitForFunction(() => window.__ready === true);
  const rule = 'G(lava -> X !lava) & G(creeper -> F[0..2] !creeper)';
  await setRule(page, rule);
  const expected = compileInNode(rule);
  assert.equal(expected.r, 0);
  const shown = await page.evaluate(() => ({ states: window.__shield.states, sink: window.__shield.sink,
    props: window.__shield.props.map((p) => p.name), status: document.getElementById('status').textContent }));
  assert.equal(shown.states, expected.states);
  assert.equal(shown.sink, expected.sink);
  assert.deepEqual(shown.props, ['lava', 'creeper']);
  assert.match(shown.status, new RegExp(`^${expected.states} states, 2 propositions`));
  assert.match(await page.textContent('#hoa'), /^HOA: v1/);
  // lava, nothing, lava, lava: violated at step 4
  await check(page, ['lava']);
  await check(page, []);
  await check(page, ['lava']);
  assert.equal(await page.textContent('#verdict'), 'safe so far');
  await check(page, ['lava']);
  assert.equal(await page.textContent('#verdict'), 'violated at step 4');
  assert.equal(await page.textContent('#reward'), '-1.00');
  assert.equal(Number(await page.textContent('#state')), expected.sink);
  // reset, then the bad prefix of G(X p & X !p) at the first step
  await setRule(page, 'G(X p & X !p)');
  await check(page, []);
  assert.equal(await page.textContent('#verdict'), 'violated at step 1');
  assert.deepEqual(errors, []);
});

test('errors point at line and column; the URL reproduces the rule; LTLf mode', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'shield/index.html');
  await page.waitForFunction(() => window.__ready === true);
  await setRule(page, 'G(a -> F b)');
  assert.equal(await page.textContent('#status'),
    "line 1, column 8: 'F' (eventually, after negations are pushed in) is not a safety operator: no finite prefix can violate it; bound it (F[0..k]), use W instead of U, or LTLf for finite traces");
  await page.check('input[name=logic][value="2"]');
  await setRule(page, 'F goal & G !lava');
  const url = page.url();
  assert.match(url, /logic=2/);
  const again = await openPage(browser.context, url);
  await again.page.waitForFunction(() => window.__ready === true);
  assert.equal(await again.page.inputValue('#formula'), 'F goal & G !lava');
  assert.equal(await again.page.evaluate(() => window.__shield.states), compileInNode('F goal & G !lava', 2).states);
  await check(again.page, ['goal']);
  assert.equal(await again.page.textContent('#verdict'), 'accepted');
  assert.deepEqual(errors, []);
  assert.deepEqual(again.errors, []);
});

function withString(text, fn) {
  const bytes = new TextEncoder().encode(text);
  const ptr = lib._malloc(bytes.length + 1);
  lib.HEAPU8.set(bytes, ptr);
  lib.HEAPU8[ptr + bytes.length] = 0;
  try { return fn(ptr, bytes.length); } finally { lib._free(ptr); }
}

// The same map, rule and seed on the module in Node: what the page must show.
function replayInNode(mapText, rule, { seed, slip = 0, shift = 0, epsilon = 0.1 }, episodes) {
  assert.equal(withString(mapText, (p, n) => lib._grid_load(p, n)), 0);
  assert.equal(withString(rule, (p, n) => lib._grid_rule(p, n, 0)), 0);
  const result = lib._world_reset(seed, slip, shift, epsilon, 100);
  const agents = [0, 1].map((k) => {
    lib._agent_run(k, episodes);
    const n = lib._agent_episodes(k), at = lib._agent_returns(k) >> 3;
    const returns = Array.from(lib.HEAPF64.subarray(at, at + n));
    const last = returns.slice(-100);
    return { episodes: n, violations: lib._agent_violations(k), goals: lib._agent_goals(k), steps: lib._agent_steps(k),
      restricted: lib._agent_restricted(k), returns, meanReturn: last.reduce((a, b) => a + b, 0) / last.length };
  });
  return { result, initialWinning: lib._world_initial_winning() === 1, agents };
}

// The Minecraft map of the header, as rows of legend symbols.
const MINECRAFT = ['############', '#S..w...L.D#', '#.......L..#', '#..b....L..#', '#.......L..#', '#.i.....LLL#',
  '#..........#', '#..t....C..#', '#..........#', '############'];
const LEGEND_INDEX = { '.': 0, '#': 1, S: 2, L: 3, C: 4, w: 5, b: 6, i: 7, t: 8, D: 9 };

async function paint(page, symbol, cells) {
  await page.check(`input[name=paint][value="${LEGEND_INDEX[symbol]}"]`);
  const box = await page.locator('#map').boundingBox();
  const size = await page.evaluate(() => { const c = document.getElementById('map'); return { w: c.width, h: c.height }; });
  const cell = Math.floor(Math.min(size.w / 12, size.h / 10));
  for (const [x, y] of cells) {
    await page.mouse.move(box.x + ((x + 0.5) * cell * box.width) / size.w, box.y + ((y + 0.5) * cell * box.height) / size.h);
    await page.mouse.down();
    await page.mouse.up();
  }
}

async function shownCounters(page, k) {
  const read = async (id) => page.textContent(`#${id}${k}`);
  return { episodes: Number(await read('episodes')), violations: Number(await read('violations')),
    goals: Number(await read('goals')), steps: Number(await read('steps')), meanReturn: await read('return') };
}

test('a painted gridworld: the shielded agent never violates, the counters are the module\'s, the URL keeps map, rule and run', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'shield/index.html');
  await page.waitForFunction(() => window.__ready === true);
  // a second lava wall in the way, a wall, a creeper next to the work bench; the start moved down
  await paint(page, 'L', [[5, 2], [5, 3], [5, 4]]);
  await paint(page, '#', [[2, 6]]);
  await paint(page, 'C', [[4, 3]]);
  await paint(page, 'S', [[1, 8]]);
  const rows = MINECRAFT.map((r) => r.split(''));
  for (const [x, y] of [[5, 2], [5, 3], [5, 4]]) rows[y][x] = 'L';
  rows[6][2] = '#';
  rows[3][4] = 'C';
  rows[1][1] = '.';
  rows[8][1] = 'S';
  const mapText = rows.map((r) => r.join('') + '\n').join('');
  const rule = 'G(lava -> X !lava) & G !creeper';
  await setRule(page, rule);
  const episodes = 400;
  await page.fill('#episodes', String(episodes));
  await page.dispatchEvent('#episodes', 'change');
  await page.click('#run');
  await page.waitForFunction(() => window.__shield.learn().ready && !window.__shield.learn().running, null, { timeout: 60000 });
  const shown = await page.evaluate(() => window.__shield.learn());
  assert.equal(shown.mapText, mapText);
  assert.equal(shown.initialWinning, true);
  assert.match(shown.status, /^the start is winning/);
  const expected = replayInNode(mapText, rule, { seed: 1 }, episodes);
  assert.equal(expected.result, 0);
  assert.equal(expected.initialWinning, true);
  for (let k = 0; k < 2; ++k) {
    const a = shown.agents[k], b = expected.agents[k];
    assert.equal(a.episodes, episodes);
    for (const key of ['episodes', 'violations', 'goals', 'steps', 'restricted']) assert.equal(a[key], b[key], `agent ${k} ${key}`);
    assert.deepEqual(a.returns, b.returns, `agent ${k} returns`);
    const text = await shownCounters(page, k);
    assert.deepEqual(text, { episodes: b.episodes, violations: b.violations, goals: b.goals, steps: b.steps, meanReturn: b.meanReturn.toFixed(3) });
  }
  assert.equal(shown.agents[1].violations, 0, 'the shield let a violation through from a winning start');
  assert.ok(shown.agents[0].violations > 0, 'the unshielded agent never violated: the comparison shows nothing');
  assert.ok(shown.agents[1].restricted > 0);
  // the URL: map, rule, seed and the number of episodes run
  const url = page.url();
  assert.match(url, /[?&]m=12x10_/);
  assert.match(url, /[?&]ep=400(&|$)/);
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'shield.png'), fullPage: true });
  const again = await openPage(browser.context, url);
  await again.page.waitForFunction(() => window.__ready === true);
  const reopened = await again.page.evaluate(() => window.__shield.learn());
  assert.equal(reopened.mapText, mapText);
  assert.equal(await again.page.inputValue('#formula'), rule);
  for (let k = 0; k < 2; ++k) assert.deepEqual(await shownCounters(again.page, k), await shownCounters(page, k));
  // slips make lava reachable whatever the agent does: the page says the game is lost
  await again.page.fill('#slip', '0.05');
  await again.page.dispatchEvent('#slip', 'change');
  assert.match(await again.page.textContent('#world-status'), /^unrealisable: the start is losing/);
  // a rule over a proposition the map does not label is refused with the header's message
  await setRule(again.page, 'G !water');
  assert.match(await again.page.textContent('#world-status'), /^the rule over the map's propositions \(lava, creeper, wood, work_bench, iron, smith_table, diamond\): /);
  assert.deepEqual(errors, []);
  assert.deepEqual(again.errors, []);
});

test('the agents can be watched: one step a second, pause, step, full speed; the curriculum runs beside them', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'shield/index.html');
  await page.waitForFunction(() => window.__ready === true);
  const steps = async () => (await page.evaluate(() => window.__shield.learn())).agents.map((a) => a.steps);
  assert.equal((await page.evaluate(() => window.__shield.learn())).agents.length, 3);
  await page.fill('#speed', '0'); // 1 step a second
  await page.dispatchEvent('#speed', 'input');
  assert.equal(await page.textContent('#speed-text'), '1 steps/s');
  await page.click('#run');
  await page.waitForTimeout(2500);
  const slow = await steps();
  // about 2.5 steps each at 1 step/s (frames may lag on a loaded machine, never run ahead)
  for (const n of slow) assert.ok(n >= 1 && n <= 4, `at 1 step/s an agent took ${n} steps in 2.5 s`);
  await page.click('#stop'); // pause
  const paused = await steps();
  await page.waitForTimeout(1200);
  assert.deepEqual(await steps(), paused, 'paused agents moved');
  await page.click('#world-step');
  assert.deepEqual(await steps(), paused.map((n) => n + 1), 'step moves every agent by one step');
  await page.fill('#speed', '6'); // full speed: whole episodes per frame
  await page.dispatchEvent('#speed', 'input');
  assert.equal(await page.textContent('#speed-text'), 'full');
  await page.fill('#episodes', '120');
  await page.dispatchEvent('#episodes', 'change');
  await page.click('#run');
  await page.waitForFunction(() => !window.__shield.learn().running, null, { timeout: 60000 });
  const done = await page.evaluate(() => window.__shield.learn());
  for (const a of done.agents) assert.ok(a.episodes >= 120, `an agent stopped at ${a.episodes} episodes`);
  assert.match(await page.textContent('#stage2'), /^1 of 4$/); // 500 episodes a stage
  assert.match(page.url(), /[?&]speed=6(&|$)/);
  // the curriculum's transfer rule is the module's: its counters are a replay in Node
  await page.selectOption('#transfer', 'same');
  await page.fill('#stage', '50');
  await page.dispatchEvent('#stage', 'change');
  await page.fill('#episodes', '220');
  await page.dispatchEvent('#episodes', 'change');
  await page.click('#run');
  await page.waitForFunction(() => !window.__shield.learn().running && window.__shield.learn().agents[2].episodes >= 220, null, { timeout: 60000 });
  const shown = (await page.evaluate(() => window.__shield.learn())).agents[2];
  assert.match(await page.textContent('#stage2'), /^4 of 4$/);
  const { mapText, rule } = await page.evaluate(() => window.__shield.learn());
  withString(mapText, (p, n) => lib._grid_load(p, n));
  withString(rule, (p, n) => lib._grid_rule(p, n, 0));
  lib._world_reset_staged(1, 0, 0, 0.1, 100, 50, 1);
  lib._agent_run(2, 220);
  assert.deepEqual([shown.episodes, shown.violations, shown.goals, shown.steps],
    [lib._agent_episodes(2), lib._agent_violations(2), lib._agent_goals(2), lib._agent_steps(2)]);
  for (const other of [0, 2]) { // copy from stricter, replay
    lib._world_reset_staged(1, 0, 0, 0.1, 100, 50, other);
    lib._agent_run(2, 220);
    assert.notEqual(lib._agent_steps(2), shown.steps, `the transfer rule ${other} changed nothing`);
    assert.equal(lib._agent_transfer_result(2), 0, `the transfer rule ${other} was refused`);
  }
  assert.ok(lib._world_reset_staged(1, 0, 0, 0.1, 100, 50, 3) < 0, 'an unknown transfer is refused');
  assert.deepEqual(errors, []);
});

test('a 97-state rule is drawn inside its canvas, its guards in a table; a failed compile leaves nothing stale', async () => {
  for (const width of [1280, 390]) {
    const { page, errors } = await openPage(browser.context, null);
    await page.setViewportSize({ width, height: 1400 });
    await page.goto(server.url + 'shield/index.html');
    await page.waitForFunction(() => window.__ready === true);
    const rule = 'G(a -> X[5] b) & G(c -> F[0..2] d)'; // 96 live states and the sink
    assert.equal(compileInNode(rule).states, 97);
    await setRule(page, rule);
    const graph = await page.evaluate(() => window.__shield.graph);
    assert.equal(graph.states, 97);
    assert.equal(graph.labelled, false);
    const { bounds } = graph;
    assert.ok(bounds.x0 >= 0 && bounds.y0 >= 0 && bounds.x1 <= graph.width && bounds.y1 <= graph.height,
      `drawing ${JSON.stringify(bounds)} outside its ${graph.width}x${graph.height} canvas at ${width} px`);
    assert.equal(await page.locator("#graph-table tr").count(), 98); // a header and 97 states
    // a small rule: drawn with its guards and no table on a laptop; on a phone the guards would be
    // squeezed below readable text, so the states are drawn alone and the table lists the guards
    await setRule(page, 'G(lava -> X !lava)');
    const small = await page.evaluate(() => window.__shield.graph);
    assert.equal(small.labelled, width > 600);
    assert.ok(small.bounds.x0 >= 0 && small.bounds.y0 >= 0 && small.bounds.x1 <= small.width && small.bounds.y1 <= small.height);
    assert.equal(await page.locator('#graph-table tr').count(), width > 600 ? 0 : 1 + small.states);
    // step a trace, then a rule that does not compile: no readout of the old automaton stays
    await check(page, ['lava']);
    assert.equal(await page.textContent('#state'), '1');
    await setRule(page, 'G(lava -> X F lava)'); // a liveness rule: refused
    assert.match(await page.textContent('#status'), /^line 1, column/);
    for (const id of ['state', 'steps', 'reward', 'verdict', 'trace', 'hoa', 'props']) assert.equal(await page.textContent(`#${id}`), '', `#${id} stale`);
    assert.equal(await page.evaluate(() => window.__shield.graph), null);
    if (width === 390) await page.screenshot({ path: path.join(ensureScreenshotDir(), 'shield_390.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('an unrealisable game is a sentence, and its losing cells are drawn', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'shield/index.html?slip=0.05');
  await page.waitForFunction(() => window.__ready === true);
  const status = await page.textContent('#world-status');
  assert.match(status, /^unrealisable: the start is losing: whatever the agent does, the map's slips can force a violation of the rule within \d+ steps? from the start \(\d+ of \d+ \(cell, rule state\) pairs lose; hatched on the shielded agent's map\); the shielded agent uses the probabilistic shield/);
  assert.ok(!status.includes('\n') && !/rank/.test(status), 'the raw dump is still shown');
  // the hatched cells are the module's losing ones for the shielded agent's rule state
  const hatched = await page.evaluate(() => window.__shield.hatched);
  const { mapText, rule } = await page.evaluate(() => window.__shield.learn());
  replayInNode(mapText, rule, { seed: 1, slip: 0.05 }, 0);
  const expected = [];
  for (let i = 0; i < mapText.replace(/\n/g, '').length; ++i) if (lib._world_losing_rank(i, hatched.q)) expected.push(i);
  assert.deepEqual(hatched.cells, expected);
  assert.ok(expected.length > 0 && expected.length < 120, `${expected.length} losing cells`);
  assert.deepEqual(errors, []);
});
