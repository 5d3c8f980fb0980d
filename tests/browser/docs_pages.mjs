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
import fs from 'node:fs';
import path from 'node:path';

import {
  check, closeBrowser, kWaitMs, launchBrowser, loadPuppeteer, openGuardedPage, parseArgs, rawGet,
  run, startServer,
} from './support.mjs';

const kWholeRunMs = 110_000;

const options = parseArgs(['server', 'web', 'out']);
const puppeteer = loadPuppeteer(options.web);

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
  const site = await startServer(options.server);
  let browser;
  try {
    await checkHeadersAndAllowList(site.port);
    browser = await launchBrowser(puppeteer);
    const blocked = [];
    const problems = [];
    await checkSwaggerUi(browser, site.origin, blocked, problems);
    await checkRedoc(browser, site.origin, blocked, problems);
    for (const url of blocked) console.log(`     blocked: ${url}`);
    check(blocked.length === 0, `no request left the server (${blocked.length} blocked)`);
    // What the policy stopped inside the browser (ReDoc's hosted logo, for one) never became a
    // request: reported, not a failure; that is what the policy is for.
    for (const problem of problems) console.log(`     seen: ${problem}`);
  } finally {
    await closeBrowser(browser);
    await site.stop();
  }
}

run(main, kWholeRunMs);
