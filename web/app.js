// settled's dashboard: /metrics polled once a second for the overview charts, and the
// protocol over the WebSocket at /ws (JSON, docs/operations.md) for everything live: the
// token's hello, partner totals, an account's balance and changes, alerts. No framework;
// the charts are uPlot's (vendored by `npm ci` from web/package-lock.json).
'use strict';

const state = { ws: null, rid: 0, pending: new Map(), role: null, account: null,
                accountSub: 0, partnerSub: 0, partnerRows: new Map(), partner: null,
                partnerTxnSub: 0 };
const maxRows = 50;
const $ = (id) => document.getElementById(id);
const fmtTime = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

// -- the WebSocket ---------------------------------------------------------------------------
function setStatus(on, text) {
  $('status').textContent = text;
  $('status').className = 'status ' + (on ? 'on' : 'off');
}

function call(req) {
  return new Promise((resolve) => {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN)
      return resolve({ ok: false, error: 'not_connected', message: 'connect with a token first' });
    const rid = ++state.rid;
    state.pending.set(rid, resolve);
    state.ws.send(JSON.stringify({ ...req, rid }));
  });
}

function connect(token) {
  const old = state.ws;
  state.ws = null;
  if (old) old.close();
  for (const resolve of state.pending.values())
    resolve({ ok: false, error: 'not_connected', message: 'reconnecting' });
  state.pending.clear();
  state.accountSub = 0;  // subscriptions end with their connection
  state.partnerSub = 0;
  state.partnerTxnSub = 0;
  const ws = new WebSocket(`ws://${location.host}/ws`);
  state.ws = ws;
  ws.onopen = async () => {
    const hello = await call({ op: 'hello', token });
    if (!hello.ok) return setStatus(false, `token refused: ${hello.error}`);
    state.role = hello.role;
    setStatus(true, `connected as ${hello.role}${hello.partner ? ' (' + hello.partner + ')' : ''}`);
  };
  ws.onmessage = (m) => {
    if (ws !== state.ws) return;  // an earlier connection's last words
    const msg = JSON.parse(m.data);
    if (msg.event) return onEvent(msg);
    const resolve = state.pending.get(msg.rid);
    if (resolve) {
      state.pending.delete(msg.rid);
      resolve(msg);
    }
  };
  ws.onclose = (e) => {
    if (ws !== state.ws) return;
    // Nothing more will be answered: what waits is answered here, so no page step hangs.
    for (const resolve of state.pending.values())
      resolve({ ok: false, error: 'not_connected', message: 'the connection closed' });
    state.pending.clear();
    setStatus(false, 'disconnected' + (e.reason ? `: ${e.reason}` : ''));
  };
}

function onEvent(e) {
  if (e.event === 'balance' && e.partner && e.partner === state.partner) showPartnerTxn(e);
  if (e.event === 'balance' && e.account === state.account) return showBalanceEvent(e);
  if (e.event === 'partner') return showPartnerTotals(e);
  if (e.event === 'alert') return showAlert(e);
  if (e.event === 'closed') setStatus(false, `stream closed: ${e.reason}`);
}

// -- account ---------------------------------------------------------------------------------
function accountMessage(text, error) {
  $('account-message').textContent = text;
  $('account-message').className = 'message' + (error ? ' error' : '');
}

/// One change (a history entry or a live balance event: the same keys) as a row.
function addChange(c, atTop) {
  const body = $('changes').tBodies[0];
  const row = atTop ? body.insertRow(0) : body.insertRow();
  row.dataset.version = c.version;
  for (const v of [fmtTime(c.at), c.txn, c.kind, c.amount, c.balance, c.version, c.partner,
                   c.round, c.game])
    row.insertCell().textContent = v ?? '';
  while (body.rows.length > maxRows) body.deleteRow(-1);
}

function showBalanceEvent(e) {
  $('balance').textContent = e.balance;
  $('currency').textContent = e.currency;
  $('version').textContent = e.version;
  $('account-status').textContent = e.kind === 'block' ? 'blocked'
    : e.kind === 'unblock' ? 'active' : $('account-status').textContent;
  if (!e.txn || e.kind === 'open' || e.kind === 'block' || e.kind === 'unblock') return;
  const top = $('changes').tBodies[0].rows[0];
  if (top && Number(top.dataset.version) >= e.version) return;  // already in the history
  addChange(e, true);
}

async function followAccount(id) {
  if (state.accountSub) await call({ op: 'unsubscribe', subscription: state.accountSub });
  state.accountSub = 0;
  state.account = id;
  $('changes').tBodies[0].replaceChildren();
  $('account-card').hidden = false;
  $('account-title').textContent = id;
  accountMessage('', false);
  const b = await call({ op: 'balance', account: id });
  if (!b.ok) return accountMessage(`${b.error}: ${b.message}`, true);
  $('balance').textContent = b.balance;
  $('currency').textContent = b.currency;
  $('version').textContent = b.version;
  $('account-status').textContent = b.status;
  // Subscribe first, then read the history: a change in between shows once (by version).
  const s = await call({ op: 'subscribe', accounts: [id] });
  if (!s.ok) accountMessage(`live updates refused: ${s.error}: ${s.message}`, true);
  else state.accountSub = s.subscription;
  const h = await call({ op: 'history', account: id, limit: maxRows });
  if (!h.ok) return accountMessage(`history: ${h.error}: ${h.message}`, true);
  const body = $('changes').tBodies[0];
  const live = [...body.rows].map((r) => Number(r.dataset.version));
  const newestLive = live.length ? Math.min(...live) : Infinity;
  for (const c of h.changes) if (c.version < newestLive) addChange(c, false);
}

async function setBlocked(op) {
  if (!state.account) return;
  const r = await call({ op, account: state.account });
  if (!r.ok) return accountMessage(`${op} refused: ${r.error}: ${r.message}`, true);
  $('account-status').textContent = r.status;
  accountMessage(`${state.account} is ${r.status}`, false);
}

// -- partners --------------------------------------------------------------------------------
function showPartnerTotals(e) {
  const key = `${e.partner}|${e.currency}`;
  let row = state.partnerRows.get(key);
  if (!row) {
    row = $('partner-totals').tBodies[0].insertRow();
    row.className = 'clickable';
    row.dataset.partner = e.partner;
    for (let i = 0; i < 6; ++i) row.insertCell();
    row.onclick = () => showPartner(e.partner);
    state.partnerRows.set(key, row);
  }
  [e.partner, e.currency, e.bets, e.wins, e.rollbacks, e.ggr].forEach((v, i) => {
    row.cells[i].textContent = v;
  });
}

async function followPartners(ids) {
  if (state.partnerSub) await call({ op: 'unsubscribe', subscription: state.partnerSub });
  state.partnerSub = 0;
  state.partnerRows.clear();
  $('partner-totals').tBodies[0].replaceChildren();
  const s = await call({ op: 'subscribe', partners: ids });
  if (s.ok) state.partnerSub = s.subscription;
  else $('partner-contract').textContent = `refused: ${s.error}: ${s.message}`;
}

function showPartnerTxn(e) {
  if (!e.txn) return;
  const body = $('partner-txns').tBodies[0];
  const row = body.insertRow(0);
  row.className = 'clickable';
  row.onclick = () => { showView('account'); followAccount(e.account); };
  for (const v of [fmtTime(e.at), e.account, e.txn, e.kind, e.amount, e.round, e.game])
    row.insertCell().textContent = v ?? '';
  while (body.rows.length > maxRows) body.deleteRow(-1);
}

async function showPartner(partner) {
  $('partner-detail').hidden = false;
  $('partner-title').textContent = partner;
  state.partner = partner;
  $('partner-txns').tBodies[0].replaceChildren();
  // Its transactions as they happen: every account's changes, this partner's kept (admin and
  // viewer tokens; a partner token sees its own accounts' through the Account page).
  if (!state.partnerTxnSub) {
    const s = await call({ op: 'subscribe', all: true });
    if (s.ok) state.partnerTxnSub = s.subscription;
  }
  const c = await call({ op: 'contract', partner });
  $('partner-share').textContent = c.ok && c.live_share !== undefined
    ? `${c.live_share} ${c.currency} (of GGR ${c.live_ggr_settlement}, open period, before carry-in)`
    : '-';
  if (!c.ok) {
    $('partner-contract').textContent = `contract: ${c.error}: ${c.message}`;
  } else {
    const live = (c.live || []).map((t) => `${t.currency} GGR ${t.ggr} (${t.bet_count} bets)`);
    $('partner-contract').textContent =
      `${c.kind}, ${c.cycle}, share ${c.share_bps / 100}% in ${c.currency}; open period ` +
      `${c.period} since ${fmtTime(c.from)}: ${live.join(', ') || 'nothing yet'}` +
      (c.credit_remaining !== undefined ? `; credit left ${c.credit_remaining}` : '') +
      (c.suspended ? '; SUSPENDED' : '');
  }
  const st = await call({ op: 'statements', partner });
  const body = $('partner-statements').tBodies[0];
  body.replaceChildren();
  for (const s of st.ok ? st.statements : []) {
    const row = body.insertRow();
    for (const v of [s.period, fmtTime(s.from), fmtTime(s.to), s.currency, s.net_payable])
      row.insertCell().textContent = v;
  }
}

// -- alerts ----------------------------------------------------------------------------------
function showAlert(e) {
  const row = $('alert-rows').tBodies[0].insertRow(0);
  for (const v of [fmtTime(e.at), e.partner, e.reason, e.credit_remaining, e.credit_alert])
    row.insertCell().textContent = v;
}

// -- overview: /metrics ----------------------------------------------------------------------
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = line.match(/^([a-z_]+)(?:\{(.*)\})? (\S+)$/);
    if (!m) continue;
    const labels = {};
    for (const kv of (m[2] || '').matchAll(/([a-z_]+)="([^"]*)"/g)) labels[kv[1]] = kv[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const history = { t: [], tps: [], p99: [] };
let previous = null;
const charts = {};

function makeChart(id, label, color) {
  // The x axis is always the last five minutes, however few points there are yet.
  const lastMinutes = (u, min, max) => [max - 300, max];
  return new uPlot({ width: 520, height: 200, scales: { x: { time: true, range: lastMinutes } },
                     series: [{}, { label, stroke: color, width: 2 }] },
                   [[], []], $(id));
}

function p99Ms(now, before) {
  const buckets = now.filter((s) => s.name === 'settle_request_duration_seconds_bucket' &&
                                    s.labels.op === 'txn');
  const was = new Map(before.filter((s) => s.name === 'settle_request_duration_seconds_bucket' &&
                                          s.labels.op === 'txn').map((s) => [s.labels.le, s.value]));
  const inf = buckets.find((b) => b.labels.le === '+Inf');
  const total = inf ? inf.value - (was.get('+Inf') || 0) : 0;
  if (total <= 0) return null;
  for (const b of buckets)
    if (b.value - (was.get(b.labels.le) || 0) >= 0.99 * total)
      return b.labels.le === '+Inf' ? null : Number(b.labels.le) * 1000;
  return null;
}

// The [[alerts]] rules as /metrics shows them; a change of state is added to the recent list.
const ruleStates = new Map();
function showRules(samples, at) {
  const by = (name) => new Map(samples.filter((s) => s.name === name).map((s) => [s.labels.name, s.value]));
  const firing = by('settle_alert_firing'), value = by('settle_alert_value'),
        threshold = by('settle_alert_threshold');
  const body = $('alert-rules').tBodies[0];
  body.replaceChildren();
  for (const [name, f] of firing) {
    const state = f === 1 ? 'firing' : 'ok';
    const row = body.insertRow();
    row.dataset.rule = name;
    row.className = f === 1 ? 'firing' : '';
    for (const v of [name, state, value.get(name).toFixed(2), threshold.get(name)])
      row.insertCell().textContent = v;
    const before = ruleStates.get(name);
    if (before !== undefined && before !== state) {
      const r = $('alert-recent').tBodies[0].insertRow(0);
      for (const v of [fmtTime(at), name, state === 'firing' ? 'firing' : 'resolved',
                       value.get(name).toFixed(2), threshold.get(name)])
        r.insertCell().textContent = v;
    }
    ruleStates.set(name, state);
  }
}

function showOverview(samples, at) {
  const one = (name) => (samples.find((s) => s.name === name) || { value: NaN }).value;
  const txns = samples.filter((s) => s.name === 'settle_transactions_total');
  const total = txns.reduce((a, s) => a + s.value, 0);
  if (previous) {
    const seconds = (at - previous.at) / 1000;
    const tps = Math.max(0, (total - previous.total) / seconds);
    const p99 = p99Ms(samples, previous.samples);
    $('tps').textContent = Math.round(tps).toLocaleString('en');
    $('p99').textContent = p99 === null ? '-' : p99.toFixed(2);
    history.t.push(at / 1000);
    history.tps.push(tps);
    history.p99.push(p99);
    for (const k of Object.keys(history)) if (history[k].length > 300) history[k].shift();
    charts.tps.setData([history.t, history.tps]);
    charts.p99.setData([history.t, history.p99]);
  }
  previous = { at, total, samples };
  showRules(samples, at);
  $('journal').textContent = one('settle_journal_healthy') === 1 ? 'healthy' : 'failing';
  $('accounts').textContent = one('settle_accounts');
  $('subscribers').textContent = one('settle_subscribers');
  $('alerts-firing').textContent = one('settle_alerts_firing');
  const body = $('errors').tBodies[0];
  body.replaceChildren();
  for (const s of txns)
    if (!['applied', 'duplicate', 'noop'].includes(s.labels.result) && s.value > 0) {
      const row = body.insertRow();
      for (const v of [s.labels.kind, s.labels.result, s.value]) row.insertCell().textContent = v;
    }
}

async function poll() {
  try {
    const r = await fetch('/metrics', { cache: 'no-store' });
    showOverview(parseMetrics(await r.text()), Date.now());
  } catch (e) {
    $('journal').textContent = 'unreachable';
  }
}

// -- audit -----------------------------------------------------------------------------------
async function showAudit() {
  const r = await call({ op: 'audit', limit: maxRows });
  $('audit-message').textContent = r.ok ? `${r.entries.length} newest` : `${r.error}: ${r.message}`;
  const body = $('audit-rows').tBodies[0];
  body.replaceChildren();
  for (const e of r.ok ? r.entries : []) {
    const row = body.insertRow();
    for (const v of [fmtTime(e.at), e.who, e.op, e.target, e.result, e.message])
      row.insertCell().textContent = v ?? '';
  }
}

// -- wiring ----------------------------------------------------------------------------------
function showView(name) {
  for (const x of document.querySelectorAll('nav button, .view')) x.classList.remove('active');
  document.querySelector(`nav button[data-view="${name}"]`).classList.add('active');
  $(name).classList.add('active');
  if (name === 'audit') showAudit();
  if (name !== 'partners' && state.partnerTxnSub) {
    // The every-account stream only while a partner's transactions are on screen.
    call({ op: 'unsubscribe', subscription: state.partnerTxnSub });
    state.partnerTxnSub = 0;
    state.partner = null;
    $('partner-detail').hidden = true;
  }
}
for (const b of document.querySelectorAll('nav button'))
  b.onclick = () => showView(b.dataset.view);
$('audit-refresh').onclick = showAudit;
$('login').onsubmit = (e) => { e.preventDefault(); connect($('token').value); };
$('account-form').onsubmit = (e) => { e.preventDefault(); followAccount($('account-id').value.trim()); };
$('partners-form').onsubmit = (e) => {
  e.preventDefault();
  followPartners($('partner-ids').value.split(',').map((s) => s.trim()).filter(Boolean));
};
$('block').onclick = () => setBlocked('block');
$('unblock').onclick = () => setBlocked('unblock');
charts.tps = makeChart('chart-tps', 'tx/s', '#2f6feb');
charts.p99 = makeChart('chart-p99', 'p99 ms', '#cf222e');
poll();
setInterval(poll, 1000);
