// The operator's page (GET /) in a real browser, against a real secondary site: starts the
// server (its own SITE_NAME, against the local stack whose addresses are in the environment),
// opens / in Debian's Chromium driven by puppeteer-core with the network restricted to the
// server, types an administrator's token into the page, and then, without ever reloading it:
// - stops the main database, buffers writes, and sees the page's buffer depth rise and its
//   health turn degraded, naming "main database unreachable"; a second copy of the page, given
//   no token (so no WebSocket), must see the same from its polling alone;
// - starts the main database again and sees the buffer drain and the site healthy again;
// - makes a write the main database refuses (a second file at a path already taken: a unique
//   constraint the secondary site cannot check), sees the dead letter listed, frees the path,
//   clicks Replay, and sees the row leave the list and the write arrive in the main database;
// - makes another such write and resolves it through the page's dialog, with a reason.
// Where /ws/events answers an upgrade, the page's live indicator must show "live" and the
// writes' events must appear in its list; where it does not, the page works from polling and
// the test says so. The token stays in session storage, never in the address bar or local
// storage, and no Content-Security-Policy violation occurs (the WebSocket to the page's own
// host is 'self'). Screenshots go to the output directory.
//
// Stopping the main database goes through scripts/stack.sh, which needs root: elsewhere the
// test is skipped (exit code 77).
//
// Usage: node operator_page.mjs --server BINARY --web WEB_DIR --stack STACK_SH --out SCREENSHOT_DIR
// Exit code 0 when every check passes. Every wait is bounded, and so is the whole run.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import {
  Skip, check, closeBrowser, httpRequest, launchBrowser, loadPuppeteer, onEmergency,
  openGuardedPage, parseArgs, rawGet, run, serverCommand, startServer, waitFor,
} from './support.mjs';

const kWholeRunMs = 150_000;
// How long the page may take to show a change: its fallback poll runs every 2 s.
const kPageMs = 15_000;
// How long a drain, or three failed attempts at a refused write, may take.
const kDrainMs = 30_000;
const kApplied = ['applied', 'replicated'];
const kUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const options = parseArgs(['server', 'web', 'stack', 'out']);
const puppeteer = loadPuppeteer(options.web);

// The drain retries fast and gives up on a refused write after three attempts, so the test
// waits seconds, not minutes (the settings of tests/support/secondary_site.cpp).
const kSiteSettings = {
  TRANSACTION_RETRY_ATTEMPTS: '3',
  TRANSACTION_RETRY_DELAY: '0.2',
  RETRY_MAX_DELAY: '1',
  BACKGROUND_PROCESSING_INTERVAL: '0.05',
  MAIN_DB_CONNECT_TIMEOUT: '1',
  MAIN_DB_STATEMENT_TIMEOUT: '2',
  LSN_CHECK_INTERVAL: '0.05',
  HEALTH_CHECK_INTERVAL: '0.2',
};

// --- the stack ----------------------------------------------------------------------------

function stack(command) {
  const r = spawnSync(options.stack, [command], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) console.log(`     stack.sh ${command}: ${r.stdout}${r.stderr}`);
  return r.status === 0;
}

// One statement on a database of the stack (MAIN_DB or LOCAL_DB) as the application role;
// values go in as psql variables (quoted by psql), never into the text. Rows as text, one a line.
function psql(db, sql, variables = {}) {
  const env = (name, fallback) => process.env[`${db}_${name}`] || fallback;
  const args = ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', env('HOST', '127.0.0.1'),
                '-p', env('PORT', '5432'), '-U', env('USER', 'ops'), '-d', env('NAME', 'ops_db')];
  for (const [name, value] of Object.entries(variables)) args.push('-v', `${name}=${value}`);
  const r = spawnSync('psql', args, {
    input: sql,
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, PGPASSWORD: env('PASSWORD', '') },
  });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim();
}

const mainDb = (sql, variables) => psql('MAIN_DB', sql, variables);

// Until the replica has replayed what the main database has written now (a new token, which a
// secondary site looks up on its replica and whose absence it would remember for a while).
function replicaCaughtUp() {
  const lsn = mainDb('SELECT pg_current_wal_lsn()');
  return waitFor(() => psql('LOCAL_DB', "SELECT pg_last_wal_replay_lsn() >= :'lsn'::pg_lsn",
                            { lsn }) === 't', 30_000);
}

// The site's keys in Redis, so that runs leave nothing behind (as the C++ fixtures do).
function deleteSiteKeys(site) {
  const args = ['-h', process.env.REDIS_HOST || '127.0.0.1',
                '-p', process.env.REDIS_PORT || '6379'];
  const env = { ...process.env };
  if (process.env.REDIS_PASSWORD) env.REDISCLI_AUTH = process.env.REDIS_PASSWORD;
  const scan = spawnSync('redis-cli', [...args, '--scan', '--pattern', `site:${site}:*`],
                         { encoding: 'utf8', env, timeout: 10_000 });
  const keys = (scan.stdout || '').split('\n').filter(Boolean);
  for (let i = 0; i < keys.length; i += 500) {
    spawnSync('redis-cli', [...args, 'DEL', ...keys.slice(i, i + 500)], { env, timeout: 10_000 });
  }
}

// --- the server ---------------------------------------------------------------------------

// The status of a WebSocket upgrade of /ws/events: 101 where the server offers it.
function upgradeStatus(port, token) {
  return new Promise((resolve) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      path: `/ws/events?token=${encodeURIComponent(token)}`,
      timeout: 5_000,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
      },
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve(response.statusCode);
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(0));
    request.end();
  });
}

// The API as the test's administrator calls it.
class Site {
  constructor(server, token) {
    this.server = server;
    this.auth = { Authorization: `Bearer ${token}` };
  }

  // A buffered write; its answer ({id, transaction_id, status}).
  async write(target, body) {
    const r = await httpRequest(this.server.port, 'POST', target, { headers: this.auth, body });
    let doc = {};
    try {
      doc = r.json();
    } catch {
      // reported below with the body
    }
    check(r.status === 201 && doc.status === 'buffered',
          `POST ${target}: ${r.status} ${doc.status || r.body}`);
    return doc;
  }

  async transaction(tx) {
    const r = await rawGet(this.server.port, `/transactions/${tx}`, this.auth);
    return r.status === 200 ? r.json() : { state: `http ${r.status}` };
  }

  // The transaction's state once it is one of `states`, or the last seen after `limitMs`.
  async waitState(tx, states, limitMs) {
    let last = {};
    await waitFor(async () => states.includes((last = await this.transaction(tx)).state),
                  limitMs);
    return last.state;
  }
}

function file(observation, relativePath) {
  return { name: path.basename(relativePath), relative_path: relativePath,
           executed_obs_unit_id: observation, instrument_module_id: 1, size_bytes: 1024,
           checksum: 'sha256:beef' };
}

// --- the page -----------------------------------------------------------------------------

// What the page shows: a function of the document, evaluated until it returns something
// truthy or `limitMs` passed; that value, or null.
function pageShows(page, predicate, limitMs = kPageMs, arg = null) {
  return page
    .waitForFunction(predicate, { timeout: limitMs, polling: 100 }, arg)
    .then((handle) => handle.jsonValue())
    .catch(() => null);
}

function summary(page) {
  return page.evaluate(() => ({
    health: document.querySelector('#health-state').dataset.state,
    problems: [...document.querySelectorAll('#health-problems li')].map((li) => li.textContent),
    depth: document.querySelector('#buffer-depth').dataset.value,
    failed: document.querySelector('#failed-count').dataset.value,
    deadLetters: document.querySelectorAll('#dead-letters tbody tr[data-tx-id]').length,
    live: document.querySelector('#ws-state').textContent,
    events: document.querySelectorAll('#events li').length,
  }));
}

async function screenshot(page, name, what) {
  const file = path.join(options.out, name);
  await page.bringToFront();
  await page.screenshot({ path: file, fullPage: true });
  const s = await summary(page);
  const problems = s.problems.length ? `: ${s.problems.join('; ')}` : '';
  console.log(`     screenshot ${file}: ${what} (health ${s.health}${problems}, ` +
              `buffer depth ${s.depth}, ${s.deadLetters} dead letter(s) listed, ` +
              `live events: ${s.live}, ${s.events} event(s) shown)`);
}

// The buffer depth at `least` and the site degraded for the main database, as `page` shows it;
// what it showed, or null.
function showsOutage(page, least) {
  return pageShows(page, (n) => {
    const depth = Number(document.querySelector('#buffer-depth').dataset.value);
    const state = document.querySelector('#health-state').dataset.state;
    const problems = [...document.querySelectorAll('#health-problems li')].map((li) =>
      li.textContent);
    return depth >= n && state === 'degraded' && problems.includes('main database unreachable')
      ? { depth, state, problems } : null;
  }, kPageMs, least);
}

function showsRecovery(page, limitMs) {
  return pageShows(page, () =>
    document.querySelector('#buffer-depth').dataset.value === '0' &&
    document.querySelector('#health-state').dataset.state === 'healthy', limitMs);
}

function showsDeadLetter(page, tx, button) {
  return pageShows(page, ([id, kind]) => {
    const row = document.querySelector(`#dead-letters tr[data-tx-id="${id}"]`);
    return row && row.querySelector(`button.${kind}`) ? row.textContent : null;
  }, kDrainMs, [tx, button]);
}

function showsNoDeadLetter(page, tx) {
  return pageShows(page, (id) =>
    !document.querySelector(`#dead-letters tr[data-tx-id="${id}"]`), kPageMs, tx);
}

async function checkServedPage(port) {
  for (const target of ['/', '/docs/assets/operator.js', '/docs/assets/operator.css']) {
    const r = await rawGet(port, target);
    check(r.status === 200, `GET ${target}: ${r.status}`);
    const csp = r.headers['content-security-policy'] || '';
    check(csp.includes("default-src 'self'") && csp.includes("script-src 'self';") &&
          csp.includes("connect-src 'self'"), `GET ${target} carries the Content-Security-Policy`);
  }
  const page = await rawGet(port, '/');
  check(/^text\/html/.test(page.headers['content-type'] || '') &&
        !/<script>|\son\w+=/i.test(page.body),
        'GET / is HTML with no inline script or inline event handler');
}

// The page before any token: figures from the open endpoints, no live events.
async function checkWithoutToken(page) {
  const first = await pageShows(page, () => {
    const health = document.querySelector('#health-state').dataset.state;
    const depth = document.querySelector('#buffer-depth').dataset.value;
    return health !== 'unknown' && depth !== '' ? { health, depth } : null;
  });
  check(first?.health === 'healthy' && first?.depth === '0',
        `without a token the page shows a fresh site healthy, its buffer empty ` +
        `(${JSON.stringify(first)})`);
  const state = await page.$eval('#ws-state', (e) => e.dataset.state);
  check(state === 'off', `without a token the live indicator is off (${state})`);
}

async function enterToken(page, token) {
  await page.type('#token-input', token);
  await page.click('#token-save');
  const accepted = await pageShows(page, () => {
    const e = document.querySelector('#token-state');
    return e.dataset.state === 'accepted' ? e.textContent : null;
  });
  check(accepted !== null, `the page accepts the administrator's token (${accepted})`);
  const kept = await page.evaluate(() => ({
    session: Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k)),
    local: localStorage.length,
    url: location.href,
    input: document.querySelector('#token-input').value,
  }));
  check(kept.session.includes(token) && kept.local === 0 && !kept.url.includes(token) &&
        !kept.url.includes('?') && kept.input === '',
        `the token is in session storage only (local storage: ${kept.local} item(s), ` +
        `address: ${kept.url})`);
}

// --- the run ------------------------------------------------------------------------------

// Main database down: writes are buffered; both pages see the buffer grow and the site
// degrade, naming why. Then back: the buffer drains. Returns the buffered starts.
async function outage(site, page, polling, live, database) {
  database.stop();
  check(database.stopped, 'the main database is stopped');
  const starts = [];
  for (let i = 0; i < 5; i += 1) {
    starts.push(await site.write('/executed_obs_units/start', { obs_unit_id: 1 }));
  }
  const shown = await showsOutage(page, 5);
  check(shown !== null, `the page shows the buffer depth rise and the site degraded: ` +
                        `${JSON.stringify(shown)}`);
  const polled = await showsOutage(polling, 5);
  check(polled !== null, `the page without a token shows the same from polling: ` +
                         `${JSON.stringify(polled)}`);
  const pollingSocket = await polling.$eval('#ws-state', (e) => e.dataset.state);
  check(pollingSocket === 'off', `the page without a token opened no WebSocket (${pollingSocket})`);
  if (live) {
    const listed = await pageShows(page, (txs) => txs.every((tx) =>
      document.querySelector(`#events li[data-event="buffered"][data-tx-id="${tx}"]`)),
      kPageMs, starts.map((s) => s.transaction_id));
    check(listed === true, 'the recent events list the buffered writes');
  }
  await screenshot(polling, 'operator-degraded-polling.png',
                   'main database stopped, writes buffered; without a token (polling only)');
  await screenshot(page, 'operator-degraded.png', 'main database stopped, writes buffered');

  database.start();
  check(!database.stopped, 'the main database is started again');
  const drained = await showsRecovery(page, kDrainMs);
  check(drained === true, `the page shows the buffer drained and the site healthy ` +
                          `(${JSON.stringify(await summary(page))})`);
  check(await showsRecovery(polling, kPageMs) === true, 'so does the page without a token');
  return starts;
}

// A second file at a path already taken: the main database refuses it every time.
async function refusedWrite(site, observation, taken) {
  return site.write('/raw_data_files/', file(observation, taken));
}

async function replayFromThePage(site, page, observation, taken) {
  const original = await site.write('/raw_data_files/', file(observation, taken));
  const originalState = await site.waitState(original.transaction_id, kApplied, kDrainMs);
  check(kApplied.includes(originalState), `the first file at the path is ${originalState}`);
  const bad = await refusedWrite(site, observation, taken);
  const tx = bad.transaction_id;
  const listed = await showsDeadLetter(page, tx, 'replay');
  check(listed !== null, `the page lists the dead letter ${tx} with a Replay button`);
  check(/relative_path/.test(listed || ''), "the listed dead letter shows the database's error");
  const named = await pageShows(page, () =>
    [...document.querySelectorAll('#health-problems li')].some((li) =>
      li.textContent === 'failed transactions await an operator'));
  check(named === true, 'the page names the failed transaction among the health problems');
  await screenshot(page, 'operator-dead-letter.png', `dead letter ${tx} listed`);

  // Fix the cause (the first file moves aside), then replay from the page.
  check(kUuid.test(original.id || ''), `the first file's id is a UUID (${original.id})`);
  mainDb("UPDATE raw_data_file SET relative_path = relative_path || '.moved' WHERE id = :'id'",
         { id: original.id });
  await page.click(`#dead-letters tr[data-tx-id="${tx}"] button.replay`);
  check(await showsNoDeadLetter(page, tx) === true,
        "after Replay the row leaves the page's dead-letter list");
  const replayed = await site.waitState(tx, kApplied, kDrainMs);
  check(kApplied.includes(replayed), `the replayed write is ${replayed}`);
  const rows = mainDb(
    "SELECT count(*) FROM raw_data_file WHERE id = :'id' AND relative_path = :'path'",
    { id: bad.id, path: taken });
  check(rows === '1', `the replayed file is in the main database (${rows} row)`);
  const message = await page.$eval('#action-message', (e) => e.textContent);
  check(message.startsWith('Replayed'), `the page confirms the replay: "${message}"`);
  // /health is a sample of the site: the problem goes with its next sample and the page's
  // next read of it.
  const cleared = await pageShows(page, () =>
    document.querySelector('#failed-count').dataset.value === '0' &&
    ![...document.querySelectorAll('#health-problems li')].some((li) =>
      li.textContent === 'failed transactions await an operator'));
  check(cleared === true, 'the page no longer counts or names a failed transaction');
  await screenshot(page, 'operator-replayed.png', `dead letter ${tx} replayed`);
}

async function resolveFromThePage(site, page, observation, taken) {
  const bad = await refusedWrite(site, observation, taken);
  const tx = bad.transaction_id;
  const listed = await showsDeadLetter(page, tx, 'resolve');
  check(listed !== null, `the page lists the second dead letter ${tx}`);
  if (listed === null) return;
  await page.click(`#dead-letters tr[data-tx-id="${tx}"] button.resolve`);
  await page.waitForSelector('#resolve-dialog[open]', { timeout: kPageMs });
  await page.type('#resolve-reason', 'duplicate path, written by the browser test');
  await page.click('#resolve-confirm');
  check(await showsNoDeadLetter(page, tx) === true,
        "after Resolve the row leaves the page's dead-letter list");
  const state = (await site.transaction(tx)).state;
  check(state === 'resolved', `the transaction is resolved (${state})`);
  const healthy = await pageShows(page, () =>
    document.querySelector('#health-state').dataset.state === 'healthy');
  check(healthy === true, 'with no dead letter left the page shows the site healthy');
}

async function main() {
  if (process.getuid?.() !== 0) {
    throw new Skip('stopping the main database needs root (scripts/stack.sh)');
  }
  fs.mkdirSync(options.out, { recursive: true });
  const siteName = `browser_${crypto.randomBytes(6).toString('hex')}`;
  const server = await startServer(options.server, { SITE_NAME: siteName, ...kSiteSettings });
  const database = {
    stopped: false,
    stop() {
      this.stopped = stack('stop-main');
    },
    start() {
      if (this.stopped && stack('start-main')) this.stopped = false;
    },
  };
  const forgetRestart = onEmergency(() => database.start());
  let browser;
  try {
    // Reference data the writes name (obs_unit 1, instrument_module 1), loaded once per stack,
    // and a token of an administrator that expires tomorrow.
    if (mainDb('SELECT count(*) FROM obs_unit WHERE id = 1') === '0') {
      serverCommand(server, ['seed-demo']);
    }
    const token = serverCommand(server, ['token', 'create', '--user', 'operator-page-test',
                                         '--role', 'admin', '--expires', '1',
                                         '--name', 'browser test']).trim();
    const site = new Site(server, token);
    check(await replicaCaughtUp(), 'the token reached the replica');
    const me = await rawGet(server.port, '/auth/me', site.auth);
    check(me.status === 200, `the token works at the secondary site (GET /auth/me: ${me.status})`);

    await checkServedPage(server.port);
    const upgrade = await upgradeStatus(server.port, token);
    const live = upgrade === 101;
    console.log(`     GET /ws/events with an upgrade: ${upgrade || 'no answer'}` +
                (live ? '' : ' (no WebSocket here: the page must work from polling)'));

    browser = await launchBrowser(puppeteer);
    const blocked = [];
    const problems = [];
    const page = await openGuardedPage(browser, server.origin, blocked, problems);
    // Violations of the page's policy, as the browser reports them to the page.
    await page.evaluateOnNewDocument(() => {
      window.policyViolations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.policyViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    await page.goto(`${server.origin}/`, { waitUntil: 'load' });
    await checkWithoutToken(page);
    // The same page without a token: no WebSocket, figures from polling only.
    const polling = await openGuardedPage(browser, server.origin, blocked, problems);
    await polling.goto(`${server.origin}/`, { waitUntil: 'load' });
    // A tab in the background renders no frames, and clicks wait for one: the page in front.
    await page.bringToFront();
    await enterToken(page, token);
    if (live) {
      const shown = await pageShows(page, () =>
        document.querySelector('#ws-state').dataset.state === 'live');
      check(shown === true, 'the live indicator shows "live" once /ws/events answers');
    }

    const starts = await outage(site, page, polling, live, database);
    await polling.close();
    const taken = `browser-test/${siteName}/taken.fits`;
    await replayFromThePage(site, page, starts[0].id, taken);
    await resolveFromThePage(site, page, starts[0].id, taken);

    if (live) {
      const kinds = await page.$$eval('#events li', (items) =>
        [...new Set(items.map((li) => li.dataset.event))]);
      check(['buffered', 'applied', 'failed', 'replayed', 'resolved'].every((k) =>
        kinds.includes(k)), `the recent events include buffered, applied, failed, replayed ` +
                            `and resolved (${kinds.join(', ')})`);
      const state = await page.$eval('#ws-state', (e) => e.dataset.state);
      check(state === 'live', `the live indicator still shows live (${state})`);
    } else {
      const state = await page.$eval('#ws-state', (e) => e.textContent);
      console.log(`     live indicator without /ws/events: "${state}" (not checked)`);
    }
    check(navigations === 1, `the page was never reloaded (${navigations} navigation(s))`);
    const violations = await page.evaluate(() => window.policyViolations);
    check(violations.length === 0,
          `no Content-Security-Policy violation (${violations.join('; ') || 'none'})`);
    for (const url of blocked) console.log(`     blocked: ${url}`);
    check(blocked.length === 0, `no request left the server (${blocked.length} blocked)`);
    for (const problem of problems) console.log(`     seen: ${problem}`);
  } finally {
    database.start();
    forgetRestart();
    await closeBrowser(browser);
    await server.stop();
    deleteSiteKeys(siteName);
  }
}

run(main, kWholeRunMs);
