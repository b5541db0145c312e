// `claude-metrics report` as a user runs it: the built CLI as a process, on databases the real
// worker built from the recorded fixtures (figures compared with expected.json), on an empty
// database, and on databases with calls placed around local midnights and DST changes (days
// checked against Intl's own calendar for each instant).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CLI, type Sandbox, query, sandbox, spoolPayload } from './helpers.ts';
import { EXPECTED, buildEmptyDb, buildFixtureDb } from './support/fixture-db.ts';
import { renderTable } from '../src/report/table.ts';
import { snapshot, statuslineId } from './support/statusline.ts';
import { runReport } from '../src/report/queries.ts';
import { localDateTimes, localParts, offsetPeriods } from '../src/report/time.ts';
import { withZone } from '../src/report/zone.ts';

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

function report(db: string, args: string[], env: NodeJS.ProcessEnv = {}): Out {
  const r = spawnSync(process.execPath, [CLI, 'report', ...args, '--db', db], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function reportJson(db: string, args: string[], env: NodeJS.ProcessEnv = {}): Json {
  const r = report(db, [...args, '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

const close = (a: number, b: number, what: string, eps = 1e-6): void => assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} vs ${b}`);

const FIGURE_KEYS = ['sessions', 'api_calls', 'unpriced_calls', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'total_tokens', 'cost_usd'];
const HEAD_KEYS = ['report', 'timezone', 'since', 'until', 'from_utc', 'to_utc', 'first_day', 'last_day', 'rows', 'totals'];
// The documented row fields (docs/REPORTS.md), per report.
const ROW_KEYS: Record<string, string[]> = {
  daily: ['date', ...FIGURE_KEYS, 'models'],
  weekly: ['week', ...FIGURE_KEYS, 'models'],
  monthly: ['month', ...FIGURE_KEYS, 'models'],
  model: ['model', ...FIGURE_KEYS, 'models'],
  project: ['project', ...FIGURE_KEYS, 'models'],
  session: ['session_id', 'project', 'start_time', 'end_time', 'local_start', 'duration_seconds', 'end_reason', 'cost_complete', ...FIGURE_KEYS, 'tool_calls', 'commits', 'lines_added', 'lines_removed', 'models', 'reported_cost_usd', 'reported_source', 'cost_differs'],
};
const SESSION_TOTAL_KEYS = [...FIGURE_KEYS, 'tool_calls', 'commits', 'lines_added', 'lines_removed', 'duration_seconds'];

const sorted = (a: string[]): string[] => [...a].sort();

/** Sums over expected.json, per model: calls and cost. */
function expectedByModel(): Map<string, { api_calls: number; cost_usd: number; sessions: number }> {
  const m = new Map<string, { api_calls: number; cost_usd: number; sessions: number }>();
  for (const s of Object.values(EXPECTED)) {
    for (const [model, f] of Object.entries(s.models)) {
      const e = m.get(model) ?? { api_calls: 0, cost_usd: 0, sessions: 0 };
      e.api_calls += f.api_calls;
      e.cost_usd += f.cost_usd;
      e.sessions += 1;
      m.set(model, e);
    }
  }
  return m;
}
const expectedTotalCost = Object.values(EXPECTED).reduce((a, s) => a + s.cost_usd, 0);
const expectedTotalCalls = Object.values(EXPECTED).reduce((a, s) => a + s.api_calls, 0);

/** The local calendar day of an instant, by Intl (en-CA formats as YYYY-MM-DD). */
function localDay(timeZone: string, iso: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

test('reports on the fixtures database agree with expected.json', async (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);

  await t.test('session: one row per session, costs exact to 1e-6, per-model breakdown', () => {
    const r = reportJson(sb.db, ['session', '--breakdown', '--timezone', 'UTC']);
    assert.deepEqual(sorted(Object.keys(r)), sorted(HEAD_KEYS));
    assert.deepEqual(sorted(r.rows.map((x: Json) => x.session_id)), sorted(Object.keys(EXPECTED)));
    for (const row of r.rows as Json[]) {
      const want = EXPECTED[row.session_id]!;
      assert.deepEqual(sorted(Object.keys(row)), sorted([...ROW_KEYS.session!, 'breakdown']));
      close(row.cost_usd, want.cost_usd, `${row.session_id} cost`);
      for (const k of ['api_calls', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'tool_calls', 'commits', 'lines_added', 'lines_removed', 'start_time', 'end_time'] as const) {
        assert.equal(row[k], want[k], `${row.session_id} ${k}`);
      }
      assert.equal(row.total_tokens, want.input_tokens + want.output_tokens + want.cache_creation_tokens + want.cache_read_tokens);
      close(row.duration_seconds, (Date.parse(want.end_time) - Date.parse(want.start_time)) / 1000, 'duration', 1e-3);
      assert.deepEqual(row.models, sorted(Object.keys(want.models)));
      assert.deepEqual(sorted(row.breakdown.map((b: Json) => b.model)), sorted(Object.keys(want.models)));
      for (const b of row.breakdown as Json[]) {
        assert.equal(b.api_calls, want.models[b.model]!.api_calls, `${row.session_id} ${b.model} calls`);
        close(b.cost_usd, want.models[b.model]!.cost_usd, `${row.session_id} ${b.model} cost`);
      }
      assert.equal(row.cost_complete, true);
      assert.deepEqual([row.reported_cost_usd, row.reported_source, row.cost_differs], [null, null, null], 'no status line: nothing to compare');
    }
    assert.deepEqual(sorted(Object.keys(r.totals)), sorted(SESSION_TOTAL_KEYS));
    assert.equal(r.totals.sessions, Object.keys(EXPECTED).length);
    close(r.totals.cost_usd, expectedTotalCost, 'session totals');
    assert.equal(r.totals.commits, Object.values(EXPECTED).reduce((a, s) => a + s.commits, 0));
  });

  await t.test('daily, weekly, monthly: totals equal the sum of rows and of expected.json; model breakdowns', () => {
    for (const [kind, key] of [['daily', 'date'], ['weekly', 'week'], ['monthly', 'month']] as const) {
      const r = reportJson(sb.db, [kind, '--breakdown', '--timezone', 'UTC']);
      assert.deepEqual(sorted(Object.keys(r)), sorted(kind === 'weekly' ? [...HEAD_KEYS, 'start_of_week'] : HEAD_KEYS));
      assert.deepEqual(sorted(Object.keys(r.totals)), sorted(FIGURE_KEYS));
      assert.ok(r.rows.length >= 1);
      for (const row of r.rows as Json[]) assert.deepEqual(sorted(Object.keys(row)), sorted([...ROW_KEYS[kind]!, 'breakdown']), kind);
      // Each dollar figure is rounded to 6 decimals on its own (docs/REPORTS.md): sums agree to a few millionths.
      close(r.rows.reduce((a: number, x: Json) => a + x.cost_usd, 0), r.totals.cost_usd, `${kind}: sum of rows = totals`, 1e-5);
      close(r.totals.cost_usd, expectedTotalCost, `${kind} total cost`);
      assert.equal(r.totals.api_calls, expectedTotalCalls);
      assert.equal(r.totals.sessions, Object.keys(EXPECTED).length);
      const byModel = expectedByModel();
      const seen = new Map<string, { calls: number; cost: number }>();
      for (const row of r.rows as Json[]) {
        close(row.breakdown.reduce((a: number, b: Json) => a + b.cost_usd, 0), row.cost_usd, `${kind} ${row[key]}: breakdown adds up`, 1e-5);
        for (const b of row.breakdown as Json[]) {
          const s = seen.get(b.model) ?? { calls: 0, cost: 0 };
          seen.set(b.model, { calls: s.calls + b.api_calls, cost: s.cost + b.cost_usd });
        }
      }
      assert.deepEqual(sorted([...seen.keys()]), sorted([...byModel.keys()]));
      for (const [model, want] of byModel) {
        assert.equal(seen.get(model)!.calls, want.api_calls, `${kind} ${model} calls`);
        close(seen.get(model)!.cost, want.cost_usd, `${kind} ${model} cost`);
      }
    }
    // The keys: the fixtures' local day, the Monday of its week, its month.
    const start = Object.values(EXPECTED)[0]!.start_time;
    const day = localDay('UTC', start);
    assert.deepEqual(reportJson(sb.db, ['daily', '--timezone', 'UTC']).rows.map((x: Json) => x.date), [day]);
    const d = new Date(`${day}T00:00:00Z`);
    const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
    const sunday = new Date(d.getTime() - d.getUTCDay() * 86_400_000).toISOString().slice(0, 10);
    assert.deepEqual(reportJson(sb.db, ['weekly', '--timezone', 'UTC']).rows.map((x: Json) => x.week), [monday]);
    const sundayWeeks = reportJson(sb.db, ['weekly', '--timezone', 'UTC', '--start-of-week', 'sunday']);
    assert.deepEqual(sundayWeeks.rows.map((x: Json) => x.week), [sunday]);
    assert.equal(sundayWeeks.start_of_week, 'sunday');
    assert.deepEqual(reportJson(sb.db, ['monthly', '--timezone', 'UTC']).rows.map((x: Json) => x.month), [day.slice(0, 7)]);
  });

  await t.test('model and project reports', () => {
    const m = reportJson(sb.db, ['model']);
    const byModel = expectedByModel();
    assert.deepEqual(sorted(m.rows.map((x: Json) => x.model)), sorted([...byModel.keys()]));
    for (const row of m.rows as Json[]) {
      assert.deepEqual(sorted(Object.keys(row)), sorted(ROW_KEYS.model!));
      assert.equal(row.api_calls, byModel.get(row.model)!.api_calls);
      assert.equal(row.sessions, byModel.get(row.model)!.sessions);
      close(row.cost_usd, byModel.get(row.model)!.cost_usd, `model ${row.model}`);
    }
    // Projects: each session's cwd as the worker stored it, with expected.json's cost.
    const cwd = new Map(query<{ session_id: string; cwd: string }>(sb.db, 'SELECT session_id, cwd FROM sessions').map((r) => [r.session_id, r.cwd]));
    const want = new Map<string, number>();
    for (const [id, s] of Object.entries(EXPECTED)) want.set(cwd.get(id)!, (want.get(cwd.get(id)!) ?? 0) + s.cost_usd);
    const p = reportJson(sb.db, ['project', '--breakdown']);
    assert.deepEqual(sorted(p.rows.map((x: Json) => x.project)), sorted([...want.keys()]));
    for (const row of p.rows as Json[]) close(row.cost_usd, want.get(row.project)!, `project ${row.project}`);
    close(p.totals.cost_usd, expectedTotalCost, 'project totals');
  });

  await t.test('time zones move the day; --since/--until are local days, inclusive', () => {
    const start = Object.values(EXPECTED)[0]!.start_time;
    for (const tz of ['Asia/Tokyo', 'Pacific/Honolulu', 'Europe/Paris', 'Pacific/Kiritimati']) {
      const r = reportJson(sb.db, ['daily', '--timezone', tz]);
      assert.deepEqual(r.rows.map((x: Json) => x.date), [localDay(tz, start)], tz);
      const day = localDay(tz, start);
      assert.equal(reportJson(sb.db, ['daily', '--timezone', tz, '--since', day, '--until', day]).rows.length, 1);
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const prev = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      assert.equal(reportJson(sb.db, ['daily', '--timezone', tz, '--since', next]).rows.length, 0, `${tz} since the next day`);
      assert.equal(reportJson(sb.db, ['session', '--timezone', tz, '--until', prev]).rows.length, 0, `${tz} until the day before`);
    }
    // The default time zone is the system's: $TZ.
    const viaEnv = reportJson(sb.db, ['daily'], { TZ: 'Asia/Tokyo' });
    assert.equal(viaEnv.timezone, 'Asia/Tokyo');
    assert.deepEqual(viaEnv.rows.map((x: Json) => x.date), [localDay('Asia/Tokyo', start)]);
  });

  await t.test('the table: every report prints a header and a totals row', () => {
    for (const kind of ['daily', 'weekly', 'monthly', 'session', 'model', 'project']) {
      const r = report(sb.db, [kind, '--timezone', 'UTC']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines.at(-1)!, /^Total/, kind);
      assert.ok(lines.at(-1)!.includes(`$${expectedTotalCost.toFixed(2)}`), `${kind}: ${lines.at(-1)}`);
    }
    assert.doesNotMatch(report(sb.db, ['session']).stdout, /Reported/, 'no status line, no Reported column');
    const b = report(sb.db, ['daily', '--breakdown', '--timezone', 'UTC']);
    assert.equal(b.stdout.split('\n').filter((l) => l.includes('└')).length, expectedByModel().size);
  });
});

test('tables fit the width they are given by cutting the widest text column', () => {
  const columns = [
    { header: 'Project', align: 'left' as const, shrink: 'path' as const },
    { header: 'Models', align: 'left' as const, shrink: 'end' as const },
    { header: 'Cost', align: 'right' as const },
  ];
  const rows = [['/home/someone/a/very/long/project/path/indeed', 'opus-4-5, sonnet-4-5, haiku-4-5', '$1.00']];
  const wide = renderTable({ columns, rows, totals: ['Total', '', '$1.00'] });
  assert.ok(wide.includes(rows[0]![0]!), 'no width: nothing cut');
  for (const width of [40, 60, 80]) {
    const out = renderTable({ columns, rows, totals: ['Total', '', '$1.00'], width });
    for (const line of out.trimEnd().split('\n')) assert.ok([...line].length <= width, `${width}: ${line}`);
    assert.ok(out.includes('…'));
    assert.ok(out.includes('$1.00'), 'numbers are never cut');
  }
});

test('an empty database: every report is empty with zero totals, exit 0', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  for (const kind of ['daily', 'weekly', 'monthly', 'session', 'model', 'project', 'blocks']) {
    const r = reportJson(sb.db, [kind]);
    assert.deepEqual(r.rows, [], kind);
    assert.equal(r.totals.cost_usd, 0);
    assert.equal(r.totals.sessions, 0);
    const table = report(sb.db, [kind]);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /No data in this range/);
  }
});

/** A migrated empty database with calls inserted directly at chosen instants, plus one session without calls. */
function syntheticDb(sb: Sandbox, instants: string[]): Array<{ ts: string; cost: number; session: string }> {
  buildEmptyDb(sb);
  const db = new Database(sb.db);
  const calls = instants.map((ts, i) => ({ ts, cost: Math.round((0.001 + i * 0.0137) * 1e6) / 1e6, session: `s${i % 3}` }));
  try {
    const addSession = db.prepare("INSERT OR IGNORE INTO sessions (session_id, start_time, end_time, cwd) VALUES (?, ?, ?, '/p')");
    const addCall = db.prepare(
      "INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cost_usd, message_id, request_id, call_key) VALUES (?, ?, 'claude-sonnet-4-5', 10, 1, ?, ?, ?, ?)",
    );
    calls.forEach((c, i) => {
      addSession.run(c.session, instants[0], instants.at(-1));
      addCall.run(c.session, c.ts, c.cost, `m${i}`, `r${i}`, `m${i}|r${i}`);
    });
  } finally {
    db.close();
  }
  return calls;
}

test('local days across midnight and DST changes, per time zone, match Intl day by day', (t) => {
  // Every 37 minutes across two DST weekends (US and EU 2026), so instants fall on both sides of
  // every local midnight and of the changes themselves.
  const instants: string[] = [];
  for (const [from, to] of [['2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z'], ['2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'], ['2026-10-23T00:00:00Z', '2026-11-03T00:00:00Z']]) {
    for (let ms = Date.parse(from!); ms < Date.parse(to!); ms += 37 * 60_000) instants.push(new Date(ms).toISOString());
  }
  const sb = sandbox(t);
  const calls = syntheticDb(sb, instants);
  for (const tz of ['America/New_York', 'Europe/Paris', 'Asia/Kolkata', 'Pacific/Chatham', 'Australia/Lord_Howe', 'UTC']) {
    const want = new Map<string, number>();
    for (const c of calls) want.set(localDay(tz, c.ts), (want.get(localDay(tz, c.ts)) ?? 0) + c.cost);
    const r = reportJson(sb.db, ['daily', '--timezone', tz]);
    assert.deepEqual(r.rows.map((x: Json) => x.date), [...want.keys()].sort(), `${tz}: days`);
    for (const row of r.rows as Json[]) close(row.cost_usd, want.get(row.date)!, `${tz} ${row.date}`, 5e-7);
    // One local day, inclusive both ends: exactly the calls Intl puts on that day (a 23- or 25-hour day included).
    for (const day of tz === 'America/New_York' ? ['2026-03-08', '2026-11-01'] : tz === 'Europe/Paris' ? ['2026-03-29', '2026-10-25'] : []) {
      const one = reportJson(sb.db, ['daily', '--timezone', tz, '--since', day, '--until', day]);
      assert.deepEqual(one.rows.map((x: Json) => x.date), [day]);
      assert.equal(one.rows[0].api_calls, calls.filter((c) => localDay(tz, c.ts) === day).length, `${tz} ${day} calls`);
    }
  }
  // A month boundary in a zone ahead of UTC: 2026-10-31T23:30Z is already November in Paris.
  const months = reportJson(sb.db, ['monthly', '--timezone', 'Europe/Paris']);
  const nov = calls.filter((c) => localDay('Europe/Paris', c.ts).startsWith('2026-11')).length;
  assert.equal(months.rows.find((x: Json) => x.month === '2026-11').api_calls, nov);
});

test('localDateTimes gives the local minute Intl gives, at and around every DST change (whole and half hours)', () => {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  for (const tz of ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham']) {
    const intl = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const want = (ms: number): string => {
      const p = Object.fromEntries(intl.formatToParts(ms).map((x) => [x.type, x.value]));
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
    };
    // Every change of 2025-2026 to the exact second (offsetPeriods), and the instants each side of it.
    const changes = offsetPeriods(tz, Date.parse('2025-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z')).slice(1).map((p) => p.fromMs);
    if (tz !== 'Asia/Kolkata') assert.equal(changes.length, 4, `${tz}: two DST changes a year`);
    const instants: number[] = [Date.parse('2026-01-15T18:29:59.999Z'), Date.parse('2026-01-15T18:30:00Z')];
    for (const c of changes) {
      for (const d of [-3_600_000, -60_001, -60_000, -1000, -1, 0, 1, 999, 1000, 59_999, 60_000, 1_800_000, 3_600_000]) instants.push(c + d);
      for (let ms = c - 86_400_000; ms < c + 86_400_000; ms += 7 * 60_000 + 13_000) instants.push(ms);
    }
    instants.sort((a, b) => a - b);
    // In time order (as the reports call it: the day's text kept), and backwards (a new day each time).
    const forward = withZone(tz, () => instants.map(localDateTimes()));
    const backward = withZone(tz, () => [...instants].reverse().map(localDateTimes())).reverse();
    instants.forEach((ms, i) => {
      const p = localParts(tz, ms);
      assert.equal(forward[i], `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`, `${tz} ${new Date(ms).toISOString()}: localParts`);
      assert.equal(forward[i], want(ms), `${tz} ${new Date(ms).toISOString()}: Intl`);
      assert.equal(backward[i], forward[i], `${tz} ${new Date(ms).toISOString()}: backwards`);
    });
  }
});

test('a session without token_usage rows (the old hook wrote it) still counts, at its start, as model unknown', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  const db = new Database(sb.db);
  db.prepare("INSERT INTO sessions (session_id, start_time, end_time, total_cost_usd, cost_source) VALUES ('old', '2025-06-01T10:00:00.000Z', '2025-06-01T11:00:00.000Z', 1.25, 'reported')").run();
  db.close();
  const r = reportJson(sb.db, ['daily', '--timezone', 'UTC', '--breakdown']);
  assert.equal(r.rows.length, 1);
  assert.equal(r.rows[0].date, '2025-06-01');
  assert.equal(r.rows[0].cost_usd, 1.25);
  assert.equal(r.rows[0].api_calls, 0);
  assert.deepEqual(r.rows[0].breakdown.map((b: Json) => b.model), ['unknown']);
  assert.equal(reportJson(sb.db, ['session']).rows[0].cost_usd, 1.25);
});

test('usage errors exit 2, a missing or too old database exits 1', (t) => {
  const sb = sandbox(t);
  buildEmptyDb(sb);
  for (const args of [['yearly'], [], ['daily', '--since', '2026-02-30'], ['daily', '--until', 'yesterday'], ['daily', '--timezone', 'Mars/Olympus'], ['daily', '--since', '2026-02-02', '--until', '2026-02-01'], ['daily', '--frobnicate'], ['model', '--breakdown'], ['daily', '--start-of-week', 'tuesday']]) {
    const r = report(sb.db, args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^claude-metrics report: /);
  }
  const missing = report(path.join(sb.dir, 'nope.db'), ['daily']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no database/);
  const old = path.join(sb.dir, 'old.db');
  new Database(old).exec('CREATE TABLE sessions (session_id TEXT PRIMARY KEY)');
  const r = report(old, ['daily']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /run 'claude-metrics worker --drain' once/);
  const help = report(sb.db, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--breakdown/);
});

test("report session: Claude Code's reported cost beside ours, flagged past a cent", (t) => {
  const sb = sandbox(t);
  const [near, far, none] = Object.keys(EXPECTED) as [string, string, string];
  const at = Date.parse('2026-11-23T21:00:00.000Z');
  // Status line snapshots after the fixture sessions' transcripts were read.
  spoolPayload(sb, snapshot('2.1.332-pro.json', near, (s) => (s.cost.total_cost_usd = EXPECTED[near]!.cost_usd + 0.009)), statuslineId(at));
  spoolPayload(sb, snapshot('2.1.332-pro.json', far, (s) => (s.cost.total_cost_usd = EXPECTED[far]!.cost_usd + 0.5)), statuslineId(at + 1));
  spoolPayload(sb, snapshot('2.1.197.json', 'only-statusline', (s) => (s.cost.total_cost_usd = 0.3)), statuslineId(at + 2));
  buildFixtureDb(sb);
  const r = reportJson(sb.db, ['session', '--timezone', 'UTC']);
  const by = new Map((r.rows as Json[]).map((x) => [x.session_id, x]));
  assert.deepEqual([by.get(near)!.reported_source, by.get(near)!.cost_differs], ['statusline', false]);
  close(by.get(near)!.reported_cost_usd, EXPECTED[near]!.cost_usd + 0.009, 'near (JSON rounds to 6 decimals)', 5e-7);
  close(by.get(near)!.cost_usd, EXPECTED[near]!.cost_usd, 'ours stays ours');
  assert.deepEqual([by.get(far)!.reported_source, by.get(far)!.cost_differs], ['statusline', true]);
  assert.deepEqual([by.get(none)!.reported_cost_usd, by.get(none)!.cost_differs], [null, null]);
  // Only Claude Code's figure (no transcript read): nothing of ours to compare it with.
  assert.deepEqual([by.get('only-statusline')!.cost_usd, by.get('only-statusline')!.reported_cost_usd, by.get('only-statusline')!.cost_differs], [0.3, 0.3, null]);
  const table = report(sb.db, ['session', '--timezone', 'UTC']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.split('\n');
  assert.match(lines.find((l) => l.startsWith('Start'))!, /Cost\s+Reported$/);
  const marked = lines.filter((l) => l.endsWith(' ≠'));
  assert.equal(marked.length, 1, table.stdout);
  assert.ok(marked[0]!.includes(`$${(EXPECTED[far]!.cost_usd + 0.5).toFixed(2)} ≠`), marked[0]);
  assert.match(table.stdout, /≠ Claude Code's own cost \(status line\) differs from ours by more than \$0\.01/);
});

/**
 * A report of 2026-01-01 … 2026-11-30 (UTC) on the fixtures, and the query plan of each statement
 * it ran whose SQL `watched` matches.
 */
function plansOf(t: { after: (fn: () => void) => void }, kind: 'session' | 'daily', watched: (sql: string) => boolean): { rows: number; plans: string[] } {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  const db = new Database(sb.db, { readonly: true, fileMustExist: true });
  t.after(() => db.close());
  const plans: string[] = [];
  const spy = {
    prepare: (sql: string) => {
      if (watched(sql)) plans.push((db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ from: '2026-01-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' }) as Json[]).map((r) => r.detail).join(' / '));
      return db.prepare(sql);
    },
  };
  const r = runReport(spy, { kind, timeZone: 'UTC', since: '2026-01-01', until: '2026-11-30', breakdown: false, weekStart: 1 });
  return { rows: r.rows.length, plans };
}

test('report session reads the sessions of a range in start order from index sessions_start (migration 0014): a seek, no sort', (t) => {
  const { rows, plans } = plansOf(t, 'session', (sql) => /FROM sessions s WHERE/.test(sql));
  assert.ok(rows > 0);
  assert.ok(plans.length >= 2, plans.join('\n'));
  for (const plan of plans) {
    assert.match(plan, /SEARCH s USING (COVERING )?INDEX sessions_start/, plan);
    assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
  }
});

test('the usage reports find the sessions without calls by their partial index, not by sessions_start', (t) => {
  const { plans } = plansOf(t, 'daily', (sql) => sql.startsWith('SELECT count(*) FROM sessions s'));
  assert.equal(plans.length, 1, plans.join('\n'));
  assert.match(plans[0]!, /SCAN s USING INDEX sessions_without_calls/, plans[0]);
});

test('a report whose reader has gone (report … | head): no crash, no stack trace, exit 0', async (t) => {
  const sb = sandbox(t);
  buildFixtureDb(sb);
  const { spawn } = await import('node:child_process');
  for (const args of [['session', '--json'], ['daily']]) {
    const child = spawn(process.execPath, [CLI, 'report', ...args, '--db', sb.db], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader leaves before the report is written: its writes meet EPIPE
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(stderr, '', `${args.join(' ')}: nothing on stderr`);
    assert.equal(code, 0, `${args.join(' ')}: exit 0`);
  }
});
