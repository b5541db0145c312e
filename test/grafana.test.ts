// The Grafana dashboard's queries, run as Grafana and frser-sqlite-datasource would run them:
// every panel's SQL from grafana/dashboards/claude-metrics.json, with $__from/$__to (epoch ms)
// and the plugin's macro substituted, against a database the real worker built from the
// fixtures. Each returns rows with the expected columns, time columns the plugin reads (RFC 3339
// text or epoch seconds), nothing for a time range without data, and the report's figures.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { CLI, FIXTURES, ROOT, drain, payloadId, sandbox, spoolPayload } from './helpers.ts';
import { EXPECTED, buildFixtureDb } from './support/fixture-db.ts';
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
  const panels = allPanels(DASHBOARD.panels).filter((p) => p.targets && p.targets.length > 0);
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
