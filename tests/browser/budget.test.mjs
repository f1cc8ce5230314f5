// budget.test.mjs - the saferl_budget.h demo in Debian's chromium: the readout shows what the
// library computes, the URL reproduces the view, CSV errors carry their line, the set's interval
// and spread prior give budget_report --json's numbers bit for bit (and its text report's word on
// whether the boundary interval raised the upper end), the hub links here.
// Needs the web build (make web): build/web/budget/budget.mjs and the copied pages, and the
// native build/budget_report (made here, so a stale binary is rebuilt).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadModule, serve, launchBrowser, openPage, ensureScreenshotDir, built, webRoot, repoRoot } from './harness.mjs';

let server, browser, lib;

before(async () => {
  assert.ok(built('index.html', 'style.css', 'budget/index.html', 'budget/app.js', 'budget/budget.mjs',
    'vendor/uPlot.iife.min.js', 'vendor/uPlot.min.css'), 'build/web is incomplete: run make web first');
  lib = await loadModule('budget');
  execFileSync('make', ['-s', 'build/budget_report'], { cwd: repoRoot, stdio: 'inherit' });
  server = await serve();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// ---- expectations from the library itself, loaded in Node --------------------------------

function cstr(ptr) { // a NUL-terminated UTF-8 string in wasm memory
  const heap = lib.HEAPU8;
  let end = ptr;
  while (heap[end] !== 0) ++end;
  return new TextDecoder().decode(heap.subarray(ptr, end));
}

// saferl_budget_tokens_model on wasm32: int law @0, double mean_tokens @8, double log_sigma @16.
// saferl_budget_desc on wasm32: four doubles (confidence, balanced_low, balanced_high, horizon),
// then draws, seed, spread_prior and interval, 48 bytes; all zero but the band = defaults.
function expectedReadout({ law, mean, sigma, H, G, lo, hi }) {
  const model = lib._malloc(24), desc = lib._malloc(48);
  lib.HEAPU8.fill(0, desc, desc + 48);
  new Int32Array(lib.HEAP32.buffer, model, 2).set([law === 'lognormal' ? 1 : 0, 0]);
  new Float64Array(lib.HEAPF64.buffer, model + 8, 2).set([mean, sigma]);
  new Float64Array(lib.HEAPF64.buffer, desc, 4).set([0, lo, hi, 0]);
  const xi = H / mean;
  const p = lib._saferl_budget_model_success_probability(model, H);
  const out = {
    xi, p,
    variance: lib._saferl_budget_reward_variance(p),
    informative: lib._saferl_budget_informative_probability(p, G),
    samples: lib._saferl_budget_samples_for_success(p, 0.05),
    regime: cstr(lib._saferl_budget_regime_name(lib._saferl_budget_regime_of(xi, desc))),
    hLow: lo * mean,
    hHigh: hi * mean,
  };
  lib._free(model);
  lib._free(desc);
  return out;
}

// A NUL-terminated copy of text in wasm memory (the caller frees it).
function newCstr(text) {
  const bytes = new TextEncoder().encode(text);
  const ptr = lib._malloc(bytes.length + 1);
  lib.HEAPU8.set(bytes, ptr);
  lib.HEAPU8[ptr + bytes.length] = 0;
  return ptr;
}

// The CSV parser's first error, as "line L, column C: reason".
function expectedCsvErrors(text) {
  const bytes = new TextEncoder().encode(text);
  const ptr = lib._malloc(bytes.length + 1), ints = lib._malloc(16);
  lib.HEAPU8.set(bytes, ptr);
  const result = lib._budget_csv_parse(ptr, bytes.length, 50);
  const lines = [];
  for (let i = 0; i < lib._budget_csv_error_count(); ++i) {
    const reason = cstr(lib._budget_csv_error(i, ints));
    const [line, column] = new Int32Array(lib.HEAP32.buffer, ints, 2);
    lines.push(`line ${line}, column ${column}: ${reason}`);
  }
  lib._free(ptr);
  lib._free(ints);
  return { result, lines };
}

// The pooled summary of a CSV at horizon H (index 0..: per prompt; last: pooled).
function expectedCsvPooled(text, H, lo, hi) {
  const bytes = new TextEncoder().encode(text);
  const ptr = lib._malloc(bytes.length + 1), out = lib._malloc(28 * 8), ints = lib._malloc(16);
  lib.HEAPU8.set(bytes, ptr);
  assert.ok(lib._budget_csv_parse(ptr, bytes.length, 50) >= 0);
  const prompts = lib._budget_csv_summarize(ptr, H, lo, hi, 0.95);
  assert.ok(prompts > 0);
  const interval = newCstr('boundary'), prior = newCstr('half-cauchy'), unknown = newCstr('bogus');
  // the glue takes the options by budget_report's names, and refuses another name
  assert.ok(lib._budget_csv_prompt(prompts, lo, hi, H, 0.95, unknown, prior, out, ints) < 0);
  assert.ok(lib._budget_csv_prompt(prompts, lo, hi, H, 0.95, interval, unknown, out, ints) < 0);
  assert.ok(lib._budget_csv_prompt(prompts, lo, hi, H, 0.95, interval, prior, out, ints) >= 0);
  const v = Array.from(new Float64Array(lib.HEAPF64.buffer, out, 22));
  for (const q of [interval, prior, unknown]) lib._free(q);
  lib._free(ptr);
  lib._free(out);
  lib._free(ints);
  return { prompts, xi: v[2], xiLo: v[3], xiHi: v[4], modelP: v[9], meanTokens: v[10] };
}

// budget_report on a CSV text with the given flags: its output as text.
function nativeRun(text, flags) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'budget-test-'));
  try {
    const file = path.join(dir, 'attempts.csv');
    fs.writeFileSync(file, text);
    return execFileSync(path.join(repoRoot, 'build', 'budget_report'), [...flags, file], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const nativeReport = (text, flags) => JSON.parse(nativeRun(text, ['--json', ...flags]));

// Whether budget_report's text report says the boundary interval raised the upper end (null when
// it has no such line: another interval, or no spread fitted).
function nativeRaised(text, flags) {
  const line = nativeRun(text, flags).split('\n').find((l) => /^\s*interval\s/.test(l) && !/widened/.test(l));
  return line === undefined ? null : /upper end raised/.test(line);
}

// A number displayed with `digits` significant digits (or as a whole number) agrees with x.
function assertShown(text, x, what, digits = 4) {
  const shown = parseFloat(text.replace(/[^0-9eE.+-]+/g, ' ').trim().split(' ')[0]);
  assert.ok(Number.isFinite(shown), `${what}: "${text}" is not a number`);
  const ulp = Math.abs(x) >= 10 ** digits ? 1 : 10 ** (Math.floor(Math.log10(Math.abs(x))) - digits + 1);
  assert.ok(Math.abs(shown - x) <= 0.5 * ulp * 1.001 + 1e-12, `${what}: page shows ${text}, library gives ${x}`);
}
function assertShownInt(text, x, what) {
  const shown = parseFloat(text);
  assert.ok(Math.abs(shown - x) <= 0.5, `${what}: page shows ${text}, library gives ${x}`);
}

async function readout(page) {
  return page.evaluate(() => Object.fromEntries(
    ['r-xi', 'r-regime', 'r-p', 'r-var', 'r-inf', 'r-samples', 'r-hlo', 'r-hhi', 'H-out', 'G-out']
      .map((id) => [id, document.getElementById(id).textContent])));
}

async function setSlider(page, selector, value) {
  await page.$eval(selector, (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

function checkReadout(shown, expected) {
  assertShown(shown['r-xi'], expected.xi, 'xi');
  assert.equal(shown['r-regime'], expected.regime, 'regime');
  assertShown(shown['r-p'], expected.p, 'p');
  assertShown(shown['r-var'], expected.variance, 'reward variance');
  assertShown(shown['r-inf'], expected.informative, 'P(informative group)');
  assertShownInt(shown['r-samples'], expected.samples, 'samples for one success');
  assertShownInt(shown['r-hlo'], expected.hLow, 'band horizon low');
  assertShownInt(shown['r-hhi'], expected.hHigh, 'band horizon high');
}

// ---- tests --------------------------------------------------------------------------------

test('hub page links to the budget demo', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'index.html');
  const link = page.locator('a[href="./budget/index.html"]');
  assert.equal(await link.count(), 1);
  assert.match(await link.textContent(), /saferl_budget\.h/);
  // every demo page in web/ (one folder with an index.html each), either linked to a page that
  // exists or marked as coming
  const sources = path.join(webRoot, '..', '..', 'web');
  const pages = fs.readdirSync(sources).filter((d) => fs.existsSync(path.join(sources, d, 'index.html')));
  const linked = await page.locator('#demos a.name').evaluateAll((as) => as.map((a) => a.href));
  assert.equal(linked.length + (await page.locator('li.coming').count()), pages.length);
  for (const d of pages) assert.ok(linked.some((h) => h.endsWith(`/${d}/index.html`)), `the hub lists ${d}`);
  for (const href of linked) assert.equal((await fetch(href)).status, 200, href);
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'index.png'), fullPage: true });
  await link.click();
  await page.waitForURL(/\/budget\/index\.html/);
  await page.waitForFunction(() => window.__ready === true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('budget demo: the readout shows what the library computes, the URL reproduces it', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'budget/index.html');
  const state0 = await page.evaluate(() => window.__budget);
  checkReadout(await readout(page), expectedReadout({ ...state0, law: 'geometric' }));

  // the H slider is log2(H): move it to 3000 tokens and the G slider to 16
  await setSlider(page, '#H', Math.log2(3000));
  await setSlider(page, '#G', 16);
  let state = await page.evaluate(() => window.__budget);
  assert.equal(state.H, 3000);
  assert.equal(state.G, 16);
  let shown = await readout(page);
  assert.equal(shown['H-out'], '3000 tokens');
  const geometric = expectedReadout({ law: 'geometric', mean: state.mean, sigma: state.sigma, H: 3000, G: 16, lo: state.lo, hi: state.hi });
  checkReadout(shown, geometric);
  assert.equal(state.regimeName, geometric.regime);
  assert.ok(Math.abs(state.p - geometric.p) < 1e-12);

  // log-normal T, another horizon and a narrower band
  await page.click('label:has(input[value="lognormal"])');
  await setSlider(page, '#sigma', 0.6);
  await setSlider(page, '#H', Math.log2(900));
  await page.fill('#band-lo', '1.2');
  await page.fill('#band-hi', '1.6');
  state = await page.evaluate(() => window.__budget);
  assert.equal(state.law, 'lognormal');
  assert.equal(state.H, 900);
  assert.equal(state.lo, 1.2);
  shown = await readout(page);
  const lognormal = expectedReadout({ law: 'lognormal', mean: state.mean, sigma: 0.6, H: 900, G: 16, lo: 1.2, hi: 1.6 });
  checkReadout(shown, lognormal);
  assert.notEqual(lognormal.p, expectedReadout({ ...lognormal, law: 'geometric', mean: state.mean, sigma: 0.6, H: 900, G: 16, lo: 1.2, hi: 1.6 }).p);

  // the URL carries the state (written once the controls rest); loading it restores the view
  // (under load the first write can land between two controls' changes: wait for the last)
  await page.waitForFunction(() => {
    const q = new URLSearchParams(location.search);
    return q.get('H') === '900' && q.get('lo') === '1.2' && q.get('hi') === '1.6' && q.get('sigma') === '0.6';
  });
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('H'), '900');
  assert.equal(url.searchParams.get('law'), 'lognormal');
  assert.equal(url.searchParams.get('sigma'), '0.6');
  assert.equal(url.searchParams.get('G'), '16');
  const again = await openPage(browser.context, url.href);
  const restored = await again.page.evaluate(() => window.__budget);
  assert.equal(restored.H, 900);
  assert.equal(restored.law, 'lognormal');
  assert.equal(await again.page.$eval('#H-num', (el) => el.value), '900');
  assert.deepEqual(await readout(again.page), shown);
  assert.deepEqual(again.errors, []);
  await again.page.close();

  // the simulator runs to its target without freezing the page, and moves xi up
  await page.click('label:has(input[value="geometric"])');
  await setSlider(page, '#H', Math.log2(1024));
  await page.click('#sim-run');
  await page.waitForFunction(() => window.__budget.sim.iteration >= 400 && !window.__budget.sim.running, null, { timeout: 30000 });
  const sim = await page.evaluate(() => window.__budget.sim);
  assert.ok(sim.meanXi > (await page.evaluate(() => window.__budget.xi)), 'mean xi grows while learning');
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'budget.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('budget demo: CSV of attempts through the header parser', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'budget/index.html?law=csv&H=1024');
  await page.waitForSelector('#csv-table tbody tr');
  const text = await page.$eval('#csv', (el) => el.value);
  const expected = expectedCsvPooled(text, 1024, 1.5, 2);
  assert.equal(await page.locator('#csv-table tbody tr').count(), expected.prompts + 1);
  const state = await page.evaluate(() => window.__budget);
  assert.equal(state.csv.prompts.length, expected.prompts);
  assert.ok(Math.abs(state.xi - expected.xi) <= 1e-12 * Math.max(1, expected.xi));
  const shown = await readout(page);
  assertShown(shown['r-xi'], expected.xi, 'pooled xi');
  assertShown(shown['r-p'], expected.modelP, 'pooled p(H)');
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'budget-csv.png'), fullPage: true });

  // a bad line: the header's error, with its line and column, shows on the page
  const bad = 'prompt_id,horizon,tokens\nq1,512,100\nq1,512,900\nq2,512,\n';
  const wanted = expectedCsvErrors(bad);
  assert.ok(wanted.result < 0 && wanted.lines.length === 1 && wanted.lines[0].startsWith('line 3,'));
  await page.fill('#csv', bad);
  await page.waitForFunction(() => document.querySelectorAll('#csv-errors li').length > 0);
  const messages = await page.$$eval('#csv-errors li', (items) => items.map((li) => li.textContent));
  assert.deepEqual(messages, wanted.lines);
  assert.ok(await page.locator('#csv-panel').isHidden());
  assert.equal(await page.textContent('#r-xi'), '—');

  // a short CSV goes into the URL and comes back from it
  const good = 'prompt_id,horizon,tokens\nq1,512,100\nq1,512,300\nq2,512,\nq2,512,400\n';
  await page.fill('#csv', good);
  await page.waitForFunction(() => window.__budget.csv && window.__budget.csv.prompts.length === 2);
  await page.waitForFunction((text) => new URLSearchParams(location.search).get('csv') === text, good);
  const url = page.url();
  assert.equal(new URL(url).searchParams.get('csv'), good);

  // a control changed while an edit waits out its pause keeps the edit
  const edited = `${good}q3,512,250\n`;
  await page.fill('#csv', edited);
  await page.click('label:has(input[name="interval"][value="posterior"])');
  await page.waitForFunction(() => window.__budget.interval === 'posterior');
  assert.equal(await page.$eval('#csv', (el) => el.value), edited);
  await page.waitForFunction(() => window.__budget.csv && window.__budget.csv.prompts.length === 3);
  await page.click('label:has(input[name="interval"][value="boundary"])');
  await page.fill('#csv', good);
  await page.waitForFunction(() => window.__budget.csv && window.__budget.csv.prompts.length === 2 &&
    window.__budget.interval === 'boundary');
  const again = await openPage(browser.context, url);
  assert.equal(await again.page.$eval('#csv', (el) => el.value), good);
  assert.equal(await again.page.evaluate(() => window.__budget.csv.prompts.length), 2);
  await again.page.close();
  assert.deepEqual(errors, []);
  await page.close();
});

// The set's numbers on the page (window.__budget, full doubles) are budget_report's JSON, bit for
// bit (JSON's null: NaN or an infinity), and the set's readout shows them and the names.
const SET_FIELDS = [ // page field, its place in the JSON, the readout element showing it
  ['xi', (j) => j.pooled.xi, 's-xi'],
  ['xiLo', (j) => j.pooled.xi_lo, 's-xi-lo'],
  ['xiHi', (j) => j.pooled.xi_hi, 's-xi-hi'],
  ['posteriorLo', (j) => j.pooled.posterior_interval[0], 's-posterior-lo'],
  ['posteriorHi', (j) => j.pooled.posterior_interval[1], 's-posterior-hi'],
  ['spreadLo', (j) => j.pooled.spread_range[0], 's-spread-lo'],
  ['spreadHi', (j) => j.pooled.spread_range[1], 's-spread-hi'],
  ['spread', (j) => j.pooled.spread, 's-spread'],
  ['spreadZeroProbability', (j) => j.pooled.spread_zero_probability, 's-alike'],
  ['hazardXi', (j) => j.pooled_hazard.xi, 's-hazard'],
  ['meanTokens', (j) => j.pooled.mean_tokens, null],
];
async function checkSetAgainstNative(page, what) {
  const state = await page.evaluate(() => window.__budget);
  const json = nativeReport(await page.$eval('#csv', (el) => el.value),
    ['--horizon', String(state.H), '--interval', state.interval, '--spread-prior', state.spreadPrior]);
  const pooled = state.csv.pooled;
  const shown = await page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id, document.getElementById(id).textContent])),
    ['s-estimand', 's-interval', 's-hazard-estimand', ...SET_FIELDS.map((f) => f[2]).filter(Boolean)]);
  assert.equal(shown['s-estimand'], json.pooled.estimand, `${what}: estimand`);
  assert.equal(shown['s-hazard-estimand'], json.pooled_hazard.estimand, `${what}: pooled hazard's estimand`);
  assert.equal(pooled.interval, json.pooled.interval, `${what}: interval kind`);
  assert.equal(shown['s-interval'], json.pooled.interval, `${what}: interval kind shown`);
  const raised = nativeRaised(await page.$eval('#csv', (el) => el.value),
    ['--horizon', String(state.H), '--interval', state.interval, '--spread-prior', state.spreadPrior]);
  assert.equal(pooled.raised, raised, `${what}: upper end raised`);
  assert.equal(pooled.raised, json.pooled.upper_raised, `${what}: budget_report --json's upper_raised`);
  const raisedShown = await page.textContent('#s-raised');
  assert.ok(raised === null ? raisedShown === '—' : raisedShown.startsWith(raised ? 'yes:' : 'no:'),
    `${what}: raised shown as "${raisedShown}"`);
  for (const [field, pick, id] of SET_FIELDS) {
    const want = pick(json), got = pooled[field];
    assert.ok(want === null ? !Number.isFinite(got) : Object.is(got, want),
      `${what}: ${field}: page ${got}, budget_report ${want}`);
    if (!id) continue;
    if (want === null) assert.equal(shown[id], '—', `${what}: ${id} shows no number`);
    else assertShown(shown[id], want, `${what}: ${id}`);
  }
  return { ...json, raised };
}

// Prompts alike (spread 0, where the boundary interval acts): every attempt's T geometric with
// mean `mean`, censored at H; a fixed LCG so the text is the same on every run.
function alikeCsv(seed, prompts, attempts, mean, H) {
  let x = seed >>> 0;
  const uniform = () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return (x + 0.5) / 4294967296; };
  const lines = ['prompt_id,horizon,tokens'];
  for (let i = 0; i < prompts; ++i)
    for (let k = 0; k < attempts; ++k) {
      const t = Math.ceil(Math.log(uniform()) / Math.log(1 - 1 / mean));
      lines.push(`p${i},${H},${t <= H ? t : ''}`);
    }
  return lines.join('\n') + '\n';
}

// The six pairs of options, each switched in turn, each checked against its own native run;
// then how the intervals of one prior relate (the same posterior interval under each, the
// widened one holds it, the boundary one is it with the upper end raised or not, as
// budget_report's text says).
async function checkAllOptions(page, what) {
  const pick = (name, value) => page.click(`label:has(input[name="${name}"][value="${value}"])`);
  const runs = {};
  for (const [interval, prior] of [['boundary', 'half-cauchy'], ['widened', 'half-cauchy'], ['posterior', 'half-cauchy'],
    ['posterior', 'atom'], ['widened', 'atom'], ['boundary', 'atom']]) {
    await pick('interval', interval);
    await pick('spread-prior', prior);
    await page.waitForFunction(([i, p]) => window.__budget.interval === i && window.__budget.spreadPrior === p &&
      window.__budget.csv.pooled, [interval, prior]);
    runs[`${interval} ${prior}`] = await checkSetAgainstNative(page, `${what}, ${interval}, ${prior}`);
  }
  for (const prior of ['half-cauchy', 'atom']) {
    const [b, w, p] = ['boundary', 'widened', 'posterior'].map((i) => runs[`${i} ${prior}`]);
    const where = `${what}, ${prior}`;
    assert.deepEqual([b.pooled.interval, w.pooled.interval, p.pooled.interval], ['boundary', 'widened', 'posterior'], where);
    for (const j of [b, w]) assert.deepEqual(j.pooled.posterior_interval, p.pooled.posterior_interval, where);
    assert.deepEqual([p.pooled.xi_lo, p.pooled.xi_hi], p.pooled.posterior_interval, where);
    assert.ok(w.pooled.xi_lo <= p.pooled.xi_lo && w.pooled.xi_hi >= p.pooled.xi_hi, `${where}: widened holds the posterior's`);
    assert.ok(Object.is(b.pooled.xi_lo, p.pooled.xi_lo), `${where}: the boundary interval keeps the lower end`);
    assert.equal(b.pooled.xi_hi > p.pooled.xi_hi, b.raised, `${where}: raised as the text report says`);
    if (!b.raised) assert.ok(Object.is(b.pooled.xi_hi, p.pooled.xi_hi), where);
    for (const j of [b, w, p]) {
      assert.equal(j.pooled.spread_range[0] !== null, j === w, where);
      assert.equal(j.pooled.spread_zero_probability !== null, prior === 'atom', where);
    }
    assert.equal(w.raised, null, where);
    assert.equal(p.raised, null, where);
  }
  // the prior reaches the estimate
  assert.notDeepEqual(runs['posterior half-cauchy'].pooled.posterior_interval, runs['posterior atom'].pooled.posterior_interval, what);
  return runs;
}

test('budget demo: the set\'s interval and spread prior give budget_report\'s numbers', async () => {
  const { page, errors } = await openPage(browser.context, server.url + 'budget/index.html?law=csv&H=1024');
  await page.waitForSelector('#csv-table tbody tr');
  // budget_report's defaults, and the URL names neither
  let state = await page.evaluate(() => window.__budget);
  assert.equal(state.interval, 'boundary');
  assert.equal(state.spreadPrior, 'half-cauchy');
  assert.ok(await page.isChecked('input[name="interval"][value="boundary"]'));
  await page.waitForFunction(() => new URLSearchParams(location.search).get('law') === 'csv');
  for (const key of ['interval', 'spread-prior']) assert.equal(new URL(page.url()).searchParams.has(key), false, key);

  // the example CSV (prompts that differ) and a seeded set of alike prompts: between them the
  // boundary interval both keeps the posterior's upper end and raises it
  const raised = [];
  for (const [what, text] of [['example CSV', null], ['alike prompts', alikeCsv(1, 6, 8, 700, 1024)]]) {
    if (text) {
      await page.fill('#csv', text);
      await page.waitForFunction(() => window.__budget.csv && window.__budget.csv.prompts.length === 6 &&
        window.__budget.csv.prompts[0].name === 'p0');
    }
    const runs = await checkAllOptions(page, what);
    raised.push(runs['boundary half-cauchy'].raised, runs['boundary atom'].raised);
  }
  assert.ok(raised.includes(true) && raised.includes(false), `raised: ${raised.join(', ')}`);
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'budget-set.png'), fullPage: true });

  // the URL carries both options when they are not the defaults; loading it restores the controls
  // and the same numbers; back at the defaults the keys go
  const pick = (name, value) => page.click(`label:has(input[name="${name}"][value="${value}"])`);
  await pick('interval', 'posterior');
  await page.waitForFunction(() => {
    const q = new URLSearchParams(location.search);
    return q.get('interval') === 'posterior' && q.get('spread-prior') === 'atom';
  });
  const before = await page.evaluate(() => window.__budget.csv.pooled);
  const again = await openPage(browser.context, page.url());
  await again.page.waitForSelector('#csv-table tbody tr');
  assert.ok(await again.page.isChecked('input[name="interval"][value="posterior"]'));
  assert.ok(await again.page.isChecked('input[name="spread-prior"][value="atom"]'));
  assert.deepEqual(await again.page.evaluate(() => window.__budget.csv.pooled), before);
  assert.deepEqual(again.errors, []);
  await again.page.close();
  await pick('interval', 'boundary');
  await pick('spread-prior', 'half-cauchy');
  await page.waitForFunction(() => {
    const q = new URLSearchParams(location.search);
    return window.__budget.interval === 'boundary' && window.__budget.spreadPrior === 'half-cauchy' &&
      q.has('law') && !q.has('interval') && !q.has('spread-prior');
  });

  // one prompt: no spread fitted, so nothing to test or widen over: the posterior interval, as the CLI says
  await page.fill('#csv', 'prompt_id,horizon,tokens\nq1,1024,100\nq1,1024,300\nq1,1024,\nq1,1024,700\n');
  await page.waitForFunction(() => window.__budget.csv && window.__budget.csv.prompts.length === 1);
  for (const [interval, note] of [['boundary', /nothing to test/], ['widened', /nothing to widen/]]) {
    await pick('interval', interval);
    await page.waitForFunction((i) => window.__budget.interval === i && window.__budget.csv.pooled, interval);
    const single = await checkSetAgainstNative(page, `one prompt, ${interval} asked`);
    assert.equal(single.pooled.interval, 'posterior');
    assert.match(await page.textContent('#s-interval-note'), note);
  }
  assert.deepEqual(errors, []);
  await page.close();

  // a value the page does not know is reported and replaced by the default
  const bad = await openPage(browser.context, server.url + 'budget/index.html?law=csv&interval=wide&spread-prior=flat');
  const messages = await bad.page.$$eval('#url-messages li', (items) => items.map((li) => li.textContent));
  assert.equal(messages.length, 2, messages.join('; '));
  assert.match(messages[0], /^interval in the URL: "wide" is not one of boundary, widened, posterior; showing boundary/);
  assert.match(messages[1], /^spread-prior in the URL: "flat"/);
  state = await bad.page.evaluate(() => window.__budget);
  assert.equal(state.interval, 'boundary');
  assert.equal(state.spreadPrior, 'half-cauchy');
  assert.deepEqual(bad.errors, []);
  await bad.page.close();
});
