// The web console in Debian's headless Chromium, driven by puppeteer-core.
// Reads the stage (URLs, keys, workflow ids) as JSON on stdin from
// tests/e2e/console_browser_test.py, prints "ok"/"FAIL" per check, writes a
// screenshot of each page, and exits non-zero when a check failed.
//
// Every page is watched: a dialog (alert, confirm) or a console error
// fails the run, so markup in a workflow's name or a step's output that
// ran would be caught.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const stage = JSON.parse(readFileSync(0, 'utf8'));
const failures = [];
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${name}${ok || !detail ? '' : `: ${detail}`}`);
  if (!ok) failures.push(name);
}

const dialogs = [];
const errors = [];

async function api(method, p, key = stage.writerKey) {
  const res = await fetch(`${stage.base}${p}`, {
    method, headers: { Authorization: `Bearer ${key}` },
    body: method === 'GET' ? undefined : '{}',
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const text = (page, selector) =>
  page.$eval(selector, (el) => el.textContent).catch(() => null);
const count = (page, selector) =>
  page.$$eval(selector, (els) => els.length);
const shot = (page, name) =>
  page.screenshot({ path: path.join(stage.shots, `${name}.png`), fullPage: true });

async function go(page, hash, selector) {
  await page.goto(`${stage.base}/console/${hash}`);
  if (selector) await page.waitForSelector(selector, { timeout: 10000 });
}

async function signIn(page, key) {
  await go(page, '#/signin', '#key');
  await page.$eval('#key', (el) => { el.value = ''; });
  await page.type('#key', key);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#workflows', { timeout: 10000 });
}

const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  userDataDir: stage.profile,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--window-size=1280,900'],
  defaultViewport: { width: 1280, height: 900 },
});
try {
  const page = await browser.newPage();
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));

  // The console's files and their headers.
  const index = await fetch(`${stage.base}/console/`);
  const csp = index.headers.get('content-security-policy') || '';
  check('the console is served with a Content-Security-Policy without inline script',
    index.status === 200 && csp.includes("script-src 'self'") &&
    !csp.includes('unsafe-inline'), csp);
  const root = await fetch(`${stage.base}/`, { redirect: 'manual' });
  check('/ redirects to the console',
    root.status === 302 && root.headers.get('location') === '/console/');
  const telemetry = await fetch(`${stage.base}/telemetry`, { redirect: 'manual' });
  check('/telemetry redirects to the console\'s overview',
    telemetry.status === 302 &&
    telemetry.headers.get('location') === '/console/#/overview');

  // Signing in: a page needs a key; a wrong one is refused, in words.
  await go(page, '#/workflows', '#key');
  check('without a key the console asks for one', page.url().includes('#/signin'));
  await page.type('#key', 'ap_not-a-key');
  await page.click('#signin button[type=submit]');
  await page.waitForFunction(() =>
    document.querySelector('#signin-message').textContent.startsWith('Not signed in'));
  check('a wrong key is refused with the server\'s reason',
    /Not signed in: .+/.test(await text(page, '#signin-message')),
    await text(page, '#signin-message'));
  // Chromium logs the refused call (401) as a console error: expected here.
  errors.splice(0, errors.length,
    ...errors.filter((e) => !/status of 401/.test(e)));
  await page.$eval('#key', (el) => { el.value = ''; });
  await page.type('#key', stage.writerKey);
  await shot(page, 'signin');
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#workflows', { timeout: 10000 });
  check('signing in lands on the workflows', page.url().includes('#/workflows'));
  check('the header names the owner and role',
    (await text(page, '#who')) === `${stage.owner} · writer`, await text(page, '#who'));
  const stored = await page.evaluate(() => ({
    session: sessionStorage.getItem('ap.apiKey'), cookie: document.cookie }));
  check('the key is kept in session storage, not in a cookie',
    stored.session === stage.writerKey && stored.cookie === '');

  // The list: three workflows, with next fire, last outcome and strip.
  await page.waitForFunction(() =>
    document.querySelectorAll('#workflows tr.workflow').length === 3);
  const nightlyRow = `tr.workflow[data-id="${stage.nightly}"]`;
  check('the list shows a strip of recent outcomes',
    await count(page, `${nightlyRow} .strip .cell.succeeded`) >= 1 &&
    await count(page, `${nightlyRow} .strip .cell.failed`) === 1);
  const colour = (selector) => page.$eval(selector,
    (el) => getComputedStyle(el).backgroundColor);
  check('the strip is coloured by status',
    await colour(`${nightlyRow} .strip .cell.failed`) === 'rgb(179, 38, 30)' &&
    await colour(`${nightlyRow} .strip .cell.succeeded`) === 'rgb(23, 128, 61)',
    await colour(`${nightlyRow} .strip .cell.failed`));
  check('the list shows the last outcome',
    /succeeded|failed/.test(await text(page, `${nightlyRow} td:nth-child(6)`)));
  check('the list shows the next fire',
    (await text(page, `${nightlyRow} td:nth-child(5)`)).startsWith('in '));
  await shot(page, 'workflows');

  // Filters: by label, by status, by name; each in the hash.
  const rows = () => page.$$eval('#workflows tr.workflow', (els) =>
    els.map((e) => e.dataset.id));
  await page.type('#filter-labels', 'team=web');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => location.hash.includes('labels=team'));
  await page.waitForSelector('#workflows tr.workflow');
  check('filtering by label', JSON.stringify(await rows()) ===
    JSON.stringify([stage.web]), JSON.stringify(await rows()));
  await go(page, '#/workflows', '#filter-status');
  await page.select('#filter-status', 'PAUSED');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => location.hash.includes('status=PAUSED'));
  await page.waitForSelector('#workflows tr.workflow');
  check('filtering by status', JSON.stringify(await rows()) ===
    JSON.stringify([stage.web]), JSON.stringify(await rows()));
  await go(page, '#/workflows?name=nightly', '#workflows tr.workflow');
  check('filtering by name', JSON.stringify(await rows()) ===
    JSON.stringify([stage.nightly]), JSON.stringify(await rows()));
  await go(page, '#/workflows?name=nothing-like-this', '#no-workflows');
  check('a filter matching nothing says so', true);

  // One workflow: the timeline of a week, with a SUCCEEDED fire and a
  // FAILED one, each with its reason on hover and on click.
  await go(page, '#/workflows?name=nightly', `${nightlyRow} a`);
  await page.click(`${nightlyRow} a`);
  await page.waitForSelector('#timeline');
  await page.select('#window', '7d');
  await page.waitForFunction(() => location.hash.endsWith('window=7d'));
  await page.waitForSelector('#timeline .fire[data-diagnosis="DIAGNOSIS_FAILED"]');
  const succeeded = '#timeline .fire[data-diagnosis="DIAGNOSIS_SUCCEEDED"]';
  const failedFire = '#timeline .fire[data-diagnosis="DIAGNOSIS_FAILED"]';
  check('the timeline has a SUCCEEDED fire', await count(page, succeeded) >= 1);
  check('the timeline has a FAILED fire', await count(page, failedFire) === 1);
  const hover = await page.$eval(failedFire, (el) => el.getAttribute('title'));
  check('the FAILED fire\'s reason shows on hover', hover.includes(stage.failedError), hover);
  await page.click(failedFire);
  const detail = await text(page, '#fire-detail');
  check('clicking the FAILED fire shows its diagnosis and reason',
    detail.includes('failed') && detail.includes(stage.failedError), detail);
  await page.click(succeeded);
  check('clicking a SUCCEEDED fire shows it succeeded',
    (await text(page, '#fire-detail')).includes('succeeded'));
  check('the spec is shown as YAML',
    (await text(page, '#spec')).includes('name: nightly-report\n') &&
    (await text(page, '#spec')).includes('schedules:\n      - "0 3 * * *"'),
    await text(page, '#spec'));
  const waiting = await text(page, '#notifications tr.notification');
  check('the failure\'s notification, not delivered yet, is shown waiting',
    waiting !== null && waiting.includes('oncall') && waiting.includes('failed'),
    String(waiting));
  await page.click('#executions tr.execution');
  check('an execution opens to its step results',
    (await text(page, '#executions tr.more:not([hidden])')).includes('report written'));
  await shot(page, 'workflow');

  // Pausing from the console, confirmed in the page; then the API says so.
  await page.click('#pause');
  await page.waitForSelector('#modal .dialog');
  await page.click('#confirm-yes');
  await page.waitForSelector('#resume');
  const paused = await api('GET', `/v1/workflows/${stage.nightly}`);
  check('pausing from the console pauses it (checked through the API)',
    paused.body.status === 'WORKFLOW_STATUS_PAUSED', paused.body.status);
  check('the console says it is paused',
    (await text(page, '#banner')).includes('is paused'));
  await page.click('#resume');
  await page.waitForSelector('#modal .dialog');
  await page.click('#confirm-no');
  const still = await api('GET', `/v1/workflows/${stage.nightly}`);
  check('an action not confirmed is not done',
    still.body.status === 'WORKFLOW_STATUS_PAUSED', still.body.status);

  // Markup in a name, a label and a step's output is shown, never run.
  await go(page, '#/workflows', '#workflows tr.workflow');
  await go(page, `#/workflows/${encodeURIComponent(stage.xss)}`, '#executions');
  check('a name with markup is shown as text',
    (await text(page, '#workflow-name')).startsWith(stage.xssName));
  await page.click('#executions tr.execution');
  check('a step output with <script> is shown as text',
    (await text(page, '#executions tr.more:not([hidden]) pre.output'))
      .includes('<script>alert(2)</script>'));
  check('no element came from the markup',
    await count(page, 'main img, main script, main b') === 0);

  // Overview and operators.
  await go(page, '#/overview', '#aggregator');
  check('the overview has the charts', await count(page, 'figure.chart svg') === 2);
  check('the overview charts this hour\'s outcomes',
    await count(page, 'figure.chart rect.succeeded') >= 1 &&
    await count(page, 'figure.chart rect.failed') >= 1);
  check('the overview says what the aggregator is part of',
    (await text(page, '#cluster')).includes('One aggregator'));
  check('the overview counts the workflows',
    (await text(page, '#workflows-known')) === '3');
  await shot(page, 'overview');
  await go(page, '#/operators', '#operators tr.operator');
  const op = await text(page, '#operators tr.operator');
  check('the operators page shows the operator, connected, with its version',
    op.includes(stage.operator) && op.includes('connected') && op.includes('9.9.9'), op);
  await shot(page, 'operators');

  // A reader sees no actions, and the server refuses them anyway.
  await page.click('#sign-out');
  await page.waitForSelector('#key');
  check('signing out forgets the key',
    await page.evaluate(() => sessionStorage.getItem('ap.apiKey')) === null);
  await signIn(page, stage.readerKey);
  check('the header names the reader role',
    (await text(page, '#who')) === `${stage.owner} · reader`);
  await go(page, `#/workflows/${stage.nightly}`, '#timeline');
  check('a reader sees no actions', await count(page, '#actions, #pause, #resume, #trigger, #cancel, #backfill') === 0);
  await shot(page, 'reader');
  const refused = await api('POST', `/v1/workflows/${stage.nightly}:resume`, stage.readerKey);
  check('the server refuses a reader\'s action',
    refused.status === 403 && refused.body.code === 7, JSON.stringify(refused.body));

  check('no dialog opened on any page', dialogs.length === 0, dialogs.join('; '));
  check('no console error on any page', errors.length === 0, errors.join('; '));
} catch (e) {
  check('the run finished', false, e.stack || String(e));
} finally {
  await browser.close();
}
process.exit(failures.length === 0 ? 0 : 1);
