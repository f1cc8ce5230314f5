// rl_offpolicy.test.mjs - the off-policy algorithms in the saferl_rl.h demo's menu (Debian's
// chromium): discrete SAC-Lagrangian in the Web Worker gives the library's own learning curve for
// the seed (computed here in Node from the same rl.mjs), its actor replays on the canvas, and
// picking a continuous-action algorithm on a discrete environment moves to one it trains on.
// Needs the web build (make web).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModule, serve, launchBrowser, openPage, ensureScreenshotDir, built } from './harness.mjs';
import { trainerCurve, sameNumber } from './rl_curve.mjs';

let server, browser, lib;

before(async () => {
  assert.ok(built('rl/index.html', 'rl/app.js', 'rl/worker.js', 'rl/rl.mjs'), 'build/web is incomplete: run make web first');
  lib = await loadModule('rl');
  server = await serve();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// The first `epochs` epochs of an off-policy run, straight from the library (as glue.c's worker).
const expectedCurve = (kind, algorithm, d, seed, spe, epochs) =>
  trainerCurve(lib, lib._rl_offpolicy_trainer_create(kind, algorithm, d, seed, spe, 64), epochs);

test('rl demo: discrete SAC-Lagrangian trains the seed\'s curve in the worker and replays its actor', async () => {
  const { page, errors } = await openPage(browser.context,
    server.url + 'rl/index.html?env=gridworld&algo=sac-discrete-lag&d=0.5&seed=2&spe=300&epochs=3');
  assert.equal(await page.$eval('#algo', (el) => el.value), 'sac-discrete-lag');
  await page.click('#start');
  await page.waitForFunction(() => !window.__rl.running && window.__rl.epochs.length === 3, null, { timeout: 120000 });
  const shown = await page.evaluate(() => window.__rl.epochs);
  const expected = expectedCurve(2, 7, 0.5, 2, 300, 3);
  for (let i = 0; i < 3; ++i) {
    assert.equal(shown[i].steps, 300 * (i + 1));
    for (const k of ['ret', 'cost', 'lambda']) sameNumber(shown[i][k] ?? NaN, expected[i][k], `epoch ${i + 1} ${k}`);
  }
  assert.ok(expected[2].lambda > 0, 'the multiplier moved');
  // the replay runs the worker's actor weights (floats, not an SRLP buffer) on the page's grid
  await page.waitForFunction(() => window.__rl.replay.player !== 0 && window.__rl.replay.steps >= 3, null, { timeout: 20000 });
  const bytes = await page.evaluate(() => window.__rl.policy.bytes.length);
  assert.equal(bytes % 4, 0);
  assert.notEqual(await page.evaluate(() => String.fromCharCode(...window.__rl.policy.bytes.slice(0, 4))), 'SRLP');
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'rl-sac-discrete-lag.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('rl demo: an off-policy algorithm picked on an environment of the other action kind moves to its own', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'rl/index.html?env=gridworld&algo=ppo-lag');
  await page.selectOption('#algo', 'sac-lag');
  assert.equal(await page.$eval('#env', (el) => el.value), 'pendulum');
  await page.selectOption('#algo', 'sac-discrete');
  assert.equal(await page.$eval('#env', (el) => el.value), 'gridworld');
  assert.equal(new URL(page.url()).searchParams.get('algo'), 'sac-discrete');
  // the same from a link: td3 on cartpole shows the Safe Pendulum, with a message
  await page.goto(server.url + 'rl/index.html?env=cartpole&algo=td3');
  await page.waitForFunction(() => window.__ready === true);
  assert.equal(await page.$eval('#env', (el) => el.value), 'pendulum');
  assert.match(await page.textContent('#url-messages'), /td3 does not train on cartpole/);
  assert.deepEqual(errors, []);
  await page.close();
});
