// The API documentation pages in a real browser, offline: starts the server (secondary site,
// against the local stack whose addresses are in the environment), opens /docs (Swagger UI) and
// /redoc (ReDoc) in Debian's Chromium driven by puppeteer-core, and checks that
// - the pages list the API's endpoints (rendered from the server's /openapi.json),
// - "Try it out" of GET /health runs against the same server and shows 200,
// - no request left the server: the browser may reach only the server (request interception
//   aborts and records anything else; a proxy that goes nowhere catches the rest), and the
//   pages' Content-Security-Policy should have stopped any attempt before it got that far,
// - asset names outside the allow-list, path traversal included, are 404.
// Screenshots of both pages go to the output directory.
//
// Usage: node docs_pages.mjs --server BINARY --web WEB_DIR --out SCREENSHOT_DIR
// Exit code 0 when every check passes. Every wait is bounded (30 s), and so is the whole run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const kWaitMs = 30_000;
const kWholeRunMs = 110_000;
const kChromium = process.env.CHROMIUM || '/usr/bin/chromium';

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const key of ['server', 'web', 'out']) {
    if (!out[key]) throw new Error(`missing --${key}`);
  }
  return out;
}

const options = args();
// puppeteer-core is one of web/'s packages (web/package-lock.json), not this directory's.
const puppeteer = createRequire(path.join(options.web, 'package.json'))('puppeteer-core');

const failures = [];
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// GET of a raw request target: dot segments are sent as they are, nothing normalises them.
function rawGet(port, target) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: target, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${target} timed out`)));
    request.on('error', reject);
  });
}

async function waitForHealth(port, server) {
  const deadline = Date.now() + kWaitMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      const r = await rawGet(port, '/health');
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not answer /health with 200 within 30 s');
}

// The server's environment: the stack's addresses from ours (`scripts/stack.sh env`), as the
// C++ integration tests pass them on, and a site of its own on a free port.
function serverEnvironment(port, tmp) {
  const env = {};
  const kept = ['MAIN_DB_', 'LOCAL_DB_', 'REDIS_', 'SITE_NAME', 'PATH', 'HOME', 'ASAN_OPTIONS',
                'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'TSAN_OPTIONS'];
  for (const [key, value] of Object.entries(process.env)) {
    if (kept.some((prefix) => key.startsWith(prefix))) env[key] = value;
  }
  return { ...env, SITE_TYPE: 'secondary', HTTP_ADDRESS: '127.0.0.1', HTTP_PORT: String(port),
           JOURNAL_PATH: path.join(tmp, 'ops-db-api.journal'), LOG_LEVEL: 'info' };
}

// Every response of the documentation routes carries the policy.
async function checkHeadersAndAllowList(port) {
  for (const target of ['/docs', '/redoc', '/docs/assets/swagger-ui-bundle.js',
                        '/docs/assets/redoc.standalone.js', '/docs/assets/docs-init.js']) {
    const r = await rawGet(port, target);
    check(r.status === 200, `GET ${target}: ${r.status}`);
    const csp = r.headers['content-security-policy'] || '';
    check(csp.includes("default-src 'self'") && csp.includes("script-src 'self';"),
          `GET ${target} carries the Content-Security-Policy`);
  }
  for (const target of ['/docs/assets/../../etc/passwd', '/docs/assets/..%2F..%2Fetc%2Fpasswd',
                        '/docs/assets/%2e%2e/%2e%2e/etc/passwd', '/docs/assets/package.json',
                        '/docs/assets/unknown.js']) {
    const r = await rawGet(port, target);
    check(r.status === 404 && !r.body.includes('root:'), `GET ${target}: ${r.status}, not served`);
  }
}

// A page whose requests may go to the server only; everything else is aborted and recorded.
async function openGuardedPage(browser, origin, blocked, problems) {
  const page = await browser.newPage();
  page.setDefaultTimeout(kWaitMs);
  await page.setViewport({ width: 1280, height: 900 });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:')) {
      request.continue();
    } else {
      blocked.push(url);
      request.abort('blockedbyclient');
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  return page;
}

// The operation paths a page shows, as the check below compares them: without the zero-width
// spaces Swagger UI puts into long paths.
const kExpectedPaths = ['/executed_obs_units/start', '/health'];

async function checkSwaggerUi(browser, origin, blocked, problems) {
  const page = await openGuardedPage(browser, origin, blocked, problems);
  await page.goto(`${origin}/docs`, { waitUntil: 'load' });
  const listed = await page
    .waitForFunction(
      (paths) => {
        const shown = [...document.querySelectorAll('.opblock-summary-path')].map(
          (e) => e.getAttribute('data-path') || e.textContent.replace(/\u200b/g, ''));
        return paths.every((p) => shown.includes(p)) ? shown.length : 0;
      },
      { timeout: kWaitMs },
      kExpectedPaths)
    .then((handle) => handle.jsonValue())
    .catch(() => 0);
  check(listed > 0, `/docs lists ${kExpectedPaths.join(' and ')} (${listed} operations)`);
  await page.screenshot({ path: path.join(options.out, 'docs.png') });
  console.log(`     screenshot ${path.join(options.out, 'docs.png')}`);
  if (!listed) return page.close();

  // "Try it out" is on by default: open GET /health and execute it.
  const opened = await page.evaluate(() => {
    const block = [...document.querySelectorAll('.opblock.opblock-get')].find(
      (b) => b.querySelector('.opblock-summary-path[data-path="/health"]'));
    if (!block) return false;
    (block.querySelector('.opblock-summary-control') || block.querySelector('.opblock-summary'))
      .click();
    return true;
  });
  check(opened, '/docs has an operation block for GET /health');
  if (!opened) return page.close();
  const executeSelector = '.opblock.is-open .btn.execute';
  const executable = await page.waitForSelector(executeSelector, { timeout: kWaitMs })
    .then(() => true).catch(() => false);
  check(executable, 'GET /health offers Execute (Try it out enabled)');
  if (executable) {
    await page.click(executeSelector);
    const status = await page
      .waitForFunction(
        () => {
          const cell = document.querySelector(
            '.opblock.is-open .live-responses-table tr.response .response-col_status');
          return cell && cell.textContent.trim();
        },
        { timeout: kWaitMs })
      .then((handle) => handle.jsonValue())
      .catch(() => '');
    check(status === '200', `Try it out of GET /health shows response code ${status || 'none'}`);
  }
  await page.close();
}

async function checkRedoc(browser, origin, blocked, problems) {
  const page = await openGuardedPage(browser, origin, blocked, problems);
  await page.goto(`${origin}/redoc`, { waitUntil: 'load' });
  // Each operation shows its method (.http-verb) followed by its path.
  const listed = await page
    .waitForFunction(
      (paths) => {
        const shown = [...document.querySelectorAll('.http-verb')].map(
          (e) => (e.nextElementSibling ? e.nextElementSibling.textContent.trim() : ''));
        return paths.every((p) => shown.includes(p)) ? shown.length : 0;
      },
      { timeout: kWaitMs },
      kExpectedPaths)
    .then((handle) => handle.jsonValue())
    .catch(() => 0);
  check(listed > 0, `/redoc lists ${kExpectedPaths.join(' and ')} (${listed} operations)`);
  await page.screenshot({ path: path.join(options.out, 'redoc.png') });
  console.log(`     screenshot ${path.join(options.out, 'redoc.png')}`);
  await page.close();
}

async function main() {
  fs.mkdirSync(options.out, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-db-api-browser-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = serverEnvironment(port, tmp);

  // The schema the server reads and writes; idempotent.
  const migrate = spawnSync(options.server, ['migrate'], { env, cwd: '/', timeout: kWaitMs,
                                                          encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.stderr}`);

  const log = fs.openSync(path.join(tmp, 'server.log'), 'w');
  // Outside the source tree, so no developer's .env is read; DOCS_ASSETS_DIR unset, so the
  // server finds its pages beside its binary, as a developer's and an installed one does.
  const server = spawn(options.server, ['serve'], { env, cwd: '/', stdio: ['ignore', log, log] });
  let browser;
  const stopAll = () => {
    if (server.exitCode === null) server.kill('SIGKILL');
  };
  process.on('exit', stopAll);
  const wholeRun = setTimeout(() => {
    console.log(`FAIL the whole run took more than ${kWholeRunMs / 1000} s`);
    stopAll();
    if (browser) browser.process()?.kill('SIGKILL');
    process.exit(1);
  }, kWholeRunMs);
  try {
    await waitForHealth(port, server);
    await checkHeadersAndAllowList(port);

    browser = await puppeteer.launch({
      executablePath: kChromium,
      headless: true,
      timeout: kWaitMs,
      protocolTimeout: kWaitMs,
      args: [
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        // Anything interception let through to another host would meet a proxy that answers
        // nothing (port 9, discard); only the server is reached directly.
        '--proxy-server=127.0.0.1:9',
        '--proxy-bypass-list=127.0.0.1',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const blocked = [];
    const problems = [];
    await checkSwaggerUi(browser, origin, blocked, problems);
    await checkRedoc(browser, origin, blocked, problems);
    for (const url of blocked) console.log(`     blocked: ${url}`);
    check(blocked.length === 0, `no request left the server (${blocked.length} blocked)`);
    // What the policy stopped inside the browser (ReDoc's hosted logo, for one) never became a
    // request: reported, not a failure; that is what the policy is for.
    for (const problem of problems) console.log(`     seen: ${problem}`);
  } finally {
    clearTimeout(wholeRun);
    if (browser) await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      const exited = await Promise.race([
        new Promise((resolve) => server.once('exit', () => resolve(true))),
        new Promise((resolve) => setTimeout(() => resolve(false), kWaitMs)),
      ]);
      if (!exited) server.kill('SIGKILL');
    }
    const text = fs.readFileSync(path.join(tmp, 'server.log'), 'utf8');
    if (failures.length || /Sanitizer:|: runtime error: /.test(text)) {
      console.log(`--- server log\n${text}`);
    }
    check(!/Sanitizer:|: runtime error: /.test(text), 'no sanitizer report in the server log');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main()
  .catch((error) => {
    console.log(`FAIL ${error.stack || error}`);
    failures.push(String(error));
  })
  .finally(() => {
    console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
    process.exit(failures.length ? 1 : 0);
  });
