// rl.test.mjs - the saferl_rl.h demo in Debian's chromium: training in the Web Worker gives the
// library's own learning curve for the seed (computed here in Node from the same rl.mjs), stop
// and resume act at epoch boundaries, the replay runs the worker's policy buffer on the canvas,
// the URL carries the settings, CartPole's run is its own length and its cost is rl_train's. Needs
// the web build (make web) and the native build/rl_train (made here, so a stale binary is rebuilt).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadModule, serve, launchBrowser, openPage, ensureScreenshotDir, built, webRoot, repoRoot } from './harness.mjs';
import { trainerCurve, sameNumber } from './rl_curve.mjs';

let server, browser, lib;

before(async () => {
  assert.ok(built('index.html', 'style.css', 'rl/index.html', 'rl/app.js', 'rl/worker.js', 'rl/rl.mjs',
    'vendor/uPlot.iife.min.js', 'vendor/uPlot.min.css'), 'build/web is incomplete: run make web first');
  execFileSync('make', ['-s', 'build/rl_train'], { cwd: repoRoot, stdio: 'inherit' });
  lib = await loadModule('rl');
  server = await serve();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// How many pixels of the canvas at `selector` have each of `colors` ({name: 0xrrggbb}) exactly.
const pixelCounts = (page, selector, colors) => page.$eval(selector, (c, want) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const counts = Object.fromEntries(Object.keys(want).map((k) => [k, 0]));
  for (let i = 0; i < d.length; i += 4) {
    const rgb = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    for (const k in want) if (rgb === want[k]) ++counts[k];
  }
  return counts;
}, colors);

// The first `epochs` epochs of a run, straight from the library (kind, algorithm as in glue.c).
const expectedCurve = (kind, algorithm, d, seed, spe, epochs) =>
  trainerCurve(lib, lib._rl_trainer_create(kind, algorithm, d, seed, spe, 64), epochs);

test('rl demo: the worker trains the seed\'s learning curve; stop, resume and replay', async () => {
  const url = server.url + 'rl/index.html?env=cliff&algo=ppo-lag&d=0.2&seed=3&spe=500&epochs=0';
  const { page, errors } = await openPage(browser.context, url);
  assert.equal(await page.$eval('#env', (el) => el.value), 'cliff');
  assert.equal(await page.$eval('#d', (el) => el.value), '0.2');
  await page.click('#start');
  await page.waitForFunction(() => window.__rl.epochs.length >= 4, null, { timeout: 60000 });
  const shown = await page.evaluate(() => window.__rl.epochs.slice(0, 4));
  const expected = expectedCurve(4, 1, 0.2, 3, 500, 4);
  for (let i = 0; i < 4; ++i) {
    assert.equal(shown[i].epoch, expected[i].epoch);
    assert.equal(shown[i].steps, 500 * (i + 1));
    for (const k of ['ret', 'cost', 'lambda']) sameNumber(shown[i][k] ?? NaN, expected[i][k], `epoch ${i + 1} ${k}`);
  }

  // stop acts at the next epoch boundary and training stays stopped
  await page.click('#stop');
  await page.waitForFunction(() => !window.__rl.running);
  const stoppedAt = await page.evaluate(() => window.__rl.epochs.length);
  await page.waitForTimeout(1500);
  assert.equal(await page.evaluate(() => window.__rl.epochs.length), stoppedAt);
  assert.equal(await page.$eval('#resume', (el) => el.disabled), false);
  // resume continues the same run: the curve goes on from where it stopped
  await page.click('#resume');
  await page.waitForFunction((n) => window.__rl.epochs.length >= n + 2, stoppedAt, { timeout: 60000 });
  await page.click('#stop');
  await page.waitForFunction(() => !window.__rl.running);
  const all = await page.evaluate(() => window.__rl.epochs.map((e) => e.epoch));
  assert.deepEqual(all, all.map((_, i) => i + 1), 'epochs numbered without a gap');
  const longer = expectedCurve(4, 1, 0.2, 3, 500, all.length);
  const last = await page.evaluate(() => window.__rl.epochs[window.__rl.epochs.length - 1]);
  sameNumber(last.lambda, longer[longer.length - 1].lambda, 'lambda after resume');

  // the readout shows the last epoch
  assert.equal(await page.textContent('#r-epoch'), `${last.epoch} / ${last.steps}`);

  // replay: the page loaded the worker's SRLP buffer and steps it on its own environment
  await page.click('#replay');
  await page.waitForFunction(() => window.__rl.replay.player !== 0 && window.__rl.replay.steps >= 3, null, { timeout: 20000 });
  const replay = await page.evaluate(() => ({ epoch: window.__rl.replay.policyEpoch, bytes: Array.from(window.__rl.policy.bytes.slice(0, 4)) }));
  assert.equal(replay.epoch, last.epoch);
  assert.equal(String.fromCharCode(...replay.bytes), 'SRLP');
  // the canvas shows the grid: some cliff-red and agent-blue pixels
  const colors = await pixelCounts(page, '#view', { red: 0xf2b8b0, blue: 0x2f6fdf });
  assert.ok(colors.red > 1000 && colors.blue > 100, JSON.stringify(colors));
  // the URL carries the settings
  const q = new URL(page.url()).searchParams;
  assert.equal(q.get('env'), 'cliff');
  assert.equal(q.get('algo'), 'ppo-lag');
  assert.equal(q.get('seed'), '3');
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'rl.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('rl demo: continuous actions (PointGoal) run to the requested length; bad URL values fall back', async () => {
  const { page, errors } = await openPage(browser.context,
    server.url + 'rl/index.html?env=pointgoal&algo=pid-lag&seed=2&spe=200&epochs=2');
  assert.equal(await page.$eval('#d', (el) => el.value), '25');
  await page.click('#start');
  await page.waitForFunction(() => !window.__rl.running && window.__rl.epochs.length === 2, null, { timeout: 60000 });
  assert.match(await page.textContent('#status'), /done: 2 epochs/);
  const shown = await page.evaluate(() => window.__rl.epochs);
  const expected = expectedCurve(1, 2, 25, 2, 200, 2);
  for (let i = 0; i < 2; ++i) sameNumber(shown[i].lambda, expected[i].lambda, `pointgoal lambda ${i + 1}`);
  await page.waitForFunction(() => window.__rl.replay.steps >= 8, null, { timeout: 20000 });
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'rl-pointgoal.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();

  const bad = await openPage(browser.context, server.url + 'rl/index.html?env=mujoco&algo=trpo&d=-3&spe=abc');
  const settings = await bad.page.evaluate(() => window.__rl.settings);
  assert.equal(settings.env, 'gridworld');
  assert.equal(settings.algo, 'ppo-lag');
  assert.equal(settings.d, 0.5); // a negative cost limit is reported, the environment's default used
  assert.equal(settings.spe, 2000);
  const messages = await bad.page.$$eval('#url-messages li', (li) => li.map((e) => e.textContent));
  assert.equal(messages.length, 4, messages.join('\n'));
  assert.match(messages.join('\n'), /env in the URL: "mujoco"/);
  assert.match(messages.join('\n'), /d in the URL: "-3"/);
  assert.deepEqual(bad.errors, []);
  await bad.page.close();
});

test('rl demo: a second-order method (CPO) trains in the page as the library does in node', async () => {
  // CPO on the cliff CMDP: every epoch's return, cost, nu, dual case and accepted step
  // fraction as the library gives them for the seed (algorithm 3 = SAFERL_RL_CPO)
  const { page, errors } = await openPage(browser.context,
    server.url + 'rl/index.html?env=cliff&algo=cpo&d=0.1&seed=4&spe=500&epochs=4');
  assert.equal(await page.$eval('#algo', (el) => el.value), 'cpo');
  await page.click('#start');
  await page.waitForFunction(() => !window.__rl.running && window.__rl.epochs.length === 4, null, { timeout: 60000 });
  const shown = await page.evaluate(() => window.__rl.epochs);
  const expected = expectedCurve(4, 3, 0.1, 4, 500, 4);
  let steps = 0;
  for (let i = 0; i < 4; ++i) {
    for (const k of ['ret', 'cost', 'lambda', 'stepFraction']) {
      sameNumber(shown[i][k] ?? NaN, expected[i][k], `cpo epoch ${i + 1} ${k}`);
    }
    assert.equal(shown[i].optimCase, expected[i].optimCase, `cpo epoch ${i + 1} case`);
    if (expected[i].stepFraction > 0) ++steps;
  }
  assert.ok(steps >= 1, 'at least one accepted trust-region step');
  assert.match(await page.textContent('#r-trust'), /^case [0-4], step /);
  assert.match(await page.textContent('#r-multiplier'), /ν/);
  await page.waitForFunction(() => window.__rl.replay.steps >= 3, null, { timeout: 20000 });
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'rl-cpo.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('rl demo: a reload (a link with trained=N) trains the run again to epoch N; resume goes on', async () => {
  const query = 'env=cliff&algo=ppo-lag&d=0.2&seed=3&spe=500&epochs=5';
  const { page, errors } = await openPage(browser.context, `${server.url}rl/index.html?${query}&trained=2`);
  await page.waitForFunction(() => !window.__rl.running && window.__rl.epochs.length === 2, null, { timeout: 60000 });
  const expected = expectedCurve(4, 1, 0.2, 3, 500, 5);
  const check = async (n) => {
    const shown = await page.evaluate(() => window.__rl.epochs);
    assert.equal(shown.length, n);
    for (let i = 0; i < n; ++i)
      for (const k of ['ret', 'cost', 'lambda']) sameNumber(shown[i][k] ?? NaN, expected[i][k], `epoch ${i + 1} ${k}`);
  };
  await check(2);
  assert.match(await page.textContent('#status'), /back at epoch 2 of the link's run/);
  assert.equal(new URL(page.url()).searchParams.get('trained'), '2');
  // the settings stay locked while it re-trains and are free again now; resume trains on to 5
  assert.equal(await page.$eval('#seed', (el) => el.disabled), false);
  await page.click('#resume');
  await page.waitForFunction(() => !window.__rl.running && window.__rl.epochs.length === 5, null, { timeout: 60000 });
  await check(5);
  assert.deepEqual(errors, []);
  await page.close();
  // a bad trained= value is answered and nothing is trained
  for (const bad of ['abc', '6', '0']) {
    const b = await openPage(browser.context, `${server.url}rl/index.html?${query}&trained=${bad}`);
    assert.match(await b.page.textContent('#url-messages'), /trained in the URL/);
    assert.equal(await b.page.evaluate(() => window.__rl.started), false);
    assert.deepEqual(b.errors, []);
    await b.page.close();
  }
});

// rl_train's epoch lines for the page's settings (ppo-lag, 2000 steps an epoch): [epoch, cost]
function nativeCosts(env, d, seed, epochs) {
  const out = execFileSync(path.join(repoRoot, 'build', 'rl_train'), ['--env', env, '--algo', 'ppo-lag', '--cost-limit', String(d),
    '--seed', String(seed), '--steps', String(2000 * epochs), '--steps-per-epoch', '2000'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /^[0-9]/.test(l)).map((l) => l.split(',')).map((f) => [Number(f[0]), Number(f[3])]);
}

test('rl demo: CartPole runs its own 35 epochs (the Pendulum 30); the URL names epochs only when they differ from the env\'s', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'rl/index.html?env=cartpole&algo=ppo-lag&seed=1');
  const epochs = () => page.evaluate(() => window.__rl.settings.epochs);
  const urlEpochs = () => new URL(page.url()).searchParams.get('epochs');
  assert.equal(await epochs(), 35);
  assert.equal(await page.$eval('#epochs', (el) => el.value), '35');
  await page.fill('#seed', '2');
  await page.dispatchEvent('#seed', 'change'); // writes the URL
  assert.equal(urlEpochs(), null, 'the env\'s own run length is not written');
  for (const [env, n] of [['gridworld', 15], ['pointgoal', 15], ['pendulum', 30], ['cliff', 15], ['cartpole', 35]]) {
    await page.selectOption('#env', env);
    assert.equal(await epochs(), n, env);
    assert.equal(await page.$eval('#epochs', (el) => el.value), String(n), env);
    assert.equal(urlEpochs(), null, env);
  }
  await page.fill('#epochs', '15');
  await page.dispatchEvent('#epochs', 'change');
  assert.equal(urlEpochs(), '15', 'a length other than the env\'s is written');
  assert.deepEqual(errors, []);
  await page.close();
  // an explicit epochs= wins, also when it is another env's default; a link's trained=N counts up to it
  const link = await openPage(browser.context, server.url + 'rl/index.html?env=cartpole&seed=1&epochs=15');
  assert.equal(await link.page.evaluate(() => window.__rl.settings.epochs), 15);
  assert.equal(await link.page.$eval('#epochs', (el) => el.value), '15');
  await link.page.close();
  const over = await openPage(browser.context, server.url + 'rl/index.html?env=cartpole&seed=1&trained=36');
  assert.match(await over.page.textContent('#url-messages'), /trained in the URL: "36" is not an epoch count from 1 to 35/);
  assert.equal(await over.page.evaluate(() => window.__rl.started), false);
  assert.deepEqual(over.errors, []);
  await over.page.close();
});

test('rl demo: CartPole\'s cost plot has the last 100 episodes\' cost (rl_train\'s, bit for bit) and the epoch\'s J_C', async () => {
  // 6 of the default 35 epochs: the whole run took 45 s in the browser at load 21 on 2 cores.
  // These 6 hold the cost's jump (J_C 29 at epoch 4) while the window lags behind it.
  const epochs = 6;
  const { page, errors } = await openPage(browser.context,
    server.url + `rl/index.html?env=cartpole&algo=ppo-lag&seed=1&epochs=${epochs}`);
  await page.click('#start');
  await page.waitForFunction((n) => !window.__rl.running && window.__rl.epochs.length === n, epochs, { timeout: 120000 });
  const shown = await page.evaluate(() => window.__rl.epochs);
  // the epoch's J_C (the estimate the multiplier acted on) is the library's, epoch by epoch
  const expected = expectedCurve(0, 1, 10, 1, 2000, epochs);
  for (let i = 0; i < epochs; ++i) {
    sameNumber(shown[i].costEpoch, expected[i].costEpoch, `epoch ${i + 1} J_C`);
    sameNumber(shown[i].cost, expected[i].cost, `epoch ${i + 1} cost`);
  }
  assert.ok(shown.some((e) => Math.abs(e.costEpoch - e.cost) > 1), 'the two measures differ somewhere');
  // The last 100 episodes' cost is a whole number of cost steps over 100, so rl_train's %.6g
  // (at most 5 digits here: a CartPole episode costs at most 500) reads back to the same double
  // the page computed: equal bit for bit at the end. Before the window holds 100 episodes the
  // printed figure is rounded, so earlier epochs are compared to its 6 digits.
  const native = nativeCosts('cartpole', 10, 1, epochs);
  assert.equal(native.length, epochs);
  const last = shown[epochs - 1];
  assert.ok(expected[epochs - 1].ret > 0 && last.steps / 2000 === epochs);
  assert.equal(last.cost, native[epochs - 1][1], 'the final cost over the last 100 episodes, page against rl_train');
  for (let i = 0; i < epochs; ++i)
    assert.ok(Math.abs(shown[i].cost - native[i][1]) <= 5e-6 * Math.abs(native[i][1]), `epoch ${i + 1}: ${shown[i].cost} vs ${native[i][1]}`);
  // both curves are labelled and drawn (their colours' pixels on the cost plot's canvas)
  const legend = await page.$$eval('#plot-cost .u-legend .u-series th', (th) => th.map((e) => e.textContent));
  assert.ok(legend.some((t) => /cost \(last 100 episodes\)/.test(t)), legend.join(' | '));
  assert.ok(legend.some((t) => /J_C \(this epoch's episodes: the multiplier's\)/.test(t)), legend.join(' | '));
  const pixels = await pixelCounts(page, '#plot-cost canvas', { window100: 0xd9582b, epoch: 0x8e44ad });
  assert.ok(pixels.window100 > 20 && pixels.epoch > 20, JSON.stringify(pixels));
  // the verdict judges the last 100 episodes, as the plot's first curve
  const status = await page.textContent('#status');
  assert.ok(status.includes(`cost over the last 100 episodes ${last.cost} ≤ d = 10: the limit is met`), status);
  assert.equal(await page.textContent('#r-cost-epoch'), String(Number(last.costEpoch.toPrecision(4))));
  assert.deepEqual(errors, []);
  await page.close();
});
