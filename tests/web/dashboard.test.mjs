// The dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core
// from web/node_modules): it loads with its charts, a transaction sent over TCP shows on the
// account page within a second under the account's history (with round and game), a viewer
// token cannot block an account (an admin can), a partner's live totals, contract, share so
// far and recent transactions show, the admin's block is on the audit page, and an
// [[alerts]] rule raises and resolves. Screenshots go to tests/web/artifacts/.
//
//   node tests/web/dashboard.test.mjs SETTLED SETTLECTL REPO_DIR
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const [settled, settlectl, repo] = process.argv.slice(2);
const require = createRequire(join(repo, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const artifacts = join(repo, 'tests', 'web', 'artifacts');
mkdirSync(artifacts, { recursive: true });

const data = mkdtempSync(join(tmpdir(), 'settle-web-'));
writeFileSync(join(data, 'alerts.toml'),
  '[[alerts]]\nname = "errors"\nrule = "error_rate"\nthreshold = 1\nwindow_s = 2\n');
const engine = spawn(settled, ['--listen', '127.0.0.1:0', '--http', '127.0.0.1:0',
  '--config', join(data, 'alerts.toml'),
  '--data-dir', join(data, 'd'), '--token', 'admin-t:admin', '--token', 'view-t:viewer',
  '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
const ports = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`settled did not start: ${out}`)), 60000);
  engine.stdout.on('data', (b) => {
    out += b;
    const tcp = out.match(/settled listening on (\S+)\n/);
    const http = out.match(/settled http on (\S+)\n/);
    if (tcp && http) { clearTimeout(timer); resolve({ tcp: tcp[1], http: http[1] }); }
  });
  engine.on('exit', (code) => reject(new Error(`settled exited ${code}: ${out}`)));
});
const ctl = (...args) => execFileSync(settlectl, ['--connect', ports.tcp, '--token', 'admin-t', ...args],
  { encoding: 'utf8' });

let browser;
let failed = false;
try {
  ctl('open', 'w1', 'EUR');
  ctl('txn', 'deposit', '--id', 'd1', '--account', 'w1', '--amount', '1000', '--currency', 'EUR');
  ctl('contract-set', '--partner', 'acme', '--kind', 'provider', '--currency', 'EUR',
      '--cycle', 'daily', '--share-bps', '2500');
  ctl('txn', 'bet', '--id', 'b0', '--account', 'w1', '--amount', '100', '--currency', 'EUR',
      '--partner', 'acme', '--round', 'r0', '--game', 'slots-7');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://${ports.http}/`);
  // The overview: charts drawn, numbers from /metrics.
  await page.waitForSelector('#chart-tps canvas');
  await page.waitForFunction(() => document.getElementById('accounts').textContent === '1');
  assert.equal(await page.textContent('#journal'), 'healthy');

  // A viewer follows w1: a bet sent over TCP shows within a second.
  await page.fill('#token', 'view-t');
  await page.click('#login button');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('viewer'));
  await page.click('nav button[data-view=account]');
  await page.fill('#account-id', 'w1');
  await page.click('#account-form button');
  await page.waitForFunction(() => document.getElementById('balance').textContent === '900');
  // The history: the bet (with its round and game) over the deposit.
  await page.waitForFunction(() => document.querySelectorAll('#changes tbody tr').length === 2);
  assert.match(await page.textContent('#changes tbody tr:nth-child(1)'), /b0.*bet.*-100.*900.*acme.*r0.*slots-7/s);
  assert.match(await page.textContent('#changes tbody tr:nth-child(2)'), /d1.*deposit.*1000/s);
  const sent = Date.now();
  ctl('txn', 'bet', '--id', 'b1', '--account', 'w1', '--amount', '300', '--currency', 'EUR',
      '--partner', 'acme', '--round', 'r1');
  await page.waitForFunction(() => document.getElementById('balance').textContent === '600',
    null, { timeout: 1000 });
  const tookMs = Date.now() - sent;
  assert.match(await page.textContent('#changes tbody tr'), /b1.*bet.*-300.*600.*acme.*r1/s);
  assert.equal(await page.locator('#changes tbody tr').count(), 3);
  console.log(`the bet showed on the account page ${tookMs} ms after settlectl sent it`);

  // A viewer cannot block.
  await page.click('#block');
  await page.waitForFunction(() => document.getElementById('account-message').textContent.includes('forbidden'));
  assert.equal(await page.textContent('#account-status'), 'active');
  await page.screenshot({ path: join(artifacts, 'account.png') });

  // A partner's live totals; its contract on a click (an admin token).
  await page.fill('#token', 'admin-t');
  await page.click('#login button');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('admin'));
  await page.click('nav button[data-view=partners]');
  await page.fill('#partner-ids', 'acme');
  await page.click('#partners-form button');
  await page.waitForSelector('#partner-totals tbody tr');
  assert.match(await page.textContent('#partner-totals tbody tr'), /acme.*EUR.*400/s);
  await page.click('#partner-totals tbody tr');
  await page.waitForFunction(() => document.getElementById('partner-contract').textContent.includes('open period 1'));
  assert.match(await page.textContent('#partner-contract'), /share 25%/);
  // GGR 400 so far, 25% of it: 100 EUR payable.
  await page.waitForFunction(() => document.getElementById('partner-share').textContent.startsWith('100 EUR'));
  // Its transactions as they happen.
  await page.waitForTimeout(200);  // the every-account subscription is in place
  ctl('txn', 'win', '--id', 'w-1', '--account', 'w1', '--amount', '50', '--currency', 'EUR',
      '--partner', 'acme', '--round', 'r1', '--game', 'slots-7');
  await page.waitForSelector('#partner-txns tbody tr', { timeout: 2000 });
  assert.match(await page.textContent('#partner-txns tbody tr'), /w1.*w-1.*win.*50.*r1.*slots-7/s);
  await page.screenshot({ path: join(artifacts, 'partner.png') });

  // The admin blocks w1 from the account page.
  await page.click('nav button[data-view=account]');
  await page.fill('#account-id', 'w1');
  await page.click('#account-form button');
  await page.waitForFunction(() => document.getElementById('balance').textContent === '650');
  await page.click('#block');
  await page.waitForFunction(() => document.getElementById('account-status').textContent === 'blocked');
  // The audit page: the admin's block, and the viewer's refused attempt.
  await page.click('nav button[data-view=audit]');
  await page.waitForFunction(() => document.querySelectorAll('#audit-rows tbody tr').length >= 2);
  assert.match(await page.textContent('#audit-rows tbody tr:nth-child(1)'), /admin-.*block.*w1.*ok/s);
  assert.match(await page.textContent('#audit-rows tbody tr:nth-child(2)'), /viewer-.*block.*w1.*forbidden/s);
  // An alert raises and resolves: refusals above 1 per second over 2 s, then none.
  await page.click('nav button[data-view=alerts]');
  await page.waitForSelector('#alert-rules tbody tr[data-rule=errors]');
  for (let i = 0; i < 12; ++i) {
    try {
      ctl('txn', 'bet', '--id', `x${i}`, '--account', 'nobody', '--amount', '1', '--currency', 'EUR',
          '--partner', 'acme');
    } catch (e) { /* unknown_account: settlectl exits 1, as wanted */ }
  }
  await page.waitForFunction(() => document.querySelector('#alert-rules tr[data-rule=errors]')
    .textContent.includes('firing'), null, { timeout: 5000 });
  await page.screenshot({ path: join(artifacts, 'alerts.png') });
  await page.waitForFunction(() => document.querySelector('#alert-recent tbody')
    .textContent.includes('resolved'), null, { timeout: 8000 });
  assert.match(await page.textContent('#alert-recent tbody'), /errors.*resolved.*errors.*firing/s);

  await page.click('nav button[data-view=overview]');
  await page.waitForFunction(() => document.getElementById('tps').textContent !== '-');
  await page.screenshot({ path: join(artifacts, 'overview.png') });
  assert.deepEqual(errors, []);
  console.log('dashboard: all checks passed');
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  if (browser) await browser.close();
  engine.kill('SIGTERM');
  await new Promise((r) => engine.on('exit', r));
  rmSync(data, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
