// nas_browser.mjs - the supernet step of bench/nas.c compiled to WebAssembly, timed in Debian's
// chromium (the browser the pages run in; its V8 is newer than node's).
//   node bench/nas_browser.mjs DIR BATCH N1 N2
// DIR holds bench_nas.js and bench_nas.wasm built with -sENVIRONMENT=web. A page has no CPU clock
// (performance.now is wall time, which on a shared machine counts the time others held the
// core), so the CPU time is read from outside: the scheduler's on-CPU nanoseconds of the renderer's
// main thread (/proc/PID/task/PID/schedstat), where the module runs. Its other threads compile
// (V8 moves hot functions to the optimising tier there) and come and go, so a sum over them loses
// a thread's time when it ends. In one page, main runs `nas steps BATCH N1` three times to bring
// the code to the optimising tier, then seven pairs of runs of N1 and N2 steps, alternating; one
// step's CPU time is the difference of the two lengths' median run times over N2 - N1 (the set-up
// of each run cancels; medians, as bench/nas.c's own, because a run that shared its core with
// another program's burst takes longer in CPU time too). Printed in bench/nas.c's format:
//   supernet forward+backward, batch B: median W ms (CPU C ms), chromium VERSION
// (W: the program's own median wall time of the last N2 run).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { createRequire } from 'node:module';
import { serve, chromiumPath, chromiumArgs } from '../tests/browser/harness.mjs';

const [dir, batch, n1, n2] = process.argv.slice(2);
if (!dir || !(Number(n2) > Number(n1)) || !(Number(n1) > 0) || !(Number(batch) > 0)) {
  console.error('usage: node bench/nas_browser.mjs DIR BATCH N1 N2   (N2 > N1 > 0)');
  process.exit(2);
}
if (!fs.existsSync(path.join(dir, 'bench_nas.js'))) {
  console.error(`${path.join(dir, 'bench_nas.js')}: not built (bench/run_nas.sh builds it)`);
  process.exit(2);
}
fs.writeFileSync(path.join(dir, 'blank.html'), '<!doctype html><meta charset="utf-8"><title>bench</title>\n');

// The processes descended from this one (chromium is our child) whose command line is a renderer's.
function parentOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}
function renderers() {
  return fs.readdirSync('/proc').filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      if (!fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type=renderer')) return false;
    } catch {
      return false;
    }
    for (let q = Number(p); q > 1; q = parentOf(q)) if (q === process.pid) return true;
    return false;
  });
}
function mainThreadNs() {
  let ns = 0;
  for (const p of renderers()) {
    try { ns += Number(fs.readFileSync(`/proc/${p}/task/${p}/schedstat`, 'utf8').split(' ')[0]); } catch { /* ended */ }
  }
  return ns;
}

const server = await serve(dir);
// The tests' browser, with one V8 flag: --no-liftoff compiles the module with the optimising
// compiler before it runs. By default V8 starts in its baseline tier and moves hot functions up
// on background threads; on a loaded machine those threads wait, the main thread runs baseline
// code for longer, and the step's CPU time spread 10-19 ms over rounds (node's 10-11 ms). The
// optimised code is the same either way; only the time before it arrives changes.
const { chromium } = createRequire(new URL('../web/package.json', import.meta.url))('playwright-core');
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'saferl-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath, headless: true, args: [...chromiumArgs, '--js-flags=--no-liftoff'], timeout: 60000,
});
const browser = {
  context,
  close: async () => { await context.close().catch(() => {}); fs.rmSync(profile, { recursive: true, force: true }); },
};
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}blank.html`);
  // (the output goes to window.benchOutput: emscripten's glue has a global named `out` of its own)
  await page.evaluate((args) => new Promise((resolve, reject) => {
    window.benchOutput = [];
    window.Module = {
      arguments: args,
      print: (t) => window.benchOutput.push(t),
      printErr: (t) => window.benchOutput.push(t),
      onRuntimeInitialized: () => setTimeout(resolve, 0),
      onAbort: (what) => reject(new Error(`aborted: ${what}`)),
    };
    const s = document.createElement('script');
    s.src = 'bench_nas.js';
    s.onerror = () => reject(new Error('bench_nas.js did not load'));
    document.body.appendChild(s);
  }), ['steps', batch, n1]);
  const run = async (n) => {
    const before = mainThreadNs();
    const line = await page.evaluate((args) => {
      window.benchOutput = [];
      window.Module.callMain(args);
      return window.benchOutput[0] || '';
    }, ['steps', batch, String(n)]);
    return { ns: mainThreadNs() - before, line };
  };
  await run(Number(n1));
  await run(Number(n1));
  const shorts = [], longs = [];
  let long;
  for (let i = 0; i < 7; ++i) {
    shorts.push((await run(Number(n1))).ns);
    long = await run(Number(n2));
    longs.push(long.ns);
  }
  const median = (v) => v.sort((x, y) => x - y)[v.length >> 1];
  const cpuMs = (median(longs) - median(shorts)) / 1e6 / (Number(n2) - Number(n1));
  // the full version (the user agent string gives only the major one)
  const version = (execFileSync(chromiumPath, ['--version'], { encoding: 'utf8' }).match(/[0-9]+(\.[0-9]+)+/) || ['?'])[0];
  const wall = long.line.match(/median ([0-9.]+) ms/);
  if (!wall || !(cpuMs > 0)) throw new Error(`unexpected output or CPU time: "${long.line}", ${cpuMs} ms`);
  console.log(`supernet forward+backward, batch ${batch}: median ${wall[1]} ms (CPU ${cpuMs.toFixed(3)} ms), ` +
    `chromium ${version}`);
} finally {
  await browser.close();
  await server.close();
}
