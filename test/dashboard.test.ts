// `claude-metrics dashboard` over HTTP, as a process on a database the real worker built from the
// recorded fixtures: the API's figures against expected.json and the config file's budgets, the
// server-side sessions table, one session, tools, branches, blocks, the pipeline, the live stream
// after a real drain, then stopping on a signal. The security rules: dashboard-security.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { drain, event, query, sandbox, spoolPayload, startWorker, waitUntil } from './helpers.ts';
import { EXPECTED, buildFixtureDb } from './support/fixture-db.ts';
import { getJson, request, startDashboard } from './support/dashboard.ts';
import { downgradeTo7 } from './support/schema-7.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const close = (a: number, b: number, what: string, eps = 1e-6): void => assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} vs ${b}`);
const sum = (f: (s: (typeof EXPECTED)[string]) => number): number => Object.values(EXPECTED).reduce((a, s) => a + f(s), 0);
const DAY = Object.values(EXPECTED)[0]!.start_time.slice(0, 10);
const RANGE = `tz=UTC&from=${DAY}&to=${DAY}`;

test('dashboard API on the fixtures database', async (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  const config = path.join(sb.dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ budgets: { day: 0.2, week: 1, month: 0.25, block: 2 } }));
  // Now: the evening of the fixtures' day, in their 5-hour block.
  const d = await startDashboard(t, sb.db, ['--spool', sb.spool, '--now', `${DAY}T21:30:00.000Z`], { CLAUDE_METRICS_CONFIG: config });
  assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  await t.test('overview: the range totals and per-model costs are expected.json\'s', async () => {
    const o = await getJson(d.port, `/api/overview?${RANGE}`);
    assert.equal(o.totals.sessions, Object.keys(EXPECTED).length);
    assert.equal(o.totals.api_calls, sum((s) => s.api_calls));
    close(o.totals.cost_usd, sum((s) => s.cost_usd), 'cost');
    assert.equal(o.totals.cache_read_tokens, sum((s) => s.cache_read_tokens));
    assert.deepEqual(o.days, [DAY]);
    const byModel = new Map<string, number>();
    for (const s of Object.values(EXPECTED)) for (const [m, f] of Object.entries(s.models)) byModel.set(m, (byModel.get(m) ?? 0) + f.cost_usd);
    assert.deepEqual(o.models, [...byModel.keys()].sort());
    o.models.forEach((m: string, i: number) => close(o.cost_by_model[i][0], byModel.get(m)!, m));
    const cacheable = o.totals.input_tokens + o.totals.cache_creation_tokens + o.totals.cache_read_tokens;
    close(o.totals.cache_hit_ratio, o.totals.cache_read_tokens / cacheable, 'cache hit ratio', 1e-12);
    // A range without the day has nothing.
    const empty = await getJson(d.port, '/api/overview?tz=UTC&from=2020-01-01&to=2020-01-31');
    assert.equal(empty.totals.api_calls, 0);
    assert.equal(empty.days.length, 31);
  });

  await t.test("now: today, this week and this month against the config file's budgets; the active block", async () => {
    const total = sum((s) => s.cost_usd);
    const n = await getJson(d.port, `/api/now?${RANGE}`);
    assert.equal(n.now, `${DAY}T21:30:00.000Z`);
    const by = Object.fromEntries(n.periods.map((p: Json) => [p.period, p]));
    for (const [period, budget, level] of [['day', 0.2, 'over'], ['week', 1, 'ok'], ['month', 0.25, 'warn']] as const) {
      close(by[period].cost_usd, total, `${period} cost`);
      assert.equal(by[period].api_calls, sum((s) => s.api_calls), period);
      assert.equal(by[period].budget_usd, budget, period);
      assert.equal(by[period].level, level, period);
      close(by[period].used_pct, Math.round((total / budget) * 1000) / 10, `${period} %`, 1e-9);
    }
    assert.equal(by.day.date, DAY);
    assert.equal(n.block.start, `${DAY}T19:00:00.000Z`);
    close(n.block.cost_usd, total, 'block cost');
    assert.equal(n.block.level, 'ok');
    assert.equal(n.block.ms_left, 2.5 * 3_600_000);
    // Another zone moves the day: in Tokyo the fixtures' evening is the next morning.
    const tokyo = await getJson(d.port, '/api/now?tz=Asia%2FTokyo');
    assert.equal(tokyo.periods[0].date, new Date(Date.parse(DAY) + 86_400_000).toISOString().slice(0, 10));
    // An invalid config file: no budgets, and why.
    fs.writeFileSync(config, JSON.stringify({ budgets: { dya: 3 } }));
    const bad = await getJson(d.port, `/api/now?${RANGE}`);
    assert.match(bad.config.error, /budgets\.dya/);
    assert.equal(bad.periods[0].budget_usd, null);
  });

  await t.test('sessions: sorted, filtered and paged by the server', async () => {
    const all = await getJson(d.port, `/api/sessions?${RANGE}&sort=cost&dir=desc`);
    assert.equal(all.total, 3);
    const byCost = Object.entries(EXPECTED).sort((a, b) => b[1].cost_usd - a[1].cost_usd).map(([id]) => id);
    assert.deepEqual(all.rows.map((r: Json) => r.session_id), byCost);
    const page2 = await getJson(d.port, `/api/sessions?${RANGE}&sort=cost&dir=desc&per_page=1&page=2`);
    assert.deepEqual([page2.total, page2.rows.length, page2.rows[0].session_id], [3, 1, byCost[1]]);
    const asc = await getJson(d.port, `/api/sessions?${RANGE}&sort=cost&dir=asc&per_page=1`);
    assert.equal(asc.rows[0].session_id, byCost[2]);
    const shop = await getJson(d.port, `/api/sessions?${RANGE}&q=shop-api`);
    assert.equal(shop.total, 1);
    assert.match(shop.rows[0].project, /shop-api$/);
    const opus = await getJson(d.port, `/api/sessions?${RANGE}&q=opus`);
    assert.deepEqual(opus.rows.map((r: Json) => r.session_id), Object.entries(EXPECTED).filter(([, s]) => 'claude-opus-4-5' in s.models).map(([id]) => id));
    const project = await getJson(d.port, `/api/sessions?${RANGE}&project=${encodeURIComponent(shop.rows[0].project)}`);
    assert.equal(project.total, 1);
    assert.equal((await getJson(d.port, `/api/sessions?${RANGE}&q=${encodeURIComponent('%')}`)).total, 0, 'LIKE wildcards are literal');
    for (const row of all.rows as Json[]) {
      const want = EXPECTED[row.session_id]!;
      close(row.cost_usd, want.cost_usd, `${row.session_id} cost`);
      for (const k of ['api_calls', 'tool_calls', 'commits', 'lines_added', 'lines_removed'] as const) assert.equal(row[k], want[k], `${row.session_id} ${k}`);
      assert.deepEqual(row.models, Object.keys(want.models).sort());
    }
    for (const bad of ['sort=evil', 'dir=up', 'page=0', 'per_page=100000', 'tz=Mars%2FOlympus', 'from=2026-02-30', 'from=2026-02-02&to=2026-02-01']) {
      const r = await request(d.port, `/api/sessions?${bad}`);
      assert.equal(r.status, 400, `${bad}: ${r.body}`);
      assert.ok(JSON.parse(r.body).error, bad);
    }
  });

  await t.test('one session: its calls, models and events', async () => {
    for (const [id, want] of Object.entries(EXPECTED)) {
      const s = await getJson(d.port, `/api/sessions/${id}`);
      assert.equal(s.calls.t.length, want.api_calls, id);
      close(s.calls.cost.reduce((a: number, c: number) => a + c, 0), want.cost_usd, `${id} calls' cost`);
      close(s.session.cost_usd, want.cost_usd, `${id} cost`);
      assert.deepEqual(s.models.map((m: Json) => m.model).sort(), Object.keys(want.models).sort());
      assert.ok(s.events.some((e: Json) => e.event === 'SessionEnd'), id);
      assert.deepEqual([...s.calls.t].sort(), s.calls.t, 'calls in time order');
    }
    assert.equal((await request(d.port, '/api/sessions/no-such-session')).status, 404);
  });

  await t.test('projects and models', async () => {
    const p = await getJson(d.port, `/api/projects?${RANGE}`);
    assert.equal(p.rows.length, 3);
    close(p.totals.cost_usd, sum((s) => s.cost_usd), 'projects total');
    const m = await getJson(d.port, `/api/models?${RANGE}`);
    assert.deepEqual(m.rows.map((r: Json) => r.key).sort(), [...new Set(Object.values(EXPECTED).flatMap((s) => Object.keys(s.models)))].sort());
  });

  await t.test('tools, branches and blocks', async () => {
    const tools = await getJson(d.port, `/api/tools?${RANGE}`);
    assert.equal(tools.available, true);
    const inDb = query<{ name: string; uses: number; errors: number }>(sb.db, 'SELECT name, count(*) AS uses, COALESCE(sum(is_error = 1), 0) AS errors FROM tool_uses GROUP BY name ORDER BY uses DESC, name');
    assert.deepEqual(tools.rows.map((r: Json) => ({ name: r.name, uses: r.uses, errors: r.errors })), inDb);
    assert.equal(tools.rows.reduce((a: number, r: Json) => a + r.uses, 0), sum((s) => s.tool_calls));
    assert.equal(tools.by_agent.main + tools.by_agent.subagents, sum((s) => s.tool_calls));
    assert.equal(tools.series.reduce((a: number, x: Json) => a + x.uses.reduce((b: number, u: number) => b + u, 0), 0), sum((s) => s.tool_calls), 'per day adds up');
    assert.equal((await getJson(d.port, '/api/tools?tz=UTC&from=2020-01-01&to=2020-01-02')).rows.length, 0);
    const branches = await getJson(d.port, `/api/branches?${RANGE}`);
    assert.equal(branches.available, true);
    assert.equal(branches.rows.reduce((a: number, r: Json) => a + r.api_calls, 0), sum((s) => s.api_calls));
    close(branches.rows.reduce((a: number, r: Json) => a + r.cost_usd, 0), sum((s) => s.cost_usd), 'branches cost');
    const callBranches = query<{ b: string }>(sb.db, "SELECT DISTINCT COALESCE(git_branch, '(none)') AS b FROM token_usage ORDER BY b").map((r) => r.b);
    assert.deepEqual([...new Set(branches.rows.map((r: Json) => r.branch))].sort(), callBranches);
    const blocks = await getJson(d.port, `/api/blocks?${RANGE}`);
    assert.equal(blocks.totals.blocks, 1);
    close(blocks.totals.cost_usd, sum((s) => s.cost_usd), 'blocks cost');
  });

  await t.test('pipeline: spool counts, the worker, dead letters with reasons, payloads by day and event', async () => {
    const ledger = query<{ event: string; n: number }>(sb.db, "SELECT event, count(*) AS n FROM payloads WHERE event <> 'StatusLine' GROUP BY event ORDER BY event");
    let p = await getJson(d.port, `/api/pipeline?${RANGE}`);
    assert.deepEqual([p.spool.incoming, p.spool.processing, p.spool.dead, p.worker.running], [0, 0, 0, false]);
    assert.deepEqual(p.events.map((e: Json) => [e.event, e.counts.reduce((a: number, c: number) => a + c, 0)]), ledger.map((r) => [r.event, r.n]));
    assert.equal(p.database.sessions, Object.keys(EXPECTED).length);
    assert.equal(p.database.last_applied.event, 'SessionEnd');
    assert.ok(p.recent.length > 0 && p.recent.every((r: Json) => r.delay_ms >= 0));
    // A payload that can never apply (not JSON), drained: a dead letter with its reason.
    const bad = spoolPayload(sb, '{not json');
    assert.equal(drain(sb).code, 0);
    // One waiting, with no worker to take it.
    const waiting = spoolPayload(sb, event(Object.keys(EXPECTED)[0]!, 'Stop'));
    p = await getJson(d.port, `/api/pipeline?${RANGE}`);
    assert.deepEqual([p.spool.incoming, p.spool.dead], [1, 1]);
    assert.equal(p.spool.oldest_waiting.id, waiting);
    assert.equal(p.dead_letters[0].id, bad);
    assert.match(p.dead_letters[0].reason, /JSON/i);
    assert.equal(p.dead_history[0].id, bad);
    assert.equal(p.dead_history[0].retried, false);
    // A watching worker: seen from its pid file (the lock is never probed), and it takes the payload.
    const worker = await startWorker(sb, [], 'worker ready');
    await waitUntil(() => !fs.existsSync(path.join(sb.spool, 'incoming', `${waiting}.json`)));
    p = await getJson(d.port, `/api/pipeline?${RANGE}`);
    assert.deepEqual([p.worker.running, p.worker.pid, p.spool.incoming], [true, worker.child.pid, 0]);
    worker.child.kill('SIGTERM');
    assert.equal((await worker.exited).code, 0);
    assert.equal((await getJson(d.port, `/api/pipeline?${RANGE}`)).worker.running, false);
  });

  await t.test('the live stream says when the worker commits', async () => {
    const events: string[] = [];
    const req = http.get({ host: '127.0.0.1', port: d.port, path: '/api/live' }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => events.push(chunk));
    });
    t.after(() => req.destroy());
    await waitUntil(() => events.join('').includes('event: hello'));
    const before = (await getJson(d.port, '/api/version')).changes;
    spoolPayload(sb, event(Object.keys(EXPECTED)[0]!, 'UserPromptSubmit'));
    assert.equal(drain(sb).code, 0);
    await waitUntil(() => events.join('').includes('event: change'));
    assert.ok((await getJson(d.port, '/api/version')).changes > before);
  });

  await t.test('SIGINT stops it: exit 0', async () => {
    const { code } = await d.stop('SIGINT');
    assert.equal(code, 0);
    assert.match(d.stdout(), /stopped \(SIGINT\)/);
  });
});

test('dashboard on a schema-7 database (before tool names and branches): every view answers, tools and branches say they cannot yet', async (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  downgradeTo7(sb.db);
  const d = await startDashboard(t, sb.db, ['--spool', sb.spool]);
  const o = await getJson(d.port, `/api/overview?${RANGE}`);
  close(o.totals.cost_usd, sum((s) => s.cost_usd), 'cost');
  assert.deepEqual([(await getJson(d.port, `/api/tools?${RANGE}`)).available, (await getJson(d.port, `/api/branches?${RANGE}`)).available], [false, false]);
  const sessions = await getJson(d.port, `/api/sessions?${RANGE}&q=HEAD`);
  assert.equal(sessions.total, 0, 'no branch to match');
  const id = Object.keys(EXPECTED)[0]!;
  const detail = await getJson(d.port, `/api/sessions/${id}`);
  assert.deepEqual([detail.session.branch, detail.tools.by_name, detail.tools.total], [null, null, EXPECTED[id]!.tool_calls]);
  for (const route of ['now', 'top', 'projects', 'models', 'blocks', 'pipeline']) assert.ok(await getJson(d.port, `/api/${route}?${RANGE}`), route);
});
