// gp.test.mjs - the saferl_gp.h demo in Debian's chromium: stepping shows what the library
// computes (the same run replayed on the module in Node), no evaluation violates the hidden
// constraint, the URL reproduces the run, the 2-D heat map works.
// Needs the web build (make web): build/web/gp/gp.mjs and the copied pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModule, serve, launchBrowser, openPage, ensureScreenshotDir, built, webRoot } from './harness.mjs';

let server, browser, lib;

before(async () => {
  assert.ok(built('style.css', 'gp/index.html', 'gp/app.js', 'gp/gp.mjs'), 'build/web is incomplete: run make web first');
  lib = await loadModule('gp');
  server = await serve();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// The page's default 1-D problem ("bump and ripple"), run on the module directly: the indices
// the library picks and the violations of the true constraint.
function replay1d({ rule, expander, beta, noise, seed, steps }) {
  const side = 201, n = side;
  const f = new Float64Array(n), g = new Float64Array(n), s = new Uint8Array(n);
  for (let i = 0; i < n; ++i) {
    const x = (10 * i) / (side - 1);
    f[i] = 2 * Math.exp(-0.5 * (x - 6.5) ** 2) + 0.3 * Math.sin(2 * x);
    g[i] = 1 - 0.06 * (x - 4) ** 2 + 0.2 * Math.cos(1.5 * x);
    s[i] = x >= 3.5 && x <= 4.5 ? 1 : 0;
  }
  const pf = lib._malloc(8 * n), pg = lib._malloc(8 * n), ps = lib._malloc(n);
  lib.HEAPF64.set(f, pf / 8);
  lib.HEAPF64.set(g, pg / 8);
  lib.HEAPU8.set(s, ps);
  const demo = lib._gp_demo_create(1, side, 0, 10, pf, pg, ps, rule, expander, beta, 1.0, 1.5, noise, 1.0, 200, seed);
  assert.ok(demo, 'demo created');
  const indices = [];
  for (let k = 0; k < steps; ++k) indices.push(lib._gp_demo_step(demo));
  const violations = lib._gp_demo_violations(demo);
  const flags = new Uint8Array(lib.HEAPU8.buffer, lib._gp_demo_flags(demo), n);
  let safe = 0;
  for (let i = 0; i < n; ++i) safe += flags[i] & 1;
  lib._gp_demo_destroy(demo);
  [pf, pg, ps].forEach((p) => lib._free(p));
  return { indices, violations, safe, unsafeTruth: indices.filter((i) => g[i] < 0).length };
}

async function clickTimes(page, selector, times) {
  for (let k = 0; k < times; ++k) await page.click(selector);
}

test('stepping SafeOpt shows the library run and never violates the constraint', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'gp/index.html');
  await page.waitForFunction(() => window.__ready === true);
  await clickTimes(page, '#step', 12);
  const st = await page.evaluate(() => window.__state);
  const expected = replay1d({ rule: 0, expander: 1, beta: 0, noise: 0.05, seed: 1, steps: 12 });
  assert.equal(st.evaluations, 12);
  assert.deepEqual(st.indices, expected.indices, 'the page picks what the library picks');
  assert.equal(st.violations, 0);
  assert.equal(expected.unsafeTruth, 0);
  assert.equal(st.safe, expected.safe);
  assert.equal(await page.textContent('#r-evaluations'), '12');
  assert.equal(await page.textContent('#r-violations'), '0');
  assert.match(await page.textContent('#r-safe'), new RegExp(`^${expected.safe} of 201$`));
  // the URL reproduces the run
  const url = page.url();
  assert.match(url, /steps=12/);
  const { page: again } = await openPage(browser.context, url);
  await again.waitForFunction(() => window.__ready === true);
  assert.deepEqual((await again.evaluate(() => window.__state)).indices, expected.indices);
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'gp.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('StageOpt with a run of 20, then the 2-D heat map', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'gp/index.html?rule=1&seed=3');
  await page.waitForFunction(() => window.__ready === true);
  await page.click('#run');
  await page.waitForFunction(() => window.__state && window.__state.evaluations === 20, null, { timeout: 20000 });
  const st = await page.evaluate(() => window.__state);
  const expected = replay1d({ rule: 1, expander: 1, beta: 0, noise: 0.05, seed: 3, steps: 20 });
  assert.deepEqual(st.indices, expected.indices);
  assert.equal(st.violations, 0);
  assert.match(await page.textContent('#r-choice'), /stage [12]/);
  await page.click('label:has(input[name=dim][value="2"])');
  await page.waitForFunction(() => window.__state && window.__state.settings.dim === 2 && window.__state.evaluations === 0);
  await clickTimes(page, '#step', 8);
  const st2 = await page.evaluate(() => window.__state);
  assert.equal(st2.evaluations, 8);
  assert.equal(st2.violations, 0);
  assert.ok(st2.safe > 9, 'the safe set grew beyond the seed');
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'gp_2d.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('a constant small beta is allowed and the violation counter reports what happens', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'gp/index.html?beta=0.5&fn=hills&seed=2');
  await page.waitForFunction(() => window.__ready === true);
  await clickTimes(page, '#step', 15);
  const st = await page.evaluate(() => window.__state);
  assert.equal(st.evaluations, 15);
  assert.equal(await page.textContent('#r-violations'), String(st.violations));
  assert.equal(await page.textContent('#r-beta'), '0.500');
  assert.deepEqual(errors, []);
});

test('the constrained-EI rules from the acquisition menu: what the library picks, and the URL keeps the rule', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'gp/index.html?seed=5');
  await page.waitForFunction(() => window.__ready === true);
  for (const rule of ['3', '4']) {
    await page.selectOption('#rule', rule);
    await page.waitForFunction((r) => window.__state && window.__state.settings.rule === r && window.__state.evaluations === 0,
      Number(rule));
    await clickTimes(page, '#step', 10);
    const st = await page.evaluate(() => window.__state);
    const expected = replay1d({ rule: Number(rule), expander: 1, beta: 0, noise: 0.05, seed: 5, steps: 10 });
    assert.deepEqual(st.indices, expected.indices, 'the page picks what the library picks');
    assert.equal(await page.textContent('#r-violations'), String(st.violations));
    assert.match(await page.textContent('#r-choice'), /^(expected improvement|most likely feasible)$/);
    assert.match(page.url(), new RegExp(`rule=${rule}`));
  }
  assert.deepEqual(errors, []);
});

// Strokes on the canvas in its own pixel units (the page maps them to grid values).
async function stroke(page, points) {
  const box = await page.locator('#view').boundingBox();
  const [w, h] = await page.evaluate(() => [document.getElementById('view').width, document.getElementById('view').height]);
  const at = ([cx, cy]) => [box.x + (cx / w) * box.width, box.y + (cy / h) * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
  return w;
}

test('a drawn function round-trips through the URL: the same function and the same run', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'gp/index.html?fn=draw&seed=4');
  const start = (await page.evaluate(() => window.__state)).drawn;
  assert.ok(start, 'draw mode exposes the drawn function');
  const w = await page.evaluate(() => document.getElementById('view').width);
  const cx = (x) => 50 + (x / 10) * (w - 65);
  await stroke(page, [[cx(1), 120], [cx(2), 60], [cx(3), 120]]); // f: a hill near x = 2 (top plot)
  await stroke(page, [[cx(7), 560], [cx(8.5), 560]]); // g: below the threshold near x = 8 (bottom plot)
  const drawn = (await page.evaluate(() => window.__state)).drawn;
  assert.ok(drawn.f.some((v, i) => Math.abs(v - start.f[i]) > 0.1), 'the stroke changed f');
  assert.ok(drawn.g.some((v, i) => v < 0 && start.g[i] > 0), 'the stroke made part of g unsafe');
  await clickTimes(page, '#step', 10);
  const st = await page.evaluate(() => window.__state);
  assert.equal(st.evaluations, 10);
  const url = page.url();
  assert.match(url, /[?&]drawn=d1\.[A-Za-z0-9_-]{810}(&|$)/);
  assert.ok(url.length < 1200, `URL of ${url.length} characters`);
  const { page: again, errors: errorsAgain } = await openPage(browser.context, url);
  const st2 = await again.evaluate(() => window.__state);
  assert.deepEqual(st2.drawn, st.drawn, 'the same function after the reload');
  assert.deepEqual(st2.indices, st.indices, 'the same run after the reload');
  assert.equal(st2.violations, st.violations);
  assert.equal(st2.safe, st.safe);
  assert.equal(await again.textContent('#url-messages'), '');
  await again.screenshot({ path: path.join(ensureScreenshotDir(), 'gp_drawn.png'), fullPage: true });
  assert.deepEqual(errors, []);
  assert.deepEqual(errorsAgain, []);
});

test('a bad or foreign drawn= value is reported and the page still runs', async () => {
  const { page: good } = await openPage(browser.context, server.url + 'gp/index.html?fn=draw');
  const fallback = (await good.evaluate(() => window.__state)).drawn;
  const valid = new URL(good.url()).searchParams.get('drawn');
  const altered = valid.slice(0, 40) + (valid[40] === 'A' ? 'B' : 'A') + valid.slice(41);
  const cases = [
    ['xyz', /not a drawn function of this page/],
    ['d1.abc', /3 characters after "d1\.", expected 810/],
    ['d1.' + '*'.repeat(810), /character "\*" at 3 is not base64url/],
    [altered, /check byte does not match/],
  ];
  for (const [value, message] of cases) {
    const { page, errors } = await openPage(browser.context, `${server.url}gp/index.html?fn=draw&steps=3&drawn=${encodeURIComponent(value)}`);
    assert.match(await page.textContent('#url-messages'), message);
    const st = await page.evaluate(() => window.__state);
    assert.deepEqual(st.drawn, fallback, 'the default drawing is used');
    assert.equal(st.evaluations, 3, 'the run goes on');
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('on a phone (390x844) the figure, its step and run buttons and the speed are in the first screen', async () => {
  const { page, errors } = await openPage(browser.context, null);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(server.url + 'gp/index.html');
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 30000 });
  for (const id of ['#view', '#step', '#run', '#reset', '#speed']) {
    const box = await page.locator(id).boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 844 && box.x >= 0 && box.x + box.width <= 390,
      `${id} at ${JSON.stringify(box)}`);
  }
  // the figure's text stays readable: tick labels of at least 11 CSS pixels
  const tick = await page.evaluate(() => window.__state.tickCssPx);
  assert.ok(tick >= 11, `tick labels of ${tick} px`);
  // the step button moves the figure without scrolling
  await page.click('#step');
  assert.equal(await page.evaluate(() => [window.__state.evaluations, window.scrollY].join()), '1,0');
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'gp-phone-first-screen.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
