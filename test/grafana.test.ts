// The Grafana dashboard's queries, run as Grafana and frser-sqlite-datasource would run them:
// every panel's SQL from grafana/dashboards/claude-metrics.json, with $__from/$__to (epoch ms)
// and the plugin's macro substituted, against a database the real worker built from the
// fixtures. Each returns rows with the expected columns, time columns the plugin reads (RFC 3339
// text or epoch seconds), nothing for a time range without data, and the report's figures.
//
// Every panel is also run through the plugin's own typing rules (test/support/grafana-plugin.ts,
// an emulation read from its source: Grafana cannot run here), over the fixtures, over ranges and
// a fresh database without data, and over data whose first call is a model without a price: no
// panel may lose a value to a column type an earlier row fixed, nor fail the long-to-wide
// conversion of a time series.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { CLI, FIXTURES, ROOT, drain, event, payloadId, sandbox, spoolPayload } from './helpers.ts';
import { EXPECTED, buildEmptyDb, buildFixtureDb } from './support/fixture-db.ts';
import { type PluginFrame, runAsPlugin } from './support/grafana-plugin.ts';
import { snapshot, statuslineId } from './support/statusline.ts';

interface Target {
  refId: string;
  datasource: { type: string; uid: string };
  queryType: string;
  queryText: string;
  rawQueryText: string;
  timeColumns: string[];
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
}

const DASHBOARD = JSON.parse(fs.readFileSync(path.join(ROOT, 'grafana', 'dashboards', 'claude-metrics.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string; current: { value: string } }> };
};

// The columns each panel's query must return (panel options such as xField and overrides name them).
const COLUMNS: Record<string, string[]> = {
  Cost: ['cost_usd'],
  Sessions: ['sessions'],
  'API calls': ['api_calls'],
  Tokens: ['tokens'],
  'Cache hit ratio': ['cache_hit_ratio'],
  'Payloads applied': ['payloads'],
  'Cost per day, by model': ['time', 'model', 'cost_usd'],
  'Tokens per day, by kind': ['time', 'input', 'output', 'cache_write', 'cache_read'],
  'Cache hit ratio per day': ['time', 'cache_hit_ratio'],
  'Sessions per day': ['time', 'sessions'],
  'Cost by project': ['project', 'cost_usd'],
  'Recent sessions': ['start', 'project', 'models', 'cost_usd', 'duration_s', 'tokens', 'tool_calls', 'commits', 'lines_added', 'lines_removed', 'session_id'],
  'Most expensive sessions': ['start', 'project', 'models', 'cost_usd', 'duration_s', 'tokens', 'tool_calls', 'commits', 'lines_added', 'lines_removed', 'session_id'],
  'Cost by model': ['model', 'sessions', 'api_calls', 'tokens', 'cost_usd'],
  'Pipeline: payloads applied per day, by event': ['time', 'event', 'payloads'],
  'Pipeline: latest payloads': ['received_at', 'applied_at', 'event', 'session_id', 'delay_s'],
  'Pipeline: dead letters per day': ['time', 'still_dead', 'retried_and_applied'],
  'Pipeline: dead letters': ['dead_lettered_at', 'received_at', 'id', 'reason', 'state'],
};

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** What Grafana (global variables) and the plugin (its one macro) do to the SQL before SQLite sees it. */
function substitute(sql: string, fromMs: number, toMs: number): string {
  const out = sql
    .replace(/\$__unixEpochGroupSeconds\(\s*([^,]+?)\s*,\s*(\d+)\s*\)/g, 'cast(($1 / $2) as int) * $2')
    .replaceAll('${__from:date:seconds}', String(Math.floor(fromMs / 1000)))
    .replaceAll('${__to:date:seconds}', String(Math.floor(toMs / 1000)))
    .replaceAll('${__from}', String(fromMs))
    .replaceAll('${__to}', String(toMs))
    .replaceAll('$__from', String(fromMs))
    .replaceAll('$__to', String(toMs));
  assert.doesNotMatch(out, /\$/, `a macro or variable left unsubstituted in: ${out}`);
  return out;
}

function queryPanels(): Panel[] {
  return allPanels(DASHBOARD.panels).filter((p) => p.targets && p.targets.length > 0);
}

/** The panel's query run as the plugin would run it over [fromMs, toMs); fails on any defect it would show. */
function asPlugin(db: Database.Database, p: Panel, target: Target, fromMs: number, toMs: number, what: string): PluginFrame {
  const frame = runAsPlugin(db, substitute(target.queryText, fromMs, toMs), target);
  assert.deepEqual(frame.defects, [], `${p.title} (${what}), as the plugin reads it: ${JSON.stringify(frame.fields.map((f) => [f.name, f.columnType]))}`);
  return frame;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const starts = Object.values(EXPECTED).map((s) => Date.parse(s.start_time));
const FIXTURE_FROM = Math.min(...starts) - 86_400_000;
const FIXTURE_TO = Math.max(...starts) + 86_400_000;

test('every dashboard query runs on the fixtures database, returns its columns, and respects the time range', (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  // Two broken payloads among the fixtures' hook times, dead-lettered by the real worker; one is
  // then fixed and retried, and applies.
  const at = Math.min(...starts) + 1000;
  const broken = spoolPayload(sb, '{"hook_event_name": "Stop"', payloadId(at));
  const fixedLater = spoolPayload(sb, '{"hook_event_name": "Stop"}', payloadId(at + 1));
  // Status line snapshots of two sessions (the ledger keeps each one's newest): not hook
  // payloads, so the pipeline panels leave them out.
  const [s1, s2] = Object.keys(EXPECTED) as [string, string];
  for (let i = 0; i < 6; i++) spoolPayload(sb, snapshot('2.1.332-pro.json', i % 2 ? s1 : s2), statuslineId(at + 10 + i));
  assert.equal(drain(sb).code, 0);
  fs.writeFileSync(path.join(sb.spool, 'dead', `${fixedLater}.json`), JSON.stringify({ session_id: Object.keys(EXPECTED)[0], hook_event_name: 'Notification' }));
  assert.equal(spawnSync(process.execPath, [CLI, 'dead', 'retry', fixedLater, '--spool', sb.spool]).status, 0);
  assert.equal(drain(sb).code, 0);
  const db = new Database(sb.db, { readonly: true, fileMustExist: true });
  t.after(() => db.close());
  const panels = queryPanels();
  assert.deepEqual(panels.map((p) => p.title).sort(), Object.keys(COLUMNS).sort(), 'every panel with a query has its columns listed here');
  const results = new Map<string, Array<Record<string, unknown>>>();
  for (const p of panels) {
    for (const target of p.targets!) {
      assert.equal(target.datasource.type, 'frser-sqlite-datasource', p.title);
      assert.equal(target.queryText, target.rawQueryText, `${p.title}: query text as typed`);
      assert.match(target.queryText, /\$__from/, `${p.title}: the query uses the dashboard's time range`);
      assert.match(target.queryText, /\$__to/, `${p.title}: the query uses the dashboard's time range`);
      const rows = db.prepare(substitute(target.queryText, FIXTURE_FROM, FIXTURE_TO)).all() as Array<Record<string, unknown>>;
      assert.ok(rows.length >= 1, `${p.title}: rows`);
      assert.equal(asPlugin(db, p, target, FIXTURE_FROM, FIXTURE_TO, 'the fixtures').rows, rows.length);
      for (const row of rows) assert.deepEqual(Object.keys(row), COLUMNS[p.title], `${p.title}: columns`);
      const aggregate = rows.length === 1 && !target.timeColumns.length && Object.values(rows[0]!).every((v) => typeof v === 'number');
      if (aggregate) assert.ok(Object.values(rows[0]!).some((v) => v !== 0), `${p.title}: a figure, not zero`);
      for (const col of target.timeColumns) {
        assert.ok(COLUMNS[p.title]!.includes(col), `${p.title}: time column ${col} is returned`);
        for (const row of rows) {
          const v = row[col];
          const ok = (typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v))) || (typeof v === 'number' && v > 1e9 && v < 1e10);
          assert.ok(ok, `${p.title}: ${col} = ${JSON.stringify(v)} is RFC 3339 text or epoch seconds`);
        }
      }
      if (target.queryType === 'time series') {
        assert.deepEqual(target.timeColumns, ['time'], p.title);
        const times = rows.map((r) => r.time as string);
        assert.deepEqual(times, [...times].sort(), `${p.title}: time ascending`);
      } else {
        assert.equal(target.queryType, 'table', p.title);
      }
      results.set(p.title, rows);

      // A range with no data: no rows, or (an aggregate) only zeros and NULLs.
      for (const [from, to] of [[Date.UTC(2020, 0, 1), Date.UTC(2020, 1, 1)], [FIXTURE_TO + 86_400_000 * 30, FIXTURE_TO + 86_400_000 * 60]] as const) {
        const empty = db.prepare(substitute(target.queryText, from, to)).all() as Array<Record<string, unknown>>;
        assert.ok(empty.every((r) => Object.values(r).every((v) => v === 0 || v === null)), `${p.title}: outside the fixtures' range: ${JSON.stringify(empty)}`);
        asPlugin(db, p, target, from, to, 'a range without data');
      }
    }
  }
  // The figures agree with expected.json (and so with `claude-metrics report`).
  const total = Object.values(EXPECTED).reduce((a, s) => a + s.cost_usd, 0);
  assert.ok(Math.abs((results.get('Cost')![0]!.cost_usd as number) - total) < 1e-6);
  assert.equal(results.get('Sessions')![0]!.sessions, Object.keys(EXPECTED).length);
  assert.equal(results.get('API calls')![0]!.api_calls, Object.values(EXPECTED).reduce((a, s) => a + s.api_calls, 0));
  const perModel = new Map<string, number>();
  for (const s of Object.values(EXPECTED)) for (const [m, f] of Object.entries(s.models)) perModel.set(m, (perModel.get(m) ?? 0) + f.cost_usd);
  const byModel = results.get('Cost per day, by model')!;
  assert.deepEqual(byModel.map((r) => r.model).sort(), [...perModel.keys()].sort());
  for (const r of byModel) assert.ok(Math.abs((r.cost_usd as number) - perModel.get(r.model as string)!) < 1e-6, `${r.model}`);
  const recent = results.get('Recent sessions')!;
  assert.deepEqual(recent.map((r) => r.session_id).sort(), Object.keys(EXPECTED).sort());
  for (const r of recent) assert.ok(Math.abs((r.cost_usd as number) - EXPECTED[r.session_id as string]!.cost_usd) < 1e-6);
  assert.equal(results.get('Payloads applied')![0]!.payloads, fs.readdirSync(path.join(FIXTURES, 'payloads')).length + 1, 'the fixtures and the retried one');
  assert.equal(db.prepare("SELECT count(*) FROM payloads WHERE event = 'StatusLine'").pluck().get(), 2, 'the snapshots are in the ledger, the newest of each session');
  for (const title of ['Pipeline: payloads applied per day, by event', 'Pipeline: latest payloads']) {
    assert.ok(results.get(title)!.every((r) => r.event !== 'StatusLine'), `${title}: hook payloads only`);
  }
  const dead = results.get('Pipeline: dead letters')!;
  assert.deepEqual(dead.map((r) => [r.id, r.state]), [[fixedLater, 'retried, applied'], [broken, 'in spool/dead']]);
  assert.match(String(dead[1]!.reason), /JSON/);
  assert.deepEqual(results.get('Pipeline: dead letters per day')!.map((r) => [r.still_dead, r.retried_and_applied]), [[1, 1]]);
});

test("the plugin emulation gives the frames of the plugin's own tests (v4.0.3 pkg/plugin/*_test.go), and the two failures its source implies", (t) => {
  const sb = sandbox(t);
  const db = new Database(sb.db);
  t.after(() => db.close());
  db.exec(`CREATE TABLE test(time INTEGER, value REAL, name TEXT);
    INSERT INTO test(time, value, name) VALUES (21, 21.1, 'one'), (22, 22.2, 'two');
    CREATE TABLE mixed(first NUMERIC, second NUMERIC);
    INSERT INTO mixed(first, second) VALUES (1, 1.1), (2.2, 2);
    CREATE TABLE nulls(time INTEGER, value REAL, name TEXT);
    INSERT INTO nulls(time, value, name) VALUES (NULL, 1.1, 'one'), (2, NULL, 'two'), (3, 3.3, NULL);`);
  const table = { queryType: 'table', timeColumns: [] };
  const series = { queryType: 'time series', timeColumns: ['time'] };
  const shape = (f: PluginFrame) => f.fields.map((x) => [x.name, x.columnType, x.values]);
  // TestSimpleTableQuery / TestNoResultsTable: declared types, with or without rows.
  assert.deepEqual(shape(runAsPlugin(db, 'SELECT * FROM test', table)), [['time', 'INTEGER', [21, 22]], ['value', 'FLOAT', [21.1, 22.2]], ['name', 'STRING', ['one', 'two']]]);
  assert.deepEqual(shape(runAsPlugin(db, 'SELECT * FROM test WHERE false', table)), [['time', 'INTEGER', []], ['value', 'FLOAT', []], ['name', 'STRING', []]]);
  // TestMixedTypes: NUMERIC is float64, its integers converted.
  assert.deepEqual(shape(runAsPlugin(db, 'SELECT * FROM mixed', table)), [['first', 'FLOAT', [1, 2.2]], ['second', 'FLOAT', [1.1, 2]]]);
  // TestNullValues / TestNullValuesCTE: types from the declaration, or from the first non-NULL value.
  const nullsShape = [['time', 'INTEGER', [null, 2, 3]], ['value', 'FLOAT', [1.1, null, 3.3]], ['name', 'STRING', ['one', 'two', null]]];
  assert.deepEqual(shape(runAsPlugin(db, 'SELECT * FROM nulls', table)), nullsShape);
  const cte = "WITH t(time, value, name) AS (SELECT * FROM (VALUES (NULL, 1.1, 'one'), (2, NULL, 'two'), (3, 3.3, NULL))) SELECT * FROM t";
  assert.deepEqual(shape(runAsPlugin(db, cte, table)), nullsShape);
  // TestNoResultsTimeSeriesWithUnknownColumns: no declared type and no row: a number field, wide, no error.
  const unknown = runAsPlugin(db, 'SELECT 1 AS time, 2 AS value WHERE FALSE', series);
  assert.deepEqual([shape(unknown), unknown.timeSeries, unknown.defects], [[['time', 'TIME', []], ['value', 'UNKNOWN', []]], 'wide', []]);
  // TestConvertLongTimeSeriesQuery: a long series with rows converts.
  const long = runAsPlugin(db, 'SELECT * FROM test', series);
  assert.deepEqual([shape(long), long.timeSeries, long.defects], [[['time', 'TIME', [21_000, 22_000]], ['value', 'FLOAT', [21.1, 22.2]], ['name', 'STRING', ['one', 'two']]], 'long', []]);
  // From the source, not its tests: the same long series without rows fails LongToWide, and an
  // integer first value makes an int64 column that cuts the later ones.
  assert.deepEqual(runAsPlugin(db, 'SELECT * FROM test WHERE false', series).defects, ['can not convert to wide series, input fields have no rows']);
  const cut = runAsPlugin(db, 'SELECT 0 AS cost UNION ALL SELECT 0.229', table);
  assert.deepEqual([shape(cut), cut.defects], [[['cost', 'INTEGER', [0, 0]]], ['row 2, cost: 0.229 into an int64 column (typed by an earlier value): 0']]);
});

test('a fresh database, and ranges without data: every panel as the plugin reads it (no time series fails for want of rows)', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  const db = new Database(sb.db, { readonly: true, fileMustExist: true });
  t.after(() => db.close());
  const now = Date.now();
  for (const p of queryPanels()) {
    for (const target of p.targets!) {
      // "Last 1 hour" and "Last 30 days" (the dashboard's default) on a fresh install.
      for (const [from, to, what] of [[now - 3_600_000, now, 'fresh database, last hour'], [now - 30 * 86_400_000, now, 'fresh database, last 30 days']] as const) {
        const frame = asPlugin(db, p, target, from, to, what);
        if (frame.rows > 0) assert.ok(frame.fields.every((f) => f.values.every((v) => v === 0 || v === null)), `${p.title}: ${what}: ${JSON.stringify(frame.fields)}`);
      }
    }
  }
});

// A transcript line as Claude Code writes it (the fields the worker reads).
function transcriptLine(o: { type: 'user' | 'assistant'; ts: string; sessionId: string; cwd: string; id?: string; req?: string; model?: string; usage?: Record<string, number> }): string {
  if (o.type === 'user') {
    return JSON.stringify({ type: 'user', sessionId: o.sessionId, cwd: o.cwd, timestamp: o.ts, message: { role: 'user', content: 'go on' } });
  }
  return JSON.stringify({
    type: 'assistant',
    sessionId: o.sessionId,
    cwd: o.cwd,
    requestId: o.req,
    timestamp: o.ts,
    message: { id: o.id, role: 'assistant', model: o.model, content: [{ type: 'text', text: 'done' }], usage: o.usage },
  });
}

test('data whose first call is a model without a price: every panel as the plugin reads it, costs not cut to whole dollars', (t) => {
  const sb = sandbox(t);
  const cwd = '/home/user/code/unpriced';
  const projects = path.join(sb.dir, 'home', '.claude', 'projects', '-home-user-code-unpriced');
  fs.mkdirSync(projects, { recursive: true });
  const day = Date.UTC(2026, 2, 1); // 2026-03-01, UTC
  const iso = (ms: number) => new Date(ms).toISOString();
  // Session A: its first call (23:50 on day 1) is a model without a price, the next one (00:10 on
  // day 2) a priced one. Session B, the newest: one unpriced call only.
  const a = 'a0000000-0000-4000-8000-00000000000a';
  const b = 'b0000000-0000-4000-8000-00000000000b';
  const usage = (i: number, o: number, cw: number, cr: number) => ({ input_tokens: i, output_tokens: o, cache_creation_input_tokens: cw, cache_read_input_tokens: cr });
  const sessions = [
    {
      id: a,
      lines: [
        transcriptLine({ type: 'user', ts: iso(day + 86_400_000 - 600_000), sessionId: a, cwd }),
        transcriptLine({ type: 'assistant', ts: iso(day + 86_400_000 - 595_000), sessionId: a, cwd, id: 'msg_a1', req: 'req_a1', model: 'claude-unknown-9', usage: usage(1200, 300, 0, 0) }),
        transcriptLine({ type: 'user', ts: iso(day + 86_400_000 + 600_000), sessionId: a, cwd }),
        transcriptLine({ type: 'assistant', ts: iso(day + 86_400_000 + 605_000), sessionId: a, cwd, id: 'msg_a2', req: 'req_a2', model: 'claude-sonnet-4-5', usage: usage(3000, 700, 1000, 20000) }),
      ],
      start: day + 86_400_000 - 600_000,
      stop: day + 86_400_000 + 610_000,
    },
    {
      id: b,
      lines: [
        transcriptLine({ type: 'user', ts: iso(day + 86_400_000 + 3_600_000), sessionId: b, cwd }),
        transcriptLine({ type: 'assistant', ts: iso(day + 86_400_000 + 3_605_000), sessionId: b, cwd, id: 'msg_b1', req: 'req_b1', model: 'claude-unknown-9', usage: usage(500, 100, 0, 0) }),
      ],
      start: day + 86_400_000 + 3_600_000,
      stop: day + 86_400_000 + 3_610_000,
    },
  ];
  for (const s of sessions) {
    const transcript = path.join(projects, `${s.id}.jsonl`);
    fs.writeFileSync(transcript, `${s.lines.join('\n')}\n`);
    spoolPayload(sb, event(s.id, 'SessionStart', { transcript_path: transcript, cwd, source: 'startup' }), payloadId(s.start));
    spoolPayload(sb, event(s.id, 'Stop', { transcript_path: transcript, cwd, stop_hook_active: false }), payloadId(s.stop));
  }
  const r = drain(sb);
  assert.equal(r.code, 0, r.stderr);
  const db = new Database(sb.db, { readonly: true, fileMustExist: true });
  t.after(() => db.close());

  // What the worker recorded: the earliest call has no price, the priced one a cost in cents.
  const calls = db.prepare('SELECT model, cost_usd FROM token_usage ORDER BY timestamp').all() as Array<{ model: string; cost_usd: number | null }>;
  assert.deepEqual(calls.map((c) => c.model), ['claude-unknown-9', 'claude-sonnet-4-5', 'claude-unknown-9']);
  assert.equal(calls[0]!.cost_usd, null);
  const priced = calls[1]!.cost_usd!;
  assert.ok(priced > 0 && priced < 1 && !Number.isInteger(priced), `a priced call in cents: ${priced}`);

  const from = day - 86_400_000;
  const to = day + 3 * 86_400_000;
  const frames = new Map<string, PluginFrame>();
  for (const p of queryPanels()) for (const target of p.targets!) frames.set(p.title, asPlugin(db, p, target, from, to, 'first call unpriced'));

  // The figures a user sees, after the plugin's conversions.
  const byDay = frames.get('Cost per day, by model')!;
  const col = (f: PluginFrame, name: string) => f.fields.find((x) => x.name === name)!.values;
  const costs = col(byDay, 'cost_usd');
  const models = col(byDay, 'model');
  assert.equal(models[0], 'claude-unknown-9', 'the first row is the unpriced model (the case under test)');
  assert.ok(Math.abs((costs[models.indexOf('claude-sonnet-4-5')] as number) - priced) < 1e-12, `Cost per day, by model: ${JSON.stringify(costs)}`);
  assert.ok(Math.abs((col(frames.get('Cost')!, 'cost_usd')[0] as number) - priced) < 1e-12);
  const byModel = frames.get('Cost by model')!;
  assert.ok(Math.abs((col(byModel, 'cost_usd')[col(byModel, 'model').indexOf('claude-sonnet-4-5')] as number) - priced) < 1e-12);
  const recent = frames.get('Recent sessions')!;
  assert.deepEqual(col(recent, 'session_id'), [b, a], 'newest first: the unpriced session is the first row');
  assert.deepEqual(col(recent, 'cost_usd').map((v) => Math.round((v as number) * 1e12) / 1e12), [0, Math.round(priced * 1e12) / 1e12]);
  assert.ok(Math.abs((col(frames.get('Cost by project')!, 'cost_usd')[0] as number) - priced) < 1e-12);
});

test('the provisioning files name the plugin, a database path, and the uid the dashboard uses', () => {
  const ds = fs.readFileSync(path.join(ROOT, 'grafana', 'provisioning', 'datasources', 'claude-metrics.yaml'), 'utf8');
  assert.match(ds, /^\s+type: frser-sqlite-datasource$/m);
  assert.match(ds, /^\s+path: \/\S+\.db$/m);
  const uid = /^\s+uid: (\S+)$/m.exec(ds)?.[1];
  const variable = DASHBOARD.templating.list.find((v) => v.type === 'datasource')!;
  assert.equal(variable.query, 'frser-sqlite-datasource');
  assert.equal(variable.current.value, uid, 'the dashboard defaults to the provisioned data source');
  for (const p of allPanels(DASHBOARD.panels)) for (const target of p.targets ?? []) assert.equal(target.datasource.uid, `\${${variable.name}}`);
  const dash = fs.readFileSync(path.join(ROOT, 'grafana', 'provisioning', 'dashboards', 'claude-metrics.yaml'), 'utf8');
  assert.match(dash, /^\s+type: file$/m);
  assert.match(dash, /^\s+path: \/\S+$/m);
});
