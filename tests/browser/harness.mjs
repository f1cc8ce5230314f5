// harness.mjs - shared helpers of the browser tests: a loopback static server for build/web/
// and Debian's chromium driven through playwright-core (which never downloads a browser).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// node_modules lives in web/, so resolve playwright-core from there.
const requireFromWeb = createRequire(new URL('../../web/package.json', import.meta.url));

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const webRoot = path.join(repoRoot, 'build', 'web');
export const screenshotDir = path.join(repoRoot, 'build', 'screenshots');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.h': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

// Serves root on 127.0.0.1 (port 0: a free one). Resolves to { url, close() }; url ends with '/'.
export async function serve(root = webRoot, port = 0) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = path.join(base, rel);
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    if (rel.endsWith('/')) file = path.join(file, 'index.html');
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      const type = MIME[path.extname(file).toLowerCase()] || 'application/octet-stream';
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': stat.size, 'Cache-Control': 'no-store' });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

export const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Launches chromium with a fresh temporary profile. Resolves to { context, close() };
// close() also removes the profile.
export async function launchBrowser({ width = 1280, height = 1400 } = {}) {
  const { chromium } = requireFromWeb('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'saferl-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width, height },
    timeout: 60000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// A new page that records page errors and console errors into the returned array.
export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.setDefaultTimeout(20000);
  if (url) {
    await page.goto(url);
    await page.waitForFunction(() => window.__ready === true, null, { timeout: 20000 });
  }
  return { page, errors };
}

export function ensureScreenshotDir() {
  fs.mkdirSync(screenshotDir, { recursive: true });
  return screenshotDir;
}

// A page's WebAssembly module in node: build/web/<name>/<name>.mjs is built for the browser, where
// it compiles <name>.wasm while fetching it; node's fetch cannot read a file, so the bytes are given.
export async function loadModule(name) {
  const dir = path.join(webRoot, name);
  const { default: factory } = await import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
  return factory({ wasmBinary: fs.readFileSync(path.join(dir, `${name}.wasm`)) });
}

// True when build/web holds the given files (relative to build/web); tests skip otherwise.
export function built(...files) {
  return files.every((f) => fs.existsSync(path.join(webRoot, f)));
}

// As a program: node tests/browser/harness.mjs serve [dir] [port]  (make serve)
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, dir = webRoot, port = '8000'] = process.argv.slice(2);
  if (command !== 'serve') {
    console.error('usage: node tests/browser/harness.mjs serve [dir] [port]');
    process.exit(2);
  }
  const { url } = await serve(path.resolve(dir), Number(port));
  console.log(`serving ${path.resolve(dir)} on ${url} (Ctrl-C stops)`);
}
