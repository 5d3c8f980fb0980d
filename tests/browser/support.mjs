// What the browser tests share: their command line, the checks and how a run ends, the server
// started against the local stack (whose addresses are in the environment, from
// `scripts/stack.sh env`), Debian's Chromium driven by puppeteer-core, and pages that may reach
// that server only.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export const kWaitMs = 30_000;
export const kChromium = process.env.CHROMIUM || '/usr/bin/chromium';

/// `--name value` pairs; every name of `required` must be there.
export function parseArgs(required) {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const key of required) {
    if (!out[key]) throw new Error(`missing --${key}`);
  }
  return out;
}

/// puppeteer-core is one of web/'s packages (web/package-lock.json), not this directory's.
export function loadPuppeteer(webDir) {
  return createRequire(path.resolve(webDir, 'package.json'))('puppeteer-core');
}

export const failures = [];
export function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
}

/// Thrown when the test cannot run here (not a failure): the run ends with kSkipCode.
export class Skip extends Error {}
export const kSkipCode = 77;

// Synchronous steps that undo what a run changed outside itself (a stopped database, a running
// server), for a run that must end at once; last registered runs first.
const emergencySteps = [];
export function onEmergency(step) {
  emergencySteps.push(step);
  return () => {
    const at = emergencySteps.indexOf(step);
    if (at >= 0) emergencySteps.splice(at, 1);
  };
}
function runEmergencySteps() {
  while (emergencySteps.length) {
    try {
      emergencySteps.pop()();
    } catch (error) {
      console.log(`     cleaning up: ${error.message || error}`);
    }
  }
}

/// Runs `main`, bounded by `wholeRunMs`; exits 0 when every check passed, kSkipCode when the
/// test could not run here, 1 otherwise.
export function run(main, wholeRunMs) {
  const wholeRun = setTimeout(() => {
    console.log(`FAIL the whole run took more than ${wholeRunMs / 1000} s`);
    runEmergencySteps();
    process.exit(1);
  }, wholeRunMs);
  let skipped = null;
  main()
    .catch((error) => {
      if (error instanceof Skip) {
        skipped = error.message;
        return;
      }
      console.log(`FAIL ${error.stack || error}`);
      failures.push(String(error));
    })
    .finally(() => {
      clearTimeout(wholeRun);
      runEmergencySteps();
      if (skipped !== null && failures.length === 0) {
        console.log(`SKIP ${skipped}`);
        process.exit(kSkipCode);
      }
      console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
      process.exit(failures.length ? 1 : 0);
    });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/// Polls `condition` (sync or async) until it returns a truthy value or `limitMs` passed;
/// returns that value, or the last falsy one.
export async function waitFor(condition, limitMs, pollMs = 100) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    let value;
    try {
      value = await condition();
    } catch {
      value = undefined;
    }
    if (value || Date.now() >= deadline) return value;
    await sleep(pollMs);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/// One HTTP request of a raw request target (dot segments are sent as they are, nothing
/// normalises them): {status, headers, body, json()}.
export function httpRequest(port, method, target, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        timeout: 5_000,
        headers: {
          ...headers,
          ...(payload === undefined
            ? {}
            : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text),
          }));
      });
    request.on('timeout', () => request.destroy(new Error(`${method} ${target} timed out`)));
    request.on('error', reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

export function rawGet(port, target, headers = {}) {
  return httpRequest(port, 'GET', target, { headers });
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
    await sleep(100);
  }
  throw new Error('the server did not answer /health with 200 within 30 s');
}

// The server's environment: the stack's addresses from ours (`scripts/stack.sh env`), as the
// C++ integration tests pass them on, and a site of its own on a free port; `extra` last.
function serverEnvironment(port, tmp, extra) {
  const env = {};
  const kept = ['MAIN_DB_', 'LOCAL_DB_', 'REDIS_', 'SITE_NAME', 'PATH', 'HOME', 'ASAN_OPTIONS',
                'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'TSAN_OPTIONS'];
  for (const [key, value] of Object.entries(process.env)) {
    if (kept.some((prefix) => key.startsWith(prefix))) env[key] = value;
  }
  return { ...env, SITE_TYPE: 'secondary', HTTP_ADDRESS: '127.0.0.1', HTTP_PORT: String(port),
           JOURNAL_PATH: path.join(tmp, 'ops-db-api.journal'), LOG_LEVEL: 'info', ...extra };
}

/// Runs a subcommand of the server binary (migrate, token create, ...) with the server's
/// environment; its standard output, or an exception with its standard error.
export function serverCommand(site, args) {
  const r = spawnSync(site.binary, args, { env: site.env, cwd: '/', timeout: kWaitMs,
                                           encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`ops-db-api ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout;
}

/// Migrates the main database and starts the server (secondary site) on a free port; resolves
/// once it answers /health. `site.stop()` ends it and checks its log.
export async function startServer(binaryPath, extraEnv = {}) {
  // The server runs in /: a path relative to here would not find it.
  const binary = path.resolve(binaryPath);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-db-api-browser-'));
  const port = await freePort();
  const site = {
    binary,
    port,
    origin: `http://127.0.0.1:${port}`,
    env: serverEnvironment(port, tmp, extraEnv),
    logPath: path.join(tmp, 'server.log'),
  };
  // The schema the server reads and writes; idempotent.
  serverCommand(site, ['migrate']);

  const log = fs.openSync(site.logPath, 'w');
  // Outside the source tree, so no developer's .env is read; DOCS_ASSETS_DIR unset, so the
  // server finds its pages beside its binary, as a developer's and an installed one does.
  const server = spawn(binary, ['serve'], { env: site.env, cwd: '/', stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const forget = onEmergency(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  site.log = () => fs.readFileSync(site.logPath, 'utf8');
  site.stop = async () => {
    forget();
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      const exited = await Promise.race([
        new Promise((resolve) => server.once('exit', () => resolve(true))),
        sleep(kWaitMs).then(() => false),
      ]);
      if (!exited) server.kill('SIGKILL');
    }
    const text = site.log();
    const sanitizer = /Sanitizer:|: runtime error: /.test(text);
    if (failures.length || sanitizer) console.log(`--- server log\n${text}`);
    check(!sanitizer, 'no sanitizer report in the server log');
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await waitForHealth(port, server);
  } catch (error) {
    await site.stop();
    throw error;
  }
  return site;
}

export async function launchBrowser(puppeteer) {
  const browser = await puppeteer.launch({
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
  onEmergency(() => browser.process()?.kill('SIGKILL'));
  return browser;
}

export async function closeBrowser(browser) {
  if (browser) await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
}

/// A page whose requests may go to the server only; everything else is aborted and recorded
/// in `blocked`. Console errors, page errors and answers >= 400 are recorded in `problems`.
export async function openGuardedPage(browser, origin, blocked, problems) {
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
