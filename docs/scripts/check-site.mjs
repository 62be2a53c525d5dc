#!/usr/bin/env node
/**
 * Browser check of the built site (docs/.vitepress/dist) in headless Chromium via playwright-core:
 *   - serves dist on 127.0.0.1 with a tiny static server (no network beyond loopback);
 *   - opens every page (every .html file in dist except 404.html) and fails on any console
 *     error, page error or failed request (4xx/5xx);
 *   - checks that every internal link on every page resolves to a file the server returns (200);
 *   - types "HydraLoRA" into the local search box and expects results;
 *   - screenshots the home page and the results page into $HYDRALORA_SCREENS_DIR, and fails when a
 *     table on them is wider than the 1280 px page (a column scrolled out of view)
 *     (default docs/.vitepress/dist/screens/).
 * Exits 1 with a list of every failure. Env: CHROMIUM_PATH (default /usr/bin/chromium),
 * HYDRALORA_CHECK_TABS (pages opened in parallel, default 3), HYDRALORA_CHECK_ONLY (a regex:
 * check only the pages whose path matches, for a quick run while writing).
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const docsRoot = fileURLToPath(new URL('..', import.meta.url));
const dist = join(docsRoot, '.vitepress', 'dist');
const screensDir = resolve(process.env.HYDRALORA_SCREENS_DIR ?? join(dist, 'screens'));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const TABS = Number(process.env.HYDRALORA_CHECK_TABS ?? 3);
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain',
};

function htmlFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'screens' ? [] : htmlFiles(path);
    return name.endsWith('.html') && name !== '404.html' ? [path] : [];
  });
}

/** The file a URL path maps to, as VitePress's own preview server maps it (or undefined). */
function fileFor(urlPath) {
  let path = decodeURIComponent(urlPath.split(/[?#]/)[0]);
  if (path.endsWith('/')) path += 'index.html';
  const file = resolve(dist, `.${path}`);
  if (file !== dist && !file.startsWith(dist + sep)) return undefined;
  for (const candidate of [file, `${file}.html`]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function serve() {
  const server = createServer((req, res) => {
    const file = fileFor(new URL(req.url, 'http://127.0.0.1').pathname);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function main() {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`check-site: ${dist}/index.html is missing: build the site first (pnpm build)`);
  }
  if (!existsSync(executablePath)) {
    throw new Error(
      `check-site: no Chromium at ${executablePath}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  const started = Date.now();
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const only = process.env.HYDRALORA_CHECK_ONLY ? new RegExp(process.env.HYDRALORA_CHECK_ONLY) : null;
  const pages = htmlFiles(dist)
    .map((f) => `/${relative(dist, f).split(sep).join('/')}`)
    .filter((p) => !only || only.test(p))
    .sort();
  const failures = [];
  const checkedLinks = new Map();
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const watch = (page, label) => {
      page.on('console', (msg) => {
        if (msg.type() === 'error') failures.push(`${label()}: console error: ${msg.text()}`);
      });
      page.on('pageerror', (error) => failures.push(`${label()}: page error: ${error.message}`));
      page.on('requestfailed', (req) => {
        // ERR_ABORTED: VitePress prefetching a linked page's chunk, cancelled when we navigate on.
        const reason = req.failure()?.errorText ?? '';
        if (!reason.includes('ERR_ABORTED'))
          failures.push(`${label()}: request failed: ${req.url()} (${reason})`);
      });
      page.on('response', (res) => {
        if (res.status() >= 400) failures.push(`${label()}: HTTP ${res.status()} for ${res.url()}`);
      });
    };

    /** Open one page: it must answer 200, render its content, and have only resolvable links. */
    const visit = async (page, path) => {
      const response = await page.goto(origin + path, { waitUntil: 'load' });
      if (response?.status() !== 200) failures.push(`${path}: HTTP ${response?.status()}`);
      await page.waitForSelector('#app .VPContent', { timeout: 15_000 }).catch(() => {
        failures.push(`${path}: the page content did not render`);
      });
      const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')));
      for (const href of hrefs) {
        if (!href || /^(https?:|mailto:|javascript:)/.test(href) || href.startsWith('#')) continue;
        const key = new URL(href, origin + path).pathname;
        if (!checkedLinks.has(key))
          checkedLinks.set(
            key,
            fetch(origin + key).then((r) => r.status),
          );
        const status = await checkedLinks.get(key);
        if (status !== 200) failures.push(`${path}: link ${href} → HTTP ${status}`);
      }
    };

    // A few tabs share the queue of pages.
    const queue = [...pages];
    await Promise.all(
      Array.from({ length: TABS }, async () => {
        const page = await context.newPage();
        let current = '';
        watch(page, () => current);
        for (let path = queue.shift(); path; path = queue.shift()) {
          current = path;
          await visit(page, path);
        }
        await page.close();
      }),
    );

    const page = await context.newPage();
    let current = '';
    watch(page, () => current);
    mkdirSync(screensDir, { recursive: true });
    for (const [path, name] of [
      ['/index.html', 'home.png'],
      ['/results.html', 'results.png'],
      ['/concepts/index.html', 'concepts.png'],
    ]) {
      current = path;
      await page.goto(origin + path, { waitUntil: 'networkidle' });
      await page.screenshot({ path: join(screensDir, name), fullPage: true });
      // Every table fits the 1280 px page: no column (e.g. the results' overall) scrolled out of view.
      const wide = await page.$$eval('.vp-doc table', (tables) =>
        tables
          .map((t, i) => ({
            i,
            scroll: t.scrollWidth,
            client: t.clientWidth,
            right: t.getBoundingClientRect().right,
          }))
          .filter((t) => t.scroll > t.client + 1 || t.right > window.innerWidth),
      );
      for (const t of wide) {
        failures.push(
          `${path}: table ${t.i + 1} is wider than the page at 1280 px (${t.scroll} px of content in ${t.client} px)`,
        );
      }
    }

    current = 'search';
    await page.goto(`${origin}/index.html`, { waitUntil: 'networkidle' });
    await page.click('.VPNavBarSearch button');
    const input = page.locator('.VPLocalSearchBox input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('HydraLoRA');
    const results = page.locator('.VPLocalSearchBox .results li');
    await results
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(() => {});
    const count = await results.count();
    if (count === 0) failures.push('search: "HydraLoRA" found no results');
    else {
      const first = ((await results.first().textContent()) ?? '').replace(/\s+/g, ' ').slice(0, 80);
      console.log(`search: "HydraLoRA" → ${count} results (first: ${first})`);
    }
    await page.screenshot({ path: join(screensDir, 'search.png') });
    await context.close();
  } finally {
    await browser.close();
    server.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `check-site: ${pages.length} pages, ${checkedLinks.size} distinct internal links, screenshots in ${screensDir} (${seconds} s)`,
  );
  if (failures.length > 0) {
    console.error(
      `check-site: ${failures.length} failure(s):\n${[...new Set(failures)].map((f) => `  - ${f}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log('check-site: OK');
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
