// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core,
// against the built CLI's dashboard on a database the real worker built from the recorded
// fixtures. The overview's figures are expected.json's; a click opens a session with its calls
// and cost; a turn appended to a transcript plus a hook payload spooled by the real hook and
// applied by a watching worker show up without a reload; a page on a rebinding host name and a
// page of another origin are refused; no Content-Security-Policy violation or script error on
// any view; and a screenshot of each view is written to docs/dashboard/<view>.png (when it
// changed beyond the times of the run: support/screenshots.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import { ROOT, type Sandbox, drain, payloadId, runHook, sandbox, spoolPayload, startWorker } from './helpers.ts';
import { EXPECTED, buildFixtureDb } from './support/fixture-db.ts';
import { startDashboard } from './support/dashboard.ts';
import { keepScreenshot } from './support/screenshots.ts';
import { snapshot, statuslineId } from './support/statusline.ts';
import { DEFAULT_PRICES, callCostUsd, resolvePrices } from '../src/worker/pricing.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'];
const SHOTS = path.join(ROOT, 'docs', 'dashboard');

const sum = (f: (s: (typeof EXPECTED)[string]) => number): number => Object.values(EXPECTED).reduce((a, s) => a + f(s), 0);
const DAY = Object.values(EXPECTED)[0]!.start_time.slice(0, 10);
const RANGE = `tz=UTC&from=${DAY}&to=${DAY}`;
/** The week up to the fixtures' day, for the screenshots (the same figures, drawn among empty days). */
const WEEK = `tz=UTC&from=${new Date(Date.parse(DAY) - 6 * 86_400_000).toISOString().slice(0, 10)}&to=${DAY}`;
/** The most expensive fixture session, the one the status line snapshots below belong to. */
const TOP = Object.entries(EXPECTED).sort((a, b) => b[1].cost_usd - a[1].cost_usd)[0]!;
// The time the dashboard takes as now: the evening of the fixtures' day, inside their 5-hour block.
const NOW = `${DAY}T21:30:00.000Z`;

/**
 * Four status line snapshots of the top session over the evening (context filling up, the official
 * five-hour and 7-day use rising, Claude Code's own cost reaching ours), applied by the worker.
 */
function addStatusLine(sb: Sandbox): void {
  const [id, want] = TOP;
  const steps = [
    ['19:40:32', 10, 20, 15, want.cost_usd * 0.4],
    ['19:55:00', 18, 31, 15.5, want.cost_usd * 0.7],
    ['20:30:00', 27, 46, 16.5, want.cost_usd * 0.9],
    ['21:10:00', 35, 58, 17.5, want.cost_usd],
  ] as const;
  for (const [time, context, fiveHour, sevenDay, cost] of steps) {
    const at = Date.parse(`${DAY}T${time}.000Z`);
    spoolPayload(sb, snapshot('2.1.332-pro.json', id, (x) => {
      x.cost.total_cost_usd = cost;
      x.context_window.used_percentage = context;
      x.rate_limits.five_hour.used_percentage = fiveHour;
      x.rate_limits.five_hour.resets_at = Date.parse(`${DAY}T24:00:00.000Z`) / 1000;
      x.rate_limits.seven_day.used_percentage = sevenDay;
    }), statuslineId(at));
  }
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
}

async function launch(extra: string[] = []): Promise<Browser> {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...ARGS, ...extra] });
}

/** A page that records every console error, uncaught error and CSP violation. */
async function newPage(browser: Browser, problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return page;
}

const ready = (page: Page, view: string): Promise<unknown> => page.waitForSelector(`[data-view="${view}"][data-ready="true"]`, { timeout: 30_000 });
const kpi = async (page: Page, name: string): Promise<number> => Number(await page.getAttribute(`[data-kpi="${name}"]`, 'data-value'));
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);

test('the dashboard in Chromium on the fixtures database', async (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  addStatusLine(sb);
  const config = path.join(sb.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ budgets: { day: 0.2, week: 1, month: 0.25, block: 2 } }));
  // A payload that can never apply, for the pipeline's dead letters.
  spoolPayload(sb, '{"session_id": "cut-short"', payloadId(Date.parse(`${DAY}T20:05:00.000Z`)));
  assert.equal(drain(sb).code, 0);
  const d = await startDashboard(t, sb.db, ['--spool', sb.spool, '--now', NOW], { CLAUDE_METRICS_CONFIG: config });
  const browser = await launch();
  t.after(() => browser.close());
  const problems: string[] = [];
  const page = await newPage(browser, problems);

  await t.test("the overview's totals are the fixtures' expected figures", async () => {
    await page.goto(`${d.url}?${RANGE}`);
    await ready(page, 'overview');
    close(await kpi(page, 'cost'), sum((s) => s.cost_usd), 'cost');
    assert.equal(await kpi(page, 'calls'), sum((s) => s.api_calls));
    assert.equal(await kpi(page, 'sessions'), Object.keys(EXPECTED).length);
    assert.equal(await kpi(page, 'tokens'), sum((s) => s.input_tokens + s.output_tokens + s.cache_creation_tokens + s.cache_read_tokens));
    assert.equal(await page.textContent('[data-kpi="cost"]'), `$${sum((s) => s.cost_usd).toFixed(4)}`);
    assert.equal(await page.locator('.chart[data-drawn="true"] canvas').count(), 3, 'cost, tokens and the official limits are drawn');
    assert.equal(await page.textContent('[data-kpi="spent-day"]'), `$${sum((s) => s.cost_usd).toFixed(4)}`, 'today (--now is that evening)');
    assert.match(await page.textContent('[data-kpi="block"]') ?? '', /^\$/, 'the 5-hour block is active');
    // Budgets from the config file: today is past its $0.20, the month at 92 % of its $0.25.
    assert.equal(await page.locator('.kpi.period.over [data-kpi="spent-day"]').count(), 1);
    assert.equal(await page.locator('.kpi.period.warn [data-kpi="spent-month"]').count(), 1);
    assert.equal(await page.locator('.kpi.period.over .budget.over').count(), 1, 'the bar says so too');
    assert.equal(await page.locator('[data-testid="top-sessions"] tbody tr').count(), Object.keys(EXPECTED).length);
  });

  await t.test('clicking a session shows its calls and cost', async () => {
    const [id, want] = TOP;
    await page.click('[data-testid="top-sessions"] tbody tr:first-child a.session-link');
    await ready(page, 'session');
    assert.equal(new URL(page.url()).pathname, `/sessions/${id}`);
    assert.match(page.url(), /tz=UTC/, 'the range and time zone stay in the URL');
    close(await kpi(page, 'session-cost'), want.cost_usd, 'session cost');
    assert.equal(await kpi(page, 'session-calls'), want.api_calls);
    assert.equal(await page.locator('[data-testid="session-calls"] tbody tr').count(), want.api_calls);
    close(await kpi(page, 'session-reported'), want.cost_usd, "Claude Code's own cost, from the last snapshot");
    assert.equal(await page.locator('.chart[data-drawn="true"] canvas').count(), 2, 'its calls and its context use are drawn');
    assert.equal(await page.locator('[data-testid="session-tools"] tbody tr').count() > 0, true, 'tool uses by name');
  });

  await t.test('the sessions table sorts on the server when a header is clicked', async () => {
    await page.click('nav >> text=Sessions');
    await ready(page, 'sessions');
    await page.click('[data-testid="sessions"] th >> text=Cost');
    await page.waitForURL(/sort=cost/);
    await ready(page, 'sessions');
    const firstCost = await page.textContent('[data-testid="sessions"] tbody tr:first-child td:nth-child(11)');
    assert.equal(firstCost, `$${Math.max(...Object.values(EXPECTED).map((s) => s.cost_usd)).toFixed(4)}`);
  });

  await t.test('the time zone and range chosen on the page move the days and stay in the URL', async () => {
    await page.goto(`${d.url}?${RANGE}`);
    await ready(page, 'overview');
    // The fixtures ran at 19:40 UTC: 04:40 the next day in Tokyo, so the same local day is empty there.
    await page.selectOption('select[aria-label="Time zone"]', 'Asia/Tokyo');
    await page.waitForURL(/tz=Asia%2FTokyo/);
    await page.waitForSelector('[data-kpi="calls"][data-value="0"]');
    const next = new Date(Date.parse(DAY) + 86_400_000).toISOString().slice(0, 10);
    await page.fill('input[aria-label="From"]', next);
    await page.fill('input[aria-label="To"]', next);
    await page.waitForURL(new RegExp(`from=${next}&to=${next}`));
    await page.waitForSelector(`[data-kpi="calls"][data-value="${sum((s) => s.api_calls)}"]`);
    await page.reload();
    await ready(page, 'overview');
    assert.equal(await kpi(page, 'calls'), sum((s) => s.api_calls), 'the URL alone says what to show');
    assert.equal(await page.inputValue('select[aria-label="Time zone"]'), 'Asia/Tokyo');
  });

  await t.test('a hook payload and a transcript turn appear without a reload', async () => {
    await page.goto(`${d.url}?${RANGE}`);
    await ready(page, 'overview');
    await page.evaluate(() => Object.assign(globalThis, { __noReload: 'still here' }));
    const worker = await startWorker(sb);
    t.after(async () => {
      worker.child.kill('SIGTERM');
      await worker.exited;
    });
    // One more turn in the first session's transcript (the copy buildFixtureDb made), then its Stop.
    const id = Object.keys(EXPECTED)[0]!;
    const transcript = fs.readdirSync(path.join(sb.dir, 'home', '.claude', 'projects'), { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith(`${id}.jsonl`))!;
    const file = path.join(sb.dir, 'home', '.claude', 'projects', transcript);
    const usage = { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const cwd = JSON.parse(fs.readFileSync(file, 'utf8').split('\n').find((l) => l.includes('"cwd"'))!).cwd as string;
    fs.appendFileSync(file, [
      JSON.stringify({ type: 'user', sessionId: id, cwd, timestamp: `${DAY}T21:00:00.000Z`, message: { role: 'user', content: 'one more thing' } }),
      JSON.stringify({ type: 'assistant', sessionId: id, cwd, requestId: 'req_live_1', timestamp: `${DAY}T21:00:05.000Z`, message: { id: 'msg_live_1', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'done' }], usage } }),
      '',
    ].join('\n'));
    const hook = await runHook(JSON.stringify({ session_id: id, transcript_path: file, cwd, hook_event_name: 'Stop', stop_hook_active: false }), ['--spool', sb.spool]);
    assert.equal(hook.code, 0, hook.stderr);
    const added = callCostUsd(resolvePrices(DEFAULT_PRICES, 'claude-sonnet-4-5')!, usage);
    const calls = sum((s) => s.api_calls) + 1;
    await page.waitForSelector(`[data-kpi="calls"][data-value="${calls}"]`, { timeout: 30_000 });
    close(await kpi(page, 'cost'), sum((s) => s.cost_usd) + added, 'cost after the turn');
    assert.equal(await page.evaluate(() => (globalThis as { __noReload?: string }).__noReload), 'still here', 'the page was not reloaded');
  });

  await t.test('a screenshot of each view, none with a CSP violation or script error', async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    const id = TOP[0];
    const views: Array<[string, string]> = [
      ['overview', '/'],
      ['sessions', '/sessions'],
      ['session', `/sessions/${id}`],
      ['projects', '/projects'],
      ['branches', '/branches'],
      ['models', '/models'],
      ['tools', '/tools'],
      ['blocks', '/blocks'],
      ['pipeline', '/pipeline'],
    ];
    for (const [view, route] of views) {
      await page.goto(`${d.url.replace(/\/$/, '')}${route}?${WEEK}`);
      await ready(page, view);
      if (view === 'pipeline') {
        assert.equal(await kpi(page, 'dead'), 1);
        assert.match(await page.textContent('[data-testid="dead-letters"] tbody') ?? '', /JSON/i, 'the reason is shown');
      }
      const png = await page.screenshot({ fullPage: true });
      assert.ok(png.length > 10_000, view);
      await keepScreenshot(browser, path.join(SHOTS, `${view}.png`), png);
    }
    assert.deepEqual(problems, []);
  });
});

test('in Chromium: a rebinding host name and a page of another origin are refused', async (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  const d = await startDashboard(t, sb.db);
  // DNS rebinding: a name the attacker controls now resolves to 127.0.0.1.
  const browser = await launch([`--host-resolver-rules=MAP rebind.test 127.0.0.1`]);
  t.after(() => browser.close());
  const page = await browser.newPage();
  const page421 = await page.goto(`http://rebind.test:${d.port}/`);
  assert.equal(page421?.status(), 421);
  const api421 = await page.goto(`http://rebind.test:${d.port}/api/overview?${RANGE}`);
  assert.equal(api421?.status(), 421);
  assert.doesNotMatch(await page.content(), /cost_usd/);

  // Another origin on this machine (another port of 127.0.0.1: same site, not same origin).
  const evil = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  t.after(() => evil.close());
  const evilPort = (evil.address() as { port: number }).port;
  await page.goto(`http://127.0.0.1:${evilPort}/`);
  // What went over the wire, from Chromium's own network log: the headers it really sent (Origin,
  // Sec-Fetch-Site are added below the page's reach) and the status our server answered.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map<string, string>();
  const sent = new Map<string, Record<string, string>>();
  const statuses = new Map<string, number>();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => sent.set(e.requestId, e.headers as Record<string, string>));
  cdp.on('Network.responseReceivedExtraInfo', (e) => statuses.set(e.requestId, e.statusCode));
  const api = `http://127.0.0.1:${d.port}/api/overview?${RANGE}`;
  const outcome = await page.evaluate(async (url) => {
    const results: string[] = [];
    for (const mode of ['cors', 'no-cors'] as const) {
      try {
        const r = await fetch(url, { mode, credentials: 'include' });
        results.push(`${mode}: ${r.type} ${r.status} ${(await r.text()).slice(0, 40)}`);
      } catch (err) {
        results.push(`${mode}: ${(err as Error).name}`);
      }
    }
    return results;
  }, api);
  const ours = [...urls].filter(([, url]) => url === api).map(([id]) => id);
  assert.equal(ours.length, 2, 'both requests were made');
  for (const id of ours) {
    assert.equal(sent.get(id)?.['Sec-Fetch-Site'] ?? sent.get(id)?.['sec-fetch-site'], 'same-site', JSON.stringify(sent.get(id)));
    assert.equal(statuses.get(id), 403, `the server refused it (${outcome.join('; ')})`);
  }
  assert.ok(outcome.every((o) => !o.includes('cost_usd')), outcome.join('; '));
});
