// pls.test.mjs - the PLS page in Debian's chromium: stepping and playing give the native
// program's deployment for the same seed (examples/pls_lifetime deploy --log, the same loop in
// examples/pls_loop.h compiled natively), the URL reproduces the run, the baselines run, and bad
// URL values give a message rather than a crash. Needs the web build (make web) and the native
// build/pls_lifetime (made here, so a stale binary is rebuilt).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadModule, serve, launchBrowser, openPage, ensureScreenshotDir, built, webRoot, repoRoot } from './harness.mjs';

let server, browser, lib;
const SEED = 3;

before(async () => {
  assert.ok(built('style.css', 'pls/index.html', 'pls/app.js', 'pls/pls.mjs', 'pls/gridworld.rcsl', 'pls/gridworld.csv',
    'pls/runner.rcsl', 'pls/runner.csv',
    'vendor/uPlot.iife.min.js'), 'build/web is incomplete: run make web first');
  lib = await loadModule('pls');
  server = await serve();
  browser = await launchBrowser({ width: 1280, height: 1700 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// The native run of seed S: per method (0 PLS, 1 fixed, 2 GP-UCB) the evaluated grid indices,
// and the (a) / (b) counts of its table.
function nativeRun(seed, extra = [], env = 'gridworld') {
  const bin = path.join(repoRoot, 'build', 'pls_lifetime');
  execFileSync('make', ['-s', 'build/pls_lifetime'], { cwd: repoRoot, stdio: 'inherit' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pls-test-'));
  const log = path.join(dir, 'log.csv');
  const out = execFileSync(bin, ['deploy', '--env', env, '--data', path.join(repoRoot, 'examples', 'pls_data'),
    '--seed', String(seed), '--no-finetune', '--brief', '--log', log, ...extra], { encoding: 'utf8' });
  const runs = [0, 1, 2].map(() => ({ indices: [] }));
  for (const line of fs.readFileSync(log, 'utf8').trim().split('\n').slice(2)) {
    const f = line.split(',');
    runs[Number(f[0])].indices.push(Number(f[2]));
  }
  ['PLS', 'fixed target', 'GP-UCB'].forEach((name, k) => {
    const m = out.match(new RegExp(`^${name}\\S*(?: \\(no constraint\\))? +(\\d+)/20 +(\\d+)/400`, 'm'));
    assert.ok(m, `native output has the ${name} line:\n${out}`);
    runs[k].unsafeEvaluations = Number(m[1]);
    runs[k].unsafeEpisodes = Number(m[2]);
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return runs;
}

// The same seed on the WebAssembly module in Node, stepped n times.
function moduleRun(method, seed, n, env = 'gridworld', fitted = false) {
  const bytes = (name) => fs.readFileSync(path.join(webRoot, 'pls', name));
  const heap = (b) => { const p = lib._malloc(b.length); lib.HEAPU8.set(b, p); return p; };
  const csv = bytes(`${env}.csv`), pol = bytes(`${env}.rcsl`);
  const pe = heap(Buffer.from(`${env}\0`)), pc = heap(csv), pp = heap(pol);
  const s = lib._pls_create(pe, pc, csv.length, pp, pol.length, method, seed);
  assert.ok(s, 'session');
  if (fitted) assert.equal(lib._pls_use_fitted_prior(s), 0, 'the prior is fitted');
  const count = lib._pls_grid_count(s);
  const members = (p) => [...lib.HEAPU8.subarray(p, p + count)].flatMap((v, j) => (v ? [j] : []));
  const safeBefore = members(lib._pls_safe(s)), seedSet = members(lib._pls_seed_set(s));
  const indices = [];
  for (let k = 0; k < n; ++k) indices.push(lib._pls_step(s));
  const result = { indices, unsafeEvaluations: lib._pls_unsafe_evaluations(s), unsafeEpisodes: lib._pls_unsafe_episodes(s),
    seedSet, safeBefore, safeAfter: members(lib._pls_safe(s)) };
  lib._pls_destroy(s);
  [pe, pc, pp].forEach((p) => lib._free(p));
  return result;
}

test('the page steps and plays the native program\'s PLS deployment for the same seed', async () => {
  const native = nativeRun(SEED);
  assert.equal(native[0].unsafeEvaluations, 0, 'PLS evaluates no truly unsafe target with this seed');
  const { page, errors } = await openPage(browser.context, server.url + `pls/index.html?env=gridworld&prior=hand-set&seed=${SEED}`);
  for (let k = 0; k < 6; ++k) await page.click('#step');
  let st = await page.evaluate(() => window.__state);
  assert.equal(st.evaluations, 6);
  assert.deepEqual(st.indices, native[0].indices.slice(0, 6), 'the first six targets are the native run\'s');
  assert.deepEqual(st.indices, moduleRun(0, SEED, 6).indices, 'and the module\'s in Node');
  assert.equal(st.episodes, 120);
  assert.match(page.url(), /steps=6/);
  await page.click('#play');
  await page.waitForFunction(() => window.__state && window.__state.evaluations === 20, null, { timeout: 30000 });
  st = await page.evaluate(() => window.__state);
  assert.deepEqual(st.indices, native[0].indices, 'all 20 targets are the native run\'s');
  assert.equal(st.unsafeEvaluations, native[0].unsafeEvaluations);
  assert.equal(st.unsafeEpisodes, native[0].unsafeEpisodes);
  assert.ok(st.finalIndex >= 0, 'a final target');
  assert.equal(st.safe, 8, 'the safe set is the G = 0 row (see the next test)');
  assert.equal(await page.textContent('#r-unsafe-evals'), '0');
  assert.equal(await page.textContent('#r-unsafe-episodes'), `${native[0].unsafeEpisodes} / 400`);
  assert.equal(await page.locator('#evals tbody tr').count(), 20);
  assert.ok(await page.isDisabled('#step'));
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'pls.png'), fullPage: true });
  // the URL reproduces the run
  const { page: again } = await openPage(browser.context, page.url());
  assert.deepEqual((await again.evaluate(() => window.__state)).indices, native[0].indices);
  assert.deepEqual(errors, []);
});

// The page's default: the runner (the paper-like task) with the prior fitted before deployment.
// What its caption claims: the safe set grows from the seed set (the prior alone certifies nothing
// more), PLS never evaluates a truly unsafe target, and the run is the native --fitted-prior one.
test('the default run (runner, fitted prior) grows its safe set without an unsafe evaluation', async () => {
  const native = nativeRun(1, ['--fitted-prior'], 'runner');
  const { page, errors } = await openPage(browser.context, server.url + 'pls/index.html?steps=20'); // the defaults, played
  const st = await page.evaluate(() => window.__state);
  assert.equal(st.env, 'runner');
  assert.equal(st.prior, 'fitted');
  assert.equal(st.safeBefore, 6, 'before the first evaluation: the 6 seed targets only');
  assert.equal(st.evaluations, 20);
  assert.deepEqual(st.indices, native[0].indices, 'the native --fitted-prior run');
  assert.equal(st.unsafeEvaluations, 0);
  assert.equal(native[0].unsafeEvaluations, 0);
  assert.ok(st.safe > st.safeBefore, `the safe set grew: ${st.safeBefore} -> ${st.safe}`);
  assert.match(await page.textContent('#r-safe'), new RegExp(`^${st.safe} of 96 targets \\(seed set 6; 6 before`));
  assert.match(await page.textContent('#caption'), new RegExp(`grows its safe set to ${st.safe} of 96`));
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'pls_runner.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

// What the page's text says of the hand-set prior: it certifies the whole G = 0 row before any
// evaluation (beyond the 4 seed targets), so the safe set cannot grow from the seed set during a run.
test('the hand-set prior alone certifies the G = 0 row, and the safe set does not grow during a run', () => {
  for (const seed of [1, 2, 3]) {
    const run = moduleRun(0, seed, 20);
    const gRow = Array.from({ length: 8 }, (_, i) => i * 8); // index = R index * 8 + G index
    assert.deepEqual(run.seedSet, gRow.slice(0, 4), 'the seed set: R <= 36 at G = 0');
    assert.deepEqual(run.safeBefore, gRow, `seed ${seed}: before the first evaluation`);
    assert.deepEqual(run.safeAfter, gRow, `seed ${seed}: after 20`);
    assert.equal(run.unsafeEvaluations, 0);
  }
});

test('the module\'s fitted prior (pls_use_fitted_prior) is the native --fitted-prior run', () => {
  const native = nativeRun(SEED, ['--fitted-prior']);
  [0, 2].forEach((method) => {
    const run = moduleRun(method, SEED, 20, 'gridworld', true);
    assert.deepEqual(run.indices, native[method].indices, `method ${method}: the 20 targets are the native run's`);
    assert.equal(run.unsafeEvaluations, native[method].unsafeEvaluations);
    assert.equal(run.unsafeEpisodes, native[method].unsafeEpisodes);
  });
  assert.notDeepEqual(moduleRun(0, SEED, 20).indices, native[0].indices, 'and differs from the hand-set prior\'s run');
});

test('the baselines from the method menu are the native program\'s too', async () => {
  const native = nativeRun(SEED);
  const { page, errors } = await openPage(browser.context,
    server.url + `pls/index.html?env=gridworld&prior=hand-set&seed=${SEED}&method=ucb&steps=20`);
  let st = await page.evaluate(() => window.__state);
  assert.equal(st.method, 'ucb');
  assert.deepEqual(st.indices, native[2].indices);
  assert.equal(st.unsafeEvaluations, native[2].unsafeEvaluations);
  assert.equal(st.unsafeEpisodes, native[2].unsafeEpisodes);
  await page.selectOption('#method', 'fixed');
  await page.waitForFunction(() => window.__state.method === 'fixed' && window.__state.evaluations === 0);
  for (let k = 0; k < 3; ++k) await page.click('#step');
  st = await page.evaluate(() => window.__state);
  assert.deepEqual(st.indices, native[1].indices.slice(0, 3));
  assert.match(await page.textContent('#r-safe'), /no cost model/);
  assert.deepEqual(errors, []);
});

test('bad URL values give a message, and the page still runs with the defaults', async () => {
  const { page, errors } = await openPage(browser.context,
    server.url + 'pls/index.html?seed=-4x&method=sarsa&steps=99&env=mars&prior=wide');
  const text = await page.textContent('#message');
  assert.match(text, /seed in the URL: "-4x"/);
  assert.match(text, /method in the URL: "sarsa"/);
  assert.match(text, /steps in the URL: "99"/);
  assert.match(text, /env in the URL: "mars"/);
  assert.match(text, /prior in the URL: "wide"/);
  const st = await page.evaluate(() => window.__state);
  assert.equal(st.env, 'runner');
  assert.equal(st.prior, 'fitted');
  assert.equal(st.method, 'pls');
  assert.equal(st.seed, 1);
  assert.equal(st.evaluations, 0);
  await page.click('#step');
  assert.equal((await page.evaluate(() => window.__state)).evaluations, 1);
  // a bad seed typed into the box: a message, the old seed kept
  await page.fill('#seed', '12.5');
  await page.dispatchEvent('#seed', 'change');
  assert.match(await page.textContent('#message'), /seed: "12.5"/);
  assert.equal(await page.inputValue('#seed'), '1');
  assert.deepEqual(errors, []);
});

test('PointGoal with hazards: the page runs its artifacts as the module does', { skip: !built('pls/pointgoal.rcsl') }, async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'pls/index.html?env=pointgoal&prior=hand-set&seed=2&steps=3');
  const st = await page.evaluate(() => window.__state);
  assert.equal(st.env, 'pointgoal');
  assert.equal(st.error, null);
  assert.equal(st.evaluations, 3);
  assert.deepEqual(st.indices, moduleRun(0, 2, 3, 'pointgoal').indices);
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'pls_pointgoal.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('the module reports truncated and foreign artifacts by file and line', () => {
  const cstr = (p) => { let e = p; while (lib.HEAPU8[e]) ++e; return Buffer.from(lib.HEAPU8.subarray(p, e)).toString(); };
  const heap = (b) => { const p = lib._malloc(b.length + 1); lib.HEAPU8.set(b, p); return p; };
  const bytes = (name) => fs.readFileSync(path.join(webRoot, 'pls', name));
  const csv = bytes('gridworld.csv'), pol = bytes('gridworld.rcsl'), env = heap(Buffer.from('gridworld\0'));
  const cases = [
    [csv, pol.subarray(0, 1000), /^gridworld\.rcsl: not a valid conditioned policy/],
    [csv.subarray(0, 900), pol, /^gridworld\.csv:\d+: truncated/],
    [Buffer.from('hello\n'), pol, /^gridworld\.csv:1: not a pls_lifetime summary/],
  ];
  for (const [c, p, expected] of cases) {
    const pc = heap(c), pp = heap(p);
    assert.equal(lib._pls_create(env, pc, c.length, pp, p.length, 0, 1), 0);
    assert.match(cstr(lib._pls_error()), expected);
    lib._free(pc);
    lib._free(pp);
  }
  lib._free(env);
});
