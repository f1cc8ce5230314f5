// shield.test.mjs - the saferl_shield.h page in Debian's chromium: the automaton shown is the
// library's (compared with the module loaded in Node), a trace steps to the violation the
// monitor reports, errors carry line and column, the URL reproduces the rule.
// Needs the web build (make web): build/web/shield/shield.mjs and the copied pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve, launchBrowser, openPage, ensureScreenshotDir, built, webRoot } from './harness.mjs';

let server, browser, lib;

before(async () => {
  assert.ok(built('index.html', 'style.css', 'shield/index.html', 'shield/app.js', 'shield/shield.mjs'),
    'build/web is incomplete: run make web first');
  const { default: createShieldModule } = await import(pathToFileURL(path.join(webRoot, 'shield', 'shield.mjs')).href);
  lib = await createShieldModule();
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
  await page.screenshot({ path: path.join(ensureScreenshotDir(), 'shield.png'), fullPage: true });
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
