// pages.test.mjs - what every demo page owes a visitor, on a laptop (1280x800) and a phone
// (390x844): no console error, nothing wider than the screen, text of at least 11 px (on the page
// and drawn on its canvases), a label for every input and a text alternative for every canvas,
// chart legends with values (not "—") before any hover, the figure and its controls on the first
// screen, the caption ("what you are looking at", "try this"), the C snippet and the links to the
// header and README (served by make web), the default run reaching its success condition, and bad
// URL values answered by a visible message.
// Screenshots go to build/screenshots/<page>-<width>.png. Needs the web build (make web).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serve, launchBrowser, openPage, ensureScreenshotDir, built } from './harness.mjs';

const VIEWPORTS = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];

// Per page: the header it links, a URL with bad values, and how its default run succeeds
// (run: what to do, then a function evaluated in the page that must become true; check: a
// function of the page's state that must hold then, returning '' or what is wrong). firstScreen:
// the figure and the controls that drive it, which must be on the first screen (at the widths
// listed; both by default).
const PAGES = {
  align: {
    header: 'saferl_rl.h',
    firstScreen: { figure: '#view', controls: ['#step', '#run', '#reset', '#speed'] },
    bad: '?beta=abc&lambda=-1&pairs=7.5',
    // the data grow to 10,000 pairs: SACPO ends near the closed form
    success: {
      click: '#run',
      wait: () => window.__align && window.__align.done,
      check: () => (window.__align.tv < 0.05 ? '' : `TV(SACPO, closed form) ${window.__align.tv}`),
    },
  },
  budget: {
    header: 'saferl_budget.h',
    firstScreen: { figure: '#plot', controls: ['#H', '#H-num'] },
    bad: '?law=weibull&H=-5&G=abc',
    // the default view: H = 1024 with E[T] = 640 is in the balanced band
    success: { wait: () => window.__budget && window.__budget.regimeName === 'balanced' },
  },
  gp: {
    header: 'saferl_gp.h',
    firstScreen: { figure: '#view', controls: ['#step', '#run', '#reset', '#speed'] },
    bad: '?beta=abc&dim=3&steps=-2',
    success: {
      click: '#run',
      wait: () => window.__state && window.__state.evaluations >= 20,
      check: () => (window.__state.violations === 0 ? '' : `${window.__state.violations} violations`),
    },
  },
  nas: {
    header: 'saferl_nas.h',
    firstScreen: { figure: '#view', controls: ['#step', '#run', '#reset', '#speed'] },
    bad: '?at=999999&task=cifar&alr=1',
    // the heat maps move within seconds: some operation's probability leaves the uniform 0.1
    success: {
      click: '#run',
      wait: () => window.__nas.runs.every((r) => Math.max(...r.probabilities) > 0.3),
    },
  },
  pls: {
    header: 'saferl_gp.h',
    firstScreen: { figure: '#map', controls: ['#step', '#play', '#reset', '#speed'] },
    bad: '?env=mujoco&seed=x',
    // 20 evaluations, none of a truly unsafe target, the safe set grown past what it was before the first
    success: {
      click: '#play',
      wait: () => window.__state && window.__state.evaluations >= 20,
      check: () => (window.__state.unsafeEvaluations !== 0 ? `${window.__state.unsafeEvaluations} unsafe evaluations`
        : window.__state.safe > window.__state.safeBefore ? ''
          : `the safe set did not grow (${window.__state.safeBefore} -> ${window.__state.safe})`),
    },
  },
  rl: {
    header: 'saferl_rl.h',
    firstScreen: { figure: '#view', controls: ['#start', '#stop', '#speed'] },
    bad: '?env=mujoco&d=-3&spe=abc',
    // the default run meets its cost limit by its last epoch (15 epochs; at one width only)
    success: {
      click: '#start',
      once: true,
      wait: () => !window.__rl.running && window.__rl.epochs.length >= window.__rl.run.epochs,
      check: () => {
        const last = window.__rl.epochs[window.__rl.epochs.length - 1];
        return last.cost <= window.__rl.run.d ? '' : `cost ${last.cost} above d = ${window.__rl.run.d}`;
      },
    },
  },
  shield: {
    // on a laptop the agents sit below the map's row; on a phone they come first
    header: 'saferl_shield.h',
    firstScreen: { figure: '#agent0', controls: ['#world-step', '#run', '#stop', '#world-reset', '#speed'], widths: [390] },
    bad: '?slip=7&speed=x',
    // one run: the shielded agent (1) never violates the rule with exact moves
    success: {
      click: '#run',
      wait: () => !window.__shield.world.running && window.__shield.world.series[1].ret.length >= window.__shield.world.runEpisodes,
      check: () => (document.getElementById('violations1').textContent === '0' ? ''
        : `the shielded agent violated the rule ${document.getElementById('violations1').textContent} times`),
    },
  },
};

let server, browser;
before(async () => {
  assert.ok(built('index.html', 'style.css', 'README.md', ...Object.keys(PAGES).map((p) => `${p}/index.html`)),
    'build/web is incomplete: run make web first');
  server = await serve();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// Text drawn on a canvas is text too: every fillText records its size as shown on the screen
// (the font's pixels times the context's scale times the canvas's CSS-to-backing ratio), so
// layoutProblems can hold it to the same 11 px as the page's text.
function recordCanvasText() {
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  window.__canvasText = { px: Infinity, text: '', canvas: '' };
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    const c = this.canvas, font = /([\d.]+)px/.exec(this.font);
    if (font && String(text).trim() && c.width > 0 && c.clientWidth > 0) {
      const t = this.getTransform(), scale = Math.hypot(t.a, t.b);
      const px = parseFloat(font[1]) * scale * c.clientWidth / c.width;
      if (px < window.__canvasText.px) window.__canvasText = { px, text: String(text).slice(0, 20), canvas: c.id || c.className };
    }
    return fillText.call(this, text, ...rest);
  };
}

// What the page shows a visitor, measured in the page: '' entries are fine.
function layoutProblems() {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > width + 1
      && getComputedStyle(el).position !== 'absolute' && el.offsetParent !== null).slice(0, 3);
    problems.push(`page ${document.documentElement.scrollWidth} px wide at ${width}: ${wide.map((el) => el.tagName + (el.id ? '#' + el.id : '')).join(', ')}`);
  }
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 11) { problems.push(`text of ${size} px: ${el.tagName} "${el.textContent.trim().slice(0, 30)}"`); break; }
  }
  const drawn = window.__canvasText;
  if (drawn && drawn.px < 11) problems.push(`canvas text of ${drawn.px.toFixed(1)} px: "${drawn.text}" on ${drawn.canvas}`);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !el.title) {
      problems.push(`no label: ${el.tagName} ${el.id || el.name || el.type}`);
    }
  }
  for (const c of document.querySelectorAll('canvas')) {
    if (!c.getAttribute('aria-label') && !c.closest('[aria-label]')) problems.push(`canvas without a text alternative: ${c.id || c.className}`);
  }
  // a chart's legend says where the chart stands without a hover: never uPlot's "—" placeholder
  // (the cursor is never on a chart here)
  for (const v of document.querySelectorAll('.u-legend .u-value')) {
    if (v.offsetParent !== null && /^(—|--)$/.test(v.textContent.trim())) {
      const label = v.closest('tr')?.querySelector('.u-label')?.textContent;
      problems.push(`legend without a value: "${label}" in ${v.closest('.uplot')?.parentElement?.id}`);
    }
  }
  return problems;
}

test('the hub lists every page and the code, at both widths', async () => {
  for (const vp of VIEWPORTS) {
    const { page, errors } = await openPage(browser.context, server.url + 'index.html');
    await page.setViewportSize(vp);
    const links = await page.$$eval('a', (a) => a.map((e) => e.getAttribute('href')));
    for (const name of Object.keys(PAGES)) assert.ok(links.includes(`./${name}/index.html`), `hub links ${name}`);
    for (const href of links.filter((h) => h.endsWith('.h') || h.endsWith('.md'))) {
      const status = await page.evaluate(async (h) => (await fetch(h)).status, href);
      assert.equal(status, 200, `${href} is served`);
    }
    assert.deepEqual(await page.evaluate(layoutProblems), []);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

for (const [name, spec] of Object.entries(PAGES)) {
  test(`${name}: caption, snippet, links, layout, default run and bad URL values at 1280 and 390 px`, async () => {
    for (const [i, vp] of VIEWPORTS.entries()) {
      const { page, errors } = await openPage(browser.context, null);
      await page.addInitScript(recordCanvasText);
      await page.setViewportSize(vp);
      await page.goto(`${server.url}${name}/index.html`);
      await page.waitForFunction(() => window.__ready === true, null, { timeout: 30000 });

      const caption = await page.textContent('#caption');
      assert.match(caption, /What you are looking at:/);
      assert.match(caption, /Try this:/);
      const snippet = await page.textContent('code[data-snippet]');
      assert.match(snippet, new RegExp(`#include "${spec.header.replace('.', '\\.')}"`), 'the snippet includes the header');
      const links = await page.$$eval('#about a', (a) => a.map((e) => e.getAttribute('href')));
      assert.ok(links.includes(`../${spec.header}`) && links.includes('../README.md'), links.join(' '));
      assert.ok(links.some((h) => /^https:\/\//.test(h)), 'a paper is cited with a link');
      for (const href of [`../${spec.header}`, '../README.md']) {
        assert.equal(await page.evaluate(async (h) => (await fetch(h)).status, href), 200, `${href} is served`);
      }
      assert.deepEqual(await page.evaluate(layoutProblems), [], `${name} at ${vp.width} px`);
      // the buttons that move the figure, and at least 200 px of the figure, on the first screen
      const firstScreen = spec.firstScreen && (spec.firstScreen.widths || [vp.width]).includes(vp.width) ? spec.firstScreen : null;
      for (const id of firstScreen ? firstScreen.controls : []) {
        const box = await page.locator(id).boundingBox();
        assert.ok(box && box.y >= 0 && box.y + box.height <= vp.height, `${name} at ${vp.width} px: ${id} at ${box && box.y}`);
      }
      if (firstScreen) {
        const box = await page.locator(firstScreen.figure).boundingBox();
        assert.ok(box.y + Math.min(200, box.height) <= vp.height, `${name} at ${vp.width} px: the figure starts at ${box.y}`);
      }

      const s = spec.success;
      if (!s.once || i === VIEWPORTS.length - 1) {
        if (s.click) await page.click(s.click);
        await page.waitForFunction(s.wait, null, { timeout: 240000, polling: 250 });
        if (s.check) assert.equal(await page.evaluate(s.check), '', `${name}: the default run`);
      }
      assert.deepEqual(await page.evaluate(layoutProblems), [], `${name} at ${vp.width} px, after the run`);
      await page.screenshot({ path: path.join(ensureScreenshotDir(), `${name}-${vp.width}.png`), fullPage: true });
      assert.deepEqual(errors, []);
      await page.close();
    }
    // bad URL values: a visible message naming the parameter, and the page still works
    const bad = await openPage(browser.context, `${server.url}${name}/index.html${spec.bad}`);
    const messages = await bad.page.$$eval('.errors li', (li) => li.filter((e) => e.offsetParent !== null).map((e) => e.textContent));
    const first = spec.bad.slice(1).split('&')[0].split('=')[0];
    assert.ok(messages.some((m) => m.startsWith(`${first} in the URL`)), `${name}: ${JSON.stringify(messages)}`);
    assert.deepEqual(bad.errors, []);
    await bad.page.close();

    // the speed control's position travels in the URL (speed=0|1|2, the shield page's index);
    // a bad value is answered with a message
    const slow = await openPage(browser.context, `${server.url}${name}/index.html?speed=0`);
    assert.equal(await slow.page.$eval('#speed', (el) => el.value), '0', `${name}: speed=0 opens slow`);
    assert.equal(new URL(slow.page.url()).searchParams.get('speed'), '0', `${name}: the page's URL keeps speed=0`);
    await slow.page.$eval('#speed', (el) => { el.value = '1'; el.dispatchEvent(new Event('input')); });
    assert.equal(new URL(slow.page.url()).searchParams.get('speed'), '1', `${name}: moving the slider writes speed`);
    assert.deepEqual(slow.errors, []);
    await slow.page.close();
    const fast = await openPage(browser.context, `${server.url}${name}/index.html?speed=fast`);
    const answer = await fast.page.$$eval('.errors li', (li) => li.filter((e) => e.offsetParent !== null).map((e) => e.textContent));
    assert.ok(answer.some((m) => m.startsWith('speed in the URL')), `${name}: ${JSON.stringify(answer)}`);
    assert.deepEqual(fast.errors, []);
    await fast.page.close();
  });
}

test('keyboard paths: NAS edge selection, shield map painting, GP drawing', async () => {
  const nas = await openPage(browser.context, `${server.url}nas/index.html`);
  await nas.page.focus('#view');
  await nas.page.keyboard.press('ArrowDown');
  await nas.page.keyboard.press('ArrowDown');
  assert.equal(await nas.page.evaluate(() => window.__nas.settings.edge), 2);
  assert.deepEqual(nas.errors, []);
  await nas.page.close();

  const shield = await openPage(browser.context, `${server.url}shield/index.html`);
  const width = await shield.page.evaluate(() => window.__shield.world.width);
  const target = width + 1; // one right and one down from the top-left cell
  // paint with a kind the target cell does not have
  const kind = await shield.page.evaluate((t) => (window.__shield.world.kinds[t] === 0 ? 1 : 0), target);
  await shield.page.click(`#palette input[value="${kind}"]`);
  const before = await shield.page.evaluate(() => window.__shield.world.kinds.slice());
  await shield.page.focus('#map');
  await shield.page.keyboard.press('ArrowRight');
  await shield.page.keyboard.press('ArrowDown');
  await shield.page.keyboard.press('Space');
  const after = await shield.page.evaluate(() => window.__shield.world.kinds.slice());
  const changed = after.map((k, i) => (k !== before[i] ? i : -1)).filter((i) => i >= 0);
  assert.ok(changed.includes(target) && after[target] === kind, `painted cells ${changed}`);
  assert.deepEqual(shield.errors, []);
  await shield.page.close();

  const gp = await openPage(browser.context, `${server.url}gp/index.html?fn=draw`);
  await gp.page.focus('#view');
  for (let i = 0; i < 5; ++i) await gp.page.keyboard.press('ArrowUp');
  assert.match(await gp.page.textContent('#draw-status'), /^drawing at x = /);
  assert.deepEqual(gp.errors, []);
  await gp.page.close();
});

// A finger through the browser's own touch input (Chrome DevTools Protocol, touch emulation on):
// a tap or a drag at CSS pixel (x, y) of the page.
async function touch(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
  const drag = async (points) => {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: points[0][0], y: points[0][1] }] });
    for (const [x, y] of points.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  };
  return { tap: (x, y) => drag([[x, y]]), drag }; // a tap: down and up in place (the browser makes it a click)
}

test('touch works where the mouse does: NAS edge selection, shield map painting, GP drawing', async () => {
  const nas = await openPage(browser.context, `${server.url}nas/index.html`);
  const box = await nas.page.locator('#view').boundingBox();
  const height = await nas.page.evaluate(() => document.getElementById('view').height);
  const finger = await touch(nas.page);
  await finger.tap(box.x + box.width * 0.3, box.y + ((56 + 4.5 * 36) / height) * box.height); // the fifth row
  await nas.page.waitForFunction(() => window.__nas.settings.edge === 4);
  assert.deepEqual(nas.errors, []);
  await nas.page.close();

  const shield = await openPage(browser.context, `${server.url}shield/index.html`);
  const kind = await shield.page.evaluate(() => (window.__shield.world.kinds[1] === 0 ? 1 : 0));
  await shield.page.click(`#palette input[value="${kind}"]`);
  const before = await shield.page.evaluate(() => window.__shield.world.kinds.slice());
  const map = await shield.page.locator('#map').boundingBox();
  // the page's cell size in canvas pixels (shield/app.js cellSize), then CSS pixels
  const cells = await shield.page.evaluate(() => {
    const c = document.getElementById('map'), w = window.__shield.world;
    return [w.width, Math.floor(Math.min(c.width / w.width, c.height / w.height)), c.width, c.height];
  });
  const cell = (cx, cy) => [map.x + ((cx + 0.5) * cells[1] * map.width) / cells[2], map.y + ((cy + 0.5) * cells[1] * map.height) / cells[3]];
  await (await touch(shield.page)).drag([cell(1, 0), cell(2, 0), cell(3, 0)]);
  await shield.page.waitForFunction((b) => window.__shield.world.kinds.some((k, i) => k !== b[i]), before);
  const after = await shield.page.evaluate(() => window.__shield.world.kinds.slice());
  const changed = after.map((k, i) => (k !== before[i] ? i : -1)).filter((i) => i >= 0);
  assert.ok(changed.length > 0 && changed.every((i) => after[i] === kind && Math.floor(i / cells[0]) === 0), `painted ${changed}`);
  assert.deepEqual(shield.errors, []);
  await shield.page.close();

  const gp = await openPage(browser.context, `${server.url}gp/index.html?fn=draw`);
  const start = await gp.page.evaluate(() => window.__state.drawn.f.slice());
  const view = await gp.page.locator('#view').boundingBox();
  await (await touch(gp.page)).drag([[view.x + view.width * 0.3, view.y + view.height * 0.1],
    [view.x + view.width * 0.35, view.y + view.height * 0.1], [view.x + view.width * 0.4, view.y + view.height * 0.1]]);
  await gp.page.waitForFunction((f) => window.__state.drawn.f.some((v, i) => Math.abs(v - f[i]) > 0.1), start);
  // outside draw mode a finger on the figure scrolls the page: the figure does not take it
  assert.equal(await gp.page.evaluate(() => getComputedStyle(document.getElementById('view')).touchAction), 'none');
  await gp.page.selectOption('#fn', 'bump');
  assert.equal(await gp.page.evaluate(() => getComputedStyle(document.getElementById('view')).touchAction), 'auto');
  assert.deepEqual(gp.errors, []);
  await gp.page.close();
});
