// The team database's Grafana dashboard (grafana/team/dashboards/claude-metrics-team.json) and
// the roles of docs/TEAM.md, against a real PostgreSQL (test/support/postgres.ts):
// - The roles are made by running the SQL of docs/TEAM.md ("Roles") as it is written. The
//   writer's `claude-metrics sync --once` (the built CLI) fails before the owner's first push
//   and succeeds after the owner's grants; the writer cannot delete, drop, alter or create; the reader can only
//   read; a table a later migration creates gets the same rights.
// - Three machines (two developers, recorded sessions with their own ids, status line snapshots,
//   a tool error, an old-hook session without calls, a session deleted after its push) push as
//   the writer. Every panel's and variable's query of the generated JSON is expanded as Grafana
//   expands it (test/support/grafana-postgres.ts) and run as the read-only role: its columns and
//   their types as Grafana reads them, its figures against sums made from the machines' own
//   SQLite databases (never from the team database), the developer and machine filters, ranges
//   without data, a session time zone other than UTC, and an empty team database.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CLI, ROOT, type Sandbox, drain, query, sandbox, spoolPayload } from './helpers.ts';
import { type PgServer, startPostgres } from './support/postgres.ts';
import { type GrafanaQueryContext, PG_TYPE, expandForGrafana, grafanaFieldType, quoteLiteral, rfc3339Nano, timeSeriesDefects } from './support/grafana-postgres.ts';
import { assertSameFigures, centralFigures, importInto, localFigures, machineClaudeDir, sumFigures } from './support/team.ts';
import { snapshot, statuslineId } from './support/statusline.ts';
import { migrateCentral } from '../src/sync/central-schema.ts';
import { dashboardJson } from '../scripts/grafana-team-dashboard.mjs';

// ---------------------------------------------------------------------------------------------
// The dashboard and its provisioning files

const TEAM_DIR = path.join(ROOT, 'grafana', 'team');
const DASHBOARD_FILE = path.join(TEAM_DIR, 'dashboards', 'claude-metrics-team.json');

interface Target {
  refId: string;
  datasource: { type: string; uid: string };
  format: 'table' | 'time_series';
  rawQuery: boolean;
  editorMode: string;
  rawSql: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  datasource?: { type: string; uid: string };
}
interface Variable {
  name: string;
  type: string;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { type: string; uid: string };
  current: { value: string | string[] };
}

const DASHBOARD = JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8')) as { uid: string; timezone: string; panels: Panel[]; templating: { list: Variable[] } };
const PANELS = DASHBOARD.panels.filter((p) => p.targets?.length);
const VARIABLES = DASHBOARD.templating.list;
const variable = (name: string): Variable => VARIABLES.find((v) => v.name === name)!;
const panelSql = (title: string): Target => {
  const p = PANELS.find((x) => x.title === title);
  assert.ok(p, `panel ${title}`);
  return p.targets![0]!;
};

type Kind = 'time' | 'float' | 'int' | 'text';
const T: Kind = 'time';
const F: Kind = 'float';
const I: Kind = 'int';
const S: Kind = 'text';
const SESSION_COLUMNS: Array<[string, Kind]> = [
  ['start', T], ['developer', S], ['machine', S], ['project', S], ['models', S], ['cost_usd', F], ['duration_s', F],
  ['tokens', I], ['tool_calls', I], ['commits', I], ['lines_added', I], ['lines_removed', I], ['session_id', S],
];
/** Every panel's columns, in order, with the PostgreSQL type each must have (timestamptz, float8, int8, text). */
const COLUMNS: Record<string, Array<[string, Kind]>> = {
  Cost: [['cost_usd', F]],
  Sessions: [['sessions', I]],
  'API calls': [['api_calls', I]],
  Tokens: [['tokens', I]],
  'Cache hit ratio': [['cache_hit_ratio', F]],
  Developers: [['developers', I]],
  'Cost per day, by developer': [['time', T], ['developer', S], ['cost_usd', F]],
  'Cost per day, by model': [['time', T], ['model', S], ['cost_usd', F]],
  'Per developer': [['developer', S], ['machines', I], ['sessions', I], ['api_calls', I], ['tokens', I], ['cost_usd', F], ['last_call', T]],
  'Tokens per day, by kind': [['time', T], ['input', I], ['output', I], ['cache_write', I], ['cache_read', I]],
  'Cache hit ratio per day': [['time', T], ['cache_hit_ratio', F]],
  'Sessions per day': [['time', T], ['sessions', I]],
  'Cost by project': [['project', S], ['cost_usd', F]],
  'Recent sessions': SESSION_COLUMNS,
  'Most expensive sessions': SESSION_COLUMNS,
  'Cost by model': [['model', S], ['sessions', I], ['api_calls', I], ['tokens', I], ['cost_usd', F]],
  'Tool uses per day': [['time', T], ['uses', I], ['errors', I]],
  'Tool uses by tool': [['tool', S], ['uses', I], ['errors', I], ['error_rate', F]],
  'Official usage limits (5-hour and 7-day)': [['time', T], ['developer', S], ['five_hour_pct', F], ['seven_day_pct', F]],
  'Pipeline: machines and their last push': [
    ['developer', S], ['machine', S], ['last_push_at', T], ['since_last_push_s', F], ['cursor', I], ['rows_applied', I], ['first_push', T], ['client_version', S], ['replica_id', S],
  ],
};
/** Panels that show the state now (the replicas), not a time range. */
const NOT_TIME_RANGED = new Set(['Pipeline: machines and their last push']);
const KIND_OID: Record<Kind, number> = { time: PG_TYPE.timestamptz, float: PG_TYPE.float8, int: PG_TYPE.int8, text: PG_TYPE.text };

test('the committed dashboard is what scripts/grafana-team-dashboard.mjs builds, every query filters by developer and machine and keeps only live rows, and the provisioning files match it', () => {
  assert.equal(fs.readFileSync(DASHBOARD_FILE, 'utf8'), dashboardJson(), 'run `node scripts/grafana-team-dashboard.mjs` and commit the JSON');
  assert.deepEqual(PANELS.map((p) => p.title).sort(), Object.keys(COLUMNS).sort(), 'every panel with a query has its columns listed here');
  assert.equal(DASHBOARD.timezone, 'utc', 'panels count UTC days');

  const dsVar = variable('datasource');
  assert.equal(dsVar.type, 'datasource');
  assert.equal(dsVar.query, 'grafana-postgresql-datasource');
  for (const name of ['developer', 'machine']) {
    const v = variable(name);
    assert.equal(v.type, 'query');
    assert.ok(v.multi && v.includeAll, `${name}: several values or All`);
    assert.deepEqual(v.datasource, { type: 'grafana-postgresql-datasource', uid: '${datasource}' });
  }
  assert.match(variable('machine').query, /\$developer/, 'the machines are those of the chosen developers');

  for (const p of PANELS) {
    const t = p.targets![0]!;
    assert.equal(p.targets!.length, 1, p.title);
    assert.deepEqual(t.datasource, { type: 'grafana-postgresql-datasource', uid: '${datasource}' }, p.title);
    assert.deepEqual(p.datasource, t.datasource, p.title);
    assert.equal(t.rawQuery, true, p.title);
    assert.equal(t.editorMode, 'code', p.title);
    assert.equal(t.format, p.type === 'timeseries' ? 'time_series' : 'table', p.title);
    const sql = t.rawSql;
    // Every table read keeps live rows only (replicas have no deleted_at) and is filtered by both
    // variables, but for a lookup by the session of a row already chosen (its models, its folder,
    // whether it has calls).
    for (const m of sql.matchAll(/\b(?:FROM|JOIN)\s+claude_metrics\.(\w+)\s+(?:AS\s+)?(\w+)/g)) {
      const [, table, alias] = m;
      assert.ok(!/^(WHERE|ON|GROUP|ORDER)$/i.test(alias!), `${p.title}: ${table} read under an alias`);
      if (table !== 'replicas') assert.ok(sql.includes(`${alias}.deleted_at IS NULL`), `${p.title}: ${table} ${alias} keeps live rows only`);
      const lookup = /^\s+(?:WHERE|ON)\s+\w+\.session_id = \w+\.session_id\b/.test(sql.slice(m.index! + m[0].length));
      if (!lookup) assert.ok(sql.includes(`${alias}.developer = ANY (ARRAY[$developer]::text[]) AND ${alias}.machine = ANY (ARRAY[$machine]::text[])`), `${p.title}: ${table} ${alias} filtered by the variables`);
    }
    assert.doesNotMatch(sql, /\bIN\s*\(\s*\$/, `${p.title}: no IN ($var): an empty All would be a syntax error`);
    if (!NOT_TIME_RANGED.has(p.title)) assert.match(sql, /\$__timeFilter\(|\$__timeFrom\(\)/, `${p.title}: follows the time range`);
    // Grafana's macro regex ends an argument at the first ')': an argument may not hold a call.
    for (const m of sql.matchAll(/\$__\w+\(([^)]*)\)/g)) assert.doesNotMatch(m[1]!, /\(/, `${p.title}: ${m[0]}`);
  }

  const ds = fs.readFileSync(path.join(TEAM_DIR, 'provisioning', 'datasources', 'claude-metrics-team.yaml'), 'utf8');
  const field = (name: string): string | undefined => new RegExp(`^\\s+${name}: (.+)$`, 'm').exec(ds)?.[1]?.trim();
  assert.equal(field('type'), 'grafana-postgresql-datasource');
  assert.equal(field('uid'), dsVar.current.value, 'the dashboard defaults to the provisioned data source');
  assert.equal(field('user'), 'claude_metrics_reader', 'Grafana reads as the read-only role');
  assert.equal(field('url'), '${CLAUDE_METRICS_PG_HOST}:${CLAUDE_METRICS_PG_PORT}');
  assert.equal(field('password'), '${CLAUDE_METRICS_PG_PASSWORD}');
  assert.equal(field('database'), '${CLAUDE_METRICS_PG_DATABASE}');
  assert.equal(field('sslmode'), 'verify-full');
  assert.equal(field('tlsConfigurationMethod'), 'file-path');
  assert.equal(field('sslRootCertFile'), '${CLAUDE_METRICS_PG_CA_FILE}');
  assert.match(ds, /^ {4}secureJsonData:\n {6}password: /m, 'the password is secure JSON data');
  const dash = fs.readFileSync(path.join(TEAM_DIR, 'provisioning', 'dashboards', 'claude-metrics-team.yaml'), 'utf8');
  assert.match(dash, /^\s+type: file$/m);
  assert.match(dash, /^\s+path: \/var\/lib\/grafana\/dashboards\/claude-metrics-team$/m);
});

test('the macro expander: Grafana\'s quoting, bounds and macros', () => {
  assert.equal(rfc3339Nano(Date.UTC(2026, 10, 26, 10, 0, 0)), '2026-11-26T10:00:00Z');
  assert.equal(rfc3339Nano(Date.UTC(2026, 10, 26, 10, 0, 0, 500)), '2026-11-26T10:00:00.5Z');
  assert.equal(rfc3339Nano(Date.UTC(2026, 10, 26, 10, 0, 0, 120)), '2026-11-26T10:00:00.12Z');
  assert.equal(quoteLiteral("grace's laptop"), "'grace''s laptop'");
  const ctx: GrafanaQueryContext = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 2), intervalMs: 60_000, variables: { developer: ['ada', "o'neil"], machine: [] } };
  assert.equal(
    expandForGrafana('SELECT 1 WHERE $__timeFilter(t."timestamp") AND x = ANY (ARRAY[$developer]::text[]) AND y = ANY (ARRAY[${machine}]::text[]) AND z < $__timeTo() AND w / $__interval_ms > 0', ctx),
    `SELECT 1 WHERE t."timestamp" BETWEEN '2026-01-01T00:00:00Z' AND '2026-01-02T00:00:00Z' AND x = ANY (ARRAY['ada','o''neil']::text[]) AND y = ANY (ARRAY[]::text[]) AND z < '2026-01-02T00:00:00Z' AND w / 60000 > 0`,
  );
  assert.throws(() => expandForGrafana('SELECT $__timeGroupAlias(x, 1d)', ctx), /not emulated/);
  assert.throws(() => expandForGrafana('SELECT $unknown', ctx), /left unexpanded/);
});

// ---------------------------------------------------------------------------------------------
// The server, the roles of docs/TEAM.md, and three machines pushing as the writer

const TEAM_DB = 'claude_team';
let server: PgServer;
const passwords = { owner: crypto.randomBytes(12).toString('hex'), writer: crypto.randomBytes(12).toString('hex'), reader: crypto.randomBytes(12).toString('hex') };
const roleUrl = (role: keyof typeof passwords, db = TEAM_DB): string => server.url(db, { user: `claude_metrics_${role}`, password: passwords[role] });

/** The SQL blocks of docs/TEAM.md's "Roles" section, in order: [superuser's, owner's]. */
function rolesSqlFromDocs(): [string, string] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'TEAM.md'), 'utf8');
  const start = doc.indexOf('\n## Roles\n');
  assert.ok(start >= 0, 'docs/TEAM.md has a "## Roles" section');
  const rest = doc.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  const section = end < 0 ? rest : rest.slice(0, end);
  const blocks = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 2, 'two SQL blocks: the superuser\'s and the owner\'s');
  return [blocks[0]!, blocks[1]!];
}

/** The machines' sandboxes live as long as the server: several tests read them. */
const cleanups: Array<() => void> = [];
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.close();
  for (const fn of cleanups) fn();
});

interface Machine {
  sb: Sandbox;
  developer: string;
  machine: string;
}

function env(sb: Sandbox): NodeJS.ProcessEnv {
  return { ...process.env, CLAUDE_METRICS_CONFIG: path.join(sb.dir, 'config.json'), CLAUDE_METRICS_POSTGRES_URL: '', HOME: sb.dir };
}

function syncOnce(m: Machine, url: string) {
  return spawnSync(process.execPath, [CLI, 'sync', '--once', '--postgres', url, '--db', m.sb.db, '--developer', m.developer, '--machine', m.machine], {
    encoding: 'utf8',
    env: env(m.sb),
    timeout: 120_000,
  });
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The error a statement fails with ('' when it succeeds). */
async function failure(url: string, sql: string): Promise<{ code: string; message: string }> {
  return withClient(url, async (c) => {
    try {
      await c.query(sql);
      return { code: '', message: '' };
    } catch (err) {
      return { code: String((err as { code?: string }).code), message: (err as Error).message };
    }
  });
}

const FIXTURE_DAY = Date.UTC(2026, 10, 26); // the recorded sessions are on 2026-11-23 and 2026-11-26

interface Team {
  machines: Machine[];
  writerBeforeSchema: ReturnType<typeof syncOnce>;
  ownerPush: ReturnType<typeof syncOnce>;
  writerPushes: Array<ReturnType<typeof syncOnce>>;
  deletedSession: string;
  legacySession: string;
}

let teamPromise: Promise<Team> | null = null;
/** Built once (by the first test that needs it), then shared: the tests read it, none changes it. */
function team(): Promise<Team> {
  teamPromise ??= buildTeam();
  return teamPromise;
}

async function buildTeam(): Promise<Team> {
  // Step 1 of docs/TEAM.md as a superuser, then the passwords psql's \password would set.
  const [superuserSql, ownerSql] = rolesSqlFromDocs();
  await server.psql(superuserSql);
  await server.psql(Object.entries(passwords).map(([role, pw]) => `ALTER ROLE claude_metrics_${role} PASSWORD '${pw}';`).join('\n'));

  const who: Array<[string, string]> = [
    ['ada', 'ada-laptop'],
    ['ada', 'ada-desktop'],
    ['grace', "grace's laptop"],
  ];
  const machines: Machine[] = who.map(([developer, machine], i) => {
    const sb = sandbox({ after: (fn) => cleanups.push(fn) });
    importInto(sb, machineClaudeDir(sb, i + 1));
    return { sb, developer, machine };
  });
  const sessionsOf = (m: Machine): string[] => query<{ session_id: string }>(m.sb.db, 'SELECT session_id FROM sessions ORDER BY session_id').map((r) => r.session_id);

  // Status line snapshots with the plans' limits (ada on her laptop, grace), through the worker.
  const snapshots = (m: Machine, sessionId: string, at: number, fiveHour: number[]): void => {
    fiveHour.forEach((pct, i) => {
      const body = snapshot('2.1.332-pro.json', sessionId, (s) => {
        s.rate_limits.five_hour.used_percentage = pct;
        s.rate_limits.seven_day.used_percentage = pct / 4;
        s.cost.total_cost_usd = 0.01 * (i + 1);
      });
      spoolPayload(m.sb, body, statuslineId(at + i * 7 * 60_000));
    });
    const r = drain(m.sb);
    assert.equal(r.code, 0, r.stderr);
  };
  snapshots(machines[0]!, sessionsOf(machines[0]!)[0]!, FIXTURE_DAY + 11 * 3_600_000, [12, 30, 55]);
  snapshots(machines[2]!, sessionsOf(machines[2]!)[1]!, FIXTURE_DAY + 11 * 3_600_000 + 120_000, [5, 71]);
  // A tool use whose result was an error (any writer's change goes out, as the sync tests show).
  const m1 = new Database(machines[0]!.sb.db);
  m1.prepare('UPDATE tool_uses SET is_error = 1 WHERE (session_id, tool_use_id) = (SELECT session_id, tool_use_id FROM tool_uses ORDER BY session_id, tool_use_id LIMIT 1)').run();
  m1.close();
  // A session the old hook wrote: figures, no calls (a pseudo-call in every cost panel).
  const legacySession = 'legacy-0000-4000-8000-ada-desktop';
  const m2 = new Database(machines[1]!.sb.db);
  m2.prepare(`INSERT INTO sessions (session_id, start_time, end_time, total_cost_usd, cwd, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, tool_calls, commits)
    VALUES (?, '2026-11-24T08:00:00.000Z', '2026-11-24T08:30:00.000Z', 0.4375, '/home/user/code/legacy', 1000, 200, 300, 4000, 3, 1)`).run(legacySession);
  m2.close();

  // The writer before the schema exists: refused, pointing at the owner.
  const writerBeforeSchema = syncOnce(machines[1]!, roleUrl('writer'));
  // Step 2: the owner's first push creates the schema.
  const ownerPush = syncOnce(machines[0]!, roleUrl('owner'));
  assert.equal(ownerPush.status, 0, `the owner's first push: ${ownerPush.stderr}`);
  // Step 3 of docs/TEAM.md, as the owner.
  await withClient(roleUrl('owner'), (c) => c.query(ownerSql));
  // Every machine pushes as the writer (the owner's machine too, from now on).
  const writerPushes = machines.map((m) => syncOnce(m, roleUrl('writer')));
  for (const r of writerPushes) assert.equal(r.status, 0, `a writer's push: ${r.stderr}`);

  // One of grace's sessions deleted on her machine after its push: marked in the team database, never counted.
  const deletedSession = sessionsOf(machines[2]!)[0]!;
  const m3 = new Database(machines[2]!.sb.db);
  m3.transaction(() => {
    for (const table of ['token_usage', 'session_models', 'tool_uses', 'statusline_samples', 'sessions']) m3.prepare(`DELETE FROM ${table} WHERE session_id = ?`).run(deletedSession);
  })();
  m3.close();
  const again = syncOnce(machines[2]!, roleUrl('writer'));
  assert.equal(again.status, 0, again.stderr);
  writerPushes.push(again);
  return { machines, writerBeforeSchema, ownerPush, writerPushes, deletedSession, legacySession };
}

test('the roles of docs/TEAM.md: the owner migrates, the writer pushes but cannot delete, drop or create, the reader only reads, and later tables get the same rights', async () => {
  const { machines, writerBeforeSchema, deletedSession } = await team();
  assert.equal(writerBeforeSchema.status, 1, 'the writer cannot create the schema');
  assert.match(writerBeforeSchema.stderr, /may not create it .*run `claude-metrics sync --postgres <owner's URL> --once` once as the schema's owner/s);
  // What the writers pushed is all there, the deleted session marked, not removed.
  assertSameFigures(await centralFigures(roleUrl('reader')), sumFigures(machines.map((m) => localFigures(m.sb.db))), 'the three machines');
  const marked = await withClient(roleUrl('reader'), (c) => c.query('SELECT count(*)::int AS n FROM claude_metrics.token_usage WHERE session_id = $1 AND deleted_at IS NOT NULL', [deletedSession]));
  assert.ok(marked.rows[0].n > 0, 'the deleted session\'s calls are marked deleted');

  const writer = roleUrl('writer');
  const denied = async (url: string, sql: string, what: RegExp): Promise<void> => {
    const f = await failure(url, sql);
    assert.equal(f.code, '42501', `${sql}: refused for want of a privilege, got ${f.code} ${f.message}`);
    assert.match(f.message, what, sql);
  };
  await denied(writer, 'DELETE FROM claude_metrics.token_usage', /permission denied for table token_usage/);
  await denied(writer, 'TRUNCATE claude_metrics.sessions', /permission denied for table sessions/);
  await denied(writer, 'DROP TABLE claude_metrics.tool_uses', /must be owner of table tool_uses/);
  await denied(writer, 'ALTER TABLE claude_metrics.sessions ADD COLUMN x int', /must be owner of table sessions/);
  await denied(writer, 'CREATE TABLE claude_metrics.x (a int)', /permission denied for schema claude_metrics/);
  await denied(writer, 'DROP SCHEMA claude_metrics CASCADE', /must be owner of schema claude_metrics/);
  await denied(writer, 'CREATE TEMPORARY TABLE x (a int)', /permission denied to create temporary tables/);
  await denied(writer, 'CREATE SCHEMA elsewhere', /permission denied for database claude_team/);
  await denied(writer, 'CREATE TABLE public.x (a int)', /permission denied for schema public/);
  // What it may do, it does (the pushes above did it too).
  assert.equal((await failure(writer, "UPDATE claude_metrics.replicas SET client_version = client_version WHERE machine = 'ada-laptop'")).code, '');
  assert.equal((await failure(writer, "SELECT nextval('claude_metrics.row_versions')")).code, '');

  const reader = roleUrl('reader');
  assert.equal((await failure(reader, 'SELECT count(*) FROM claude_metrics.sessions')).code, '');
  // Read-only by default (the second guard); with that turned off, the grants still refuse.
  assert.equal((await failure(reader, "INSERT INTO claude_metrics.replicas (replica_id, machine, developer) VALUES (gen_random_uuid(), 'x', 'x')")).code, '25006');
  const rw = (sql: string) => `BEGIN READ WRITE; ${sql}; COMMIT`;
  await denied(reader, rw("INSERT INTO claude_metrics.replicas (replica_id, machine, developer) VALUES (gen_random_uuid(), 'x', 'x')"), /permission denied for table replicas/);
  await denied(reader, rw('UPDATE claude_metrics.sessions SET cwd = cwd'), /permission denied for table sessions/);
  await denied(reader, rw('DELETE FROM claude_metrics.sessions'), /permission denied for table sessions/);
  await denied(reader, rw("SELECT nextval('claude_metrics.row_versions')"), /permission denied for sequence row_versions/);
  await denied(reader, rw('CREATE TABLE claude_metrics.x (a int)'), /permission denied for schema claude_metrics/);

  // A later migration, run by the owner: its table and sequence get the same rights by default.
  await withClient(roleUrl('owner'), (c) => c.query('CREATE SEQUENCE claude_metrics.later_seq; CREATE TABLE claude_metrics.later (a bigint DEFAULT nextval(\'claude_metrics.later_seq\'), b int)'));
  assert.equal((await failure(writer, 'INSERT INTO claude_metrics.later (b) VALUES (1)')).code, '', 'the writer inserts into a later table, taking its sequence');
  assert.equal((await failure(writer, 'UPDATE claude_metrics.later SET b = 2')).code, '');
  await denied(writer, 'DELETE FROM claude_metrics.later', /permission denied for table later/);
  assert.equal((await failure(reader, 'SELECT * FROM claude_metrics.later')).code, '');
  await denied(reader, rw('INSERT INTO claude_metrics.later (b) VALUES (3)'), /permission denied for table later/);
  await withClient(roleUrl('owner'), (c) => c.query('DROP TABLE claude_metrics.later; DROP SEQUENCE claude_metrics.later_seq'));
});

// ---------------------------------------------------------------------------------------------
// Every panel and variable, as Grafana runs them, as the reader

/** A call as the panels count it, made from a machine's own SQLite database. */
interface LocalCall {
  session_id: string;
  developer: string;
  machine: string;
  ts: string;
  model: string;
  calls: number;
  input: number;
  output: number;
  cache_write: number;
  cache_read: number;
  cost: number;
  cwd: string | null;
}

interface Local {
  calls: LocalCall[];
  sessions: Array<{ session_id: string; developer: string; machine: string; start: string; cost: number; cwd: string | null; tokens: number }>;
  tools: Array<{ developer: string; machine: string; name: string; used_at: string; is_error: number }>;
  samples: Array<{ developer: string; machine: string; sampled_at: string; five: number | null; seven: number | null }>;
  cursors: Map<string, number>;
}

/** Everything the panels show, read from the machines' SQLite databases (after their deletions). */
function localData(machines: Machine[]): Local {
  const out: Local = { calls: [], sessions: [], tools: [], samples: [], cursors: new Map() };
  for (const m of machines) {
    const tag = <R extends object>(rows: R[]) => rows.map((r) => ({ ...r, developer: m.developer, machine: m.machine }));
    // The calls: every token_usage row, and each session without calls as one pseudo-call (the old hook's).
    out.calls.push(
      ...tag(
        query<Omit<LocalCall, 'developer' | 'machine'>>(
          m.sb.db,
          `SELECT t.session_id, t.timestamp AS ts, COALESCE(t.model, 'unknown') AS model, 1 AS calls, COALESCE(t.input_tokens, 0) AS input,
             COALESCE(t.output_tokens, 0) AS output, COALESCE(t.cache_creation_tokens, 0) AS cache_write, COALESCE(t.cache_read_tokens, 0) AS cache_read,
             COALESCE(t.cost_usd, 0) AS cost, s.cwd
           FROM token_usage t LEFT JOIN sessions s ON s.session_id = t.session_id`,
        ),
      ),
      ...tag(
        query<Omit<LocalCall, 'developer' | 'machine'>>(
          m.sb.db,
          `SELECT session_id, COALESCE(start_time, end_time) AS ts, 'unknown' AS model, 0 AS calls, COALESCE(input_tokens, 0) AS input,
             COALESCE(output_tokens, 0) AS output, COALESCE(cache_creation_tokens, 0) AS cache_write, COALESCE(cache_read_tokens, 0) AS cache_read,
             COALESCE(total_cost_usd, 0) AS cost, cwd
           FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM token_usage u WHERE u.session_id = s.session_id)`,
        ),
      ),
    );
    out.sessions.push(
      ...tag(
        query<Local['sessions'][number]>(
          m.sb.db,
          `SELECT session_id, COALESCE(start_time, end_time) AS start, COALESCE(total_cost_usd, 0) AS cost, cwd,
             COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0) + COALESCE(cache_creation_tokens, 0) + COALESCE(cache_read_tokens, 0) AS tokens
           FROM sessions`,
        ),
      ),
    );
    out.tools.push(...tag(query<Local['tools'][number]>(m.sb.db, 'SELECT name, used_at, COALESCE(is_error, 0) AS is_error FROM tool_uses')));
    out.samples.push(...tag(query<Local['samples'][number]>(m.sb.db, 'SELECT sampled_at, five_hour_used_pct AS five, seven_day_used_pct AS seven FROM statusline_samples')));
    out.cursors.set(m.machine, query<{ seq: number }>(m.sb.db, 'SELECT max(seq) AS seq FROM sync_outbox')[0]!.seq);
  }
  return out;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const utcDay = (ts: string): string => `${new Date(ts).toISOString().slice(0, 10)}T00:00:00.000Z`;
function groupBy<T>(xs: T[], k: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(k(x), [...(m.get(k(x)) ?? []), x]);
  return m;
}
const close = (actual: unknown, expected: number, what: string): void => assert.ok(Math.abs(Number(actual) - expected) < 1e-9, `${what}: ${String(actual)} != ${expected}`);
const iso = (v: unknown): string => (v as Date).toISOString();

/** Runs one query of the dashboard as Grafana would, checking what Grafana checks; the answer. */
async function runAsGrafana(client: pg.Client, sql: string, ctx: GrafanaQueryContext, what: string, format: 'table' | 'time_series', columns?: Array<[string, Kind]>): Promise<pg.QueryResult> {
  const expanded = expandForGrafana(sql, ctx);
  let result: pg.QueryResult;
  try {
    result = await client.query(expanded);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}\n${expanded}`);
  }
  if (columns) {
    assert.deepEqual(result.fields.map((f) => f.name), columns.map(([n]) => n), `${what}: columns`);
    result.fields.forEach((f, i) => assert.equal(f.dataTypeID, KIND_OID[columns[i]![1]], `${what}: ${f.name} is ${columns[i]![1]} (type oid ${f.dataTypeID})`));
  }
  // Grafana's reading of the types: a time only from a time type, never a string where a number belongs.
  for (const f of result.fields) {
    const want = f.name === 'time' || /_at$|^start$|^last_call$|^first_push$/.test(f.name) ? 'time' : null;
    if (want) assert.equal(grafanaFieldType(f.dataTypeID), 'time', `${what}: ${f.name} is a time for Grafana`);
  }
  if (format === 'time_series') assert.deepEqual(timeSeriesDefects(result), [], `${what}: as a time series`);
  return result;
}

interface Scope {
  name: string;
  developers: string[];
  machines: string[];
}

test('every panel and variable of the team dashboard, as Grafana runs them, as the read-only role: columns, types, and the figures of the machines\' own databases, for every developer and machine chosen', async (t) => {
  const { machines, deletedSession, legacySession } = await team();
  const local = localData(machines);
  const reader = new pg.Client({ connectionString: roleUrl('reader') });
  await reader.connect();
  t.after(() => reader.end());
  const times = [...local.calls.map((c) => Date.parse(c.ts)), ...local.samples.map((s) => Date.parse(s.sampled_at))].filter((x) => !Number.isNaN(x));
  const fromMs = Math.min(...times) - 86_400_000;
  const toMs = Math.max(...times) + 86_400_000;
  assert.ok(local.sessions.every((s) => s.session_id !== deletedSession), 'the deleted session is gone locally');
  assert.ok(local.calls.some((c) => c.session_id === legacySession && c.calls === 0), 'the old-hook session is a pseudo-call');
  assert.ok(local.tools.some((u) => u.is_error === 1), 'a tool error');
  assert.ok(local.samples.filter((s) => s.five !== null).length >= 5, 'status line samples with the plans\' limits');

  // The variables: developers, then the machines of the chosen ones.
  const varCtx = (developers: string[]): GrafanaQueryContext => ({ fromMs, toMs, intervalMs: 60_000, variables: { developer: developers } });
  const values = async (name: string, developers: string[]): Promise<string[]> => {
    const r = await runAsGrafana(reader, variable(name).query, varCtx(developers), `variable ${name}`, 'table', [[name, S]]);
    return r.rows.map((row: Record<string, string>) => row[name]!);
  };
  const allDevelopers = await values('developer', []);
  assert.deepEqual(allDevelopers, ['ada', 'grace']);
  const allMachines = await values('machine', allDevelopers);
  assert.deepEqual(allMachines, ['ada-desktop', 'ada-laptop', "grace's laptop"]);
  assert.deepEqual(await values('machine', ['ada']), ['ada-desktop', 'ada-laptop'], 'the machines of the chosen developer only');
  assert.deepEqual(await values('machine', ['grace']), ["grace's laptop"]);

  const scopes: Scope[] = [
    { name: 'All developers, all machines', developers: allDevelopers, machines: allMachines },
    { name: 'ada (her two machines)', developers: ['ada'], machines: await values('machine', ['ada']) },
    { name: 'ada, her desktop only', developers: ['ada'], machines: ['ada-desktop'] },
    { name: "grace (a machine name with a quote)", developers: ['grace'], machines: ["grace's laptop"] },
    { name: 'a developer and a machine of another developer: nothing', developers: ['grace'], machines: ['ada-laptop'] },
  ];

  for (const scope of scopes) {
    const ctx: GrafanaQueryContext = { fromMs, toMs, intervalMs: 60_000, variables: { developer: scope.developers, machine: scope.machines } };
    const inScope = <R extends { developer: string; machine: string }>(rows: R[]): R[] => rows.filter((r) => scope.developers.includes(r.developer) && scope.machines.includes(r.machine));
    const within = (ts: string | null): boolean => ts !== null && Date.parse(ts) >= fromMs && Date.parse(ts) <= toMs;
    const calls = inScope(local.calls).filter((c) => within(c.ts));
    const sessions = inScope(local.sessions).filter((s) => within(s.start));
    const tools = inScope(local.tools).filter((u) => within(u.used_at));
    const samples = inScope(local.samples).filter((s) => within(s.sampled_at) && (s.five !== null || s.seven !== null));
    const empty = calls.length === 0;
    if (scope.name.startsWith('All')) assert.ok(!empty);

    const results = new Map<string, pg.QueryResult>();
    for (const p of PANELS) {
      const target = p.targets![0]!;
      const r = await runAsGrafana(reader, target.rawSql, ctx, `${scope.name}: ${p.title}`, target.format, COLUMNS[p.title]);
      results.set(p.title, r);
      if (scope.name.startsWith('All')) assert.ok(r.rows.length >= 1, `${scope.name}: ${p.title}: rows over the fixtures' range`);
    }
    const rows = (title: string): Array<Record<string, unknown>> => results.get(title)!.rows as Array<Record<string, unknown>>;
    const one = (title: string, col: string): unknown => rows(title)[0]![col];
    const what = (s: string) => `${scope.name}: ${s}`;

    // The stats.
    close(one('Cost', 'cost_usd'), sum(calls.map((c) => c.cost)), what('Cost'));
    assert.equal(Number(one('API calls', 'api_calls')), sum(calls.map((c) => c.calls)), what('API calls'));
    assert.equal(Number(one('Sessions', 'sessions')), new Set(calls.map((c) => c.session_id)).size, what('Sessions'));
    assert.equal(Number(one('Tokens', 'tokens')), sum(calls.map((c) => c.input + c.output + c.cache_write + c.cache_read)), what('Tokens'));
    assert.equal(Number(one('Developers', 'developers')), new Set(calls.map((c) => c.developer)).size, what('Developers'));
    const inputSide = sum(calls.map((c) => c.input + c.cache_write + c.cache_read));
    if (empty) assert.equal(one('Cache hit ratio', 'cache_hit_ratio'), null, what('no ratio without tokens'));
    else close(one('Cache hit ratio', 'cache_hit_ratio'), sum(calls.map((c) => c.cache_read)) / inputSide, what('Cache hit ratio'));

    // Cost per day, by developer: each (day, developer), and each developer's total = its local sums.
    const byDayDev = groupBy(calls, (c) => `${utcDay(c.ts)}|${c.developer}`);
    assert.deepEqual(rows('Cost per day, by developer').map((r) => `${iso(r.time)}|${String(r.developer)}`), [...byDayDev.keys()].sort(), what('days × developers'));
    for (const r of rows('Cost per day, by developer')) close(r.cost_usd, sum(byDayDev.get(`${iso(r.time)}|${String(r.developer)}`)!.map((c) => c.cost)), what(`cost of ${String(r.developer)} on ${iso(r.time)}`));
    for (const [dev, devCalls] of groupBy(calls, (c) => c.developer)) {
      const tokenUsageCost = sum(devCalls.filter((c) => c.calls === 1).map((c) => c.cost));
      const oldHookCost = sum(devCalls.filter((c) => c.calls === 0).map((c) => c.cost));
      close(sum(rows('Cost per day, by developer').filter((r) => r.developer === dev).map((r) => Number(r.cost_usd))), tokenUsageCost + oldHookCost, what(`${dev}'s total cost`));
    }
    // Cost per day, by model.
    const byDayModel = groupBy(calls, (c) => `${utcDay(c.ts)}|${c.model}`);
    assert.deepEqual(rows('Cost per day, by model').map((r) => `${iso(r.time)}|${String(r.model)}`), [...byDayModel.keys()].sort(), what('days × models'));
    for (const r of rows('Cost per day, by model')) close(r.cost_usd, sum(byDayModel.get(`${iso(r.time)}|${String(r.model)}`)!.map((c) => c.cost)), what(`cost of ${String(r.model)}`));
    // The developers' table.
    const byDev = groupBy(calls, (c) => c.developer);
    assert.deepEqual(rows('Per developer').map((r) => r.developer).sort(), [...byDev.keys()].sort(), what('developers'));
    for (const r of rows('Per developer')) {
      const dc = byDev.get(String(r.developer))!;
      assert.equal(Number(r.machines), new Set(dc.map((c) => c.machine)).size, what(`${String(r.developer)}'s machines`));
      assert.equal(Number(r.sessions), new Set(dc.map((c) => c.session_id)).size, what(`${String(r.developer)}'s sessions`));
      assert.equal(Number(r.api_calls), sum(dc.map((c) => c.calls)), what(`${String(r.developer)}'s calls`));
      assert.equal(Number(r.tokens), sum(dc.map((c) => c.input + c.output + c.cache_write + c.cache_read)), what(`${String(r.developer)}'s tokens`));
      close(r.cost_usd, sum(dc.map((c) => c.cost)), what(`${String(r.developer)}'s cost`));
      assert.equal(iso(r.last_call), new Date(Math.max(...dc.map((c) => Date.parse(c.ts)))).toISOString(), what(`${String(r.developer)}'s last call`));
    }
    // Tokens, sessions and the cache ratio per day.
    const byDay = groupBy(calls, (c) => utcDay(c.ts));
    assert.deepEqual(rows('Tokens per day, by kind').map((r) => iso(r.time)), [...byDay.keys()].sort(), what('days'));
    for (const r of rows('Tokens per day, by kind')) {
      const dc = byDay.get(iso(r.time))!;
      assert.deepEqual([r.input, r.output, r.cache_write, r.cache_read].map(Number), [sum(dc.map((c) => c.input)), sum(dc.map((c) => c.output)), sum(dc.map((c) => c.cache_write)), sum(dc.map((c) => c.cache_read))], what(`tokens on ${iso(r.time)}`));
    }
    for (const r of rows('Sessions per day')) assert.equal(Number(r.sessions), new Set(byDay.get(iso(r.time))!.map((c) => c.session_id)).size, what('sessions per day'));
    for (const r of rows('Cache hit ratio per day')) {
      const dc = byDay.get(iso(r.time))!;
      close(r.cache_hit_ratio, sum(dc.map((c) => c.cache_read)) / sum(dc.map((c) => c.input + c.cache_write + c.cache_read)), what('cache hit ratio per day'));
    }
    // Cost by project and by model.
    const byProject = groupBy(calls, (c) => c.cwd ?? '(unknown)');
    assert.deepEqual(rows('Cost by project').map((r) => r.project).sort(), [...byProject.keys()].sort(), what('projects'));
    for (const r of rows('Cost by project')) close(r.cost_usd, sum(byProject.get(String(r.project))!.map((c) => c.cost)), what(`cost of ${String(r.project)}`));
    const byModel = groupBy(calls, (c) => c.model);
    for (const r of rows('Cost by model')) {
      const mc = byModel.get(String(r.model))!;
      close(r.cost_usd, sum(mc.map((c) => c.cost)), what(`cost of ${String(r.model)}`));
      assert.equal(Number(r.api_calls), sum(mc.map((c) => c.calls)), what(`calls of ${String(r.model)}`));
    }
    assert.equal(rows('Cost by model').length, byModel.size, what('models'));
    // The sessions' tables: the scope's sessions, the deleted one nowhere, the old hook's one with its cost.
    const recent = rows('Recent sessions');
    assert.deepEqual(recent.map((r) => r.session_id).sort(), sessions.map((s) => s.session_id).sort(), what('recent sessions'));
    assert.deepEqual(recent.map((r) => iso(r.start)), [...recent.map((r) => iso(r.start))].sort().reverse(), what('newest first'));
    for (const r of recent) {
      const s = sessions.find((x) => x.session_id === r.session_id)!;
      close(r.cost_usd, s.cost, what(`cost of session ${String(r.session_id)}`));
      assert.deepEqual([r.developer, r.machine, Number(r.tokens)], [s.developer, s.machine, s.tokens], what(`session ${String(r.session_id)}`));
    }
    const expensive = rows('Most expensive sessions');
    assert.deepEqual(expensive.map((r) => Number(r.cost_usd)), [...sessions.map((s) => s.cost)].sort((a, b) => b - a).slice(0, 10), what('the most expensive'));
    // Tool uses.
    const toolsByDay = groupBy(tools, (u) => utcDay(u.used_at));
    assert.deepEqual(rows('Tool uses per day').map((r) => [iso(r.time), Number(r.uses), Number(r.errors)]), [...toolsByDay.entries()].sort().map(([d, us]) => [d, us.length, sum(us.map((u) => u.is_error))]), what('tool uses per day'));
    const toolsByName = groupBy(tools, (u) => u.name);
    assert.equal(rows('Tool uses by tool').length, toolsByName.size, what('tools'));
    for (const r of rows('Tool uses by tool')) {
      const us = toolsByName.get(String(r.tool))!;
      assert.deepEqual([Number(r.uses), Number(r.errors)], [us.length, sum(us.map((u) => u.is_error))], what(`tool ${String(r.tool)}`));
      close(r.error_rate, sum(us.map((u) => u.is_error)) / us.length, what(`error rate of ${String(r.tool)}`));
    }
    // The plans' limits: each developer's highest reading.
    const limits = rows('Official usage limits (5-hour and 7-day)');
    for (const [dev, ss] of groupBy(samples, (s) => s.developer)) {
      const mine = limits.filter((r) => r.developer === dev);
      close(Math.max(...mine.map((r) => Number(r.five_hour_pct))), Math.max(...ss.map((s) => s.five ?? -1)), what(`${dev}'s highest 5-hour use`));
      close(Math.max(...mine.map((r) => Number(r.seven_day_pct))), Math.max(...ss.map((s) => s.seven ?? -1)), what(`${dev}'s highest 7-day use`));
    }
    assert.deepEqual([...new Set(limits.map((r) => r.developer))].sort(), [...new Set(samples.map((s) => s.developer))].sort(), what('developers with limits'));
    // The pipeline: one row per machine in scope, whatever the time range.
    const replicas = rows('Pipeline: machines and their last push');
    const scopeMachines = machines.filter((m) => scope.developers.includes(m.developer) && scope.machines.includes(m.machine));
    assert.deepEqual(replicas.map((r) => `${String(r.developer)}/${String(r.machine)}`).sort(), scopeMachines.map((m) => `${m.developer}/${m.machine}`).sort(), what('replicas'));
    for (const r of replicas) {
      assert.equal(Number(r.cursor), local.cursors.get(String(r.machine)), what(`${String(r.machine)}: the cursor is its last local change`));
      assert.ok(Number(r.rows_applied) > 0, what('rows applied'));
      assert.ok(Number(r.since_last_push_s) >= 0 && Number(r.since_last_push_s) < 600, what(`${String(r.machine)}: pushed minutes ago: ${String(r.since_last_push_s)}`));
      assert.ok(r.first_push instanceof Date && r.last_push_at instanceof Date && r.first_push <= r.last_push_at);
    }
  }

  // The limits panel at other intervals: the same highest readings, fewer buckets.
  const allCtx = (over: Partial<GrafanaQueryContext>): GrafanaQueryContext => ({ fromMs, toMs, intervalMs: 60_000, variables: { developer: allDevelopers, machine: allMachines }, ...over });
  const limitsSql = panelSql('Official usage limits (5-hour and 7-day)');
  const perMinute = await runAsGrafana(reader, limitsSql.rawSql, allCtx({}), 'limits per minute', 'time_series');
  const perDay = await runAsGrafana(reader, limitsSql.rawSql, allCtx({ intervalMs: 86_400_000 }), 'limits per day', 'time_series');
  assert.ok(perDay.rows.length < perMinute.rows.length, 'fewer buckets');
  assert.deepEqual(perDay.rows.map((r: Record<string, unknown>) => iso(r.time)), perDay.rows.map((r: Record<string, unknown>) => utcDay(iso(r.time))), 'day buckets start at UTC midnight');
  for (const dev of allDevelopers) {
    const max = (res: pg.QueryResult) => Math.max(...res.rows.filter((r: Record<string, unknown>) => r.developer === dev).map((r: Record<string, unknown>) => Number(r.five_hour_pct)));
    assert.equal(max(perDay), max(perMinute), `${dev}: the same highest reading`);
  }

  // The session's time zone changes nothing: UTC days whatever PostgreSQL's TimeZone.
  const kolkata = new pg.Client({ connectionString: roleUrl('reader') });
  await kolkata.connect();
  t.after(() => kolkata.end());
  await kolkata.query("SET TIME ZONE 'Asia/Kolkata'");
  for (const p of PANELS) {
    if (NOT_TIME_RANGED.has(p.title)) continue;
    const a = await runAsGrafana(reader, p.targets![0]!.rawSql, allCtx({}), p.title, p.targets![0]!.format);
    const b = await runAsGrafana(kolkata, p.targets![0]!.rawSql, allCtx({}), `${p.title} (Asia/Kolkata)`, p.targets![0]!.format);
    assert.deepEqual(b.rows, a.rows, `${p.title}: the same in another session time zone`);
  }

  // Ranges without data: no rows (an aggregate: zeros and NULLs), never an error.
  for (const [from, to] of [[Date.UTC(2020, 0, 1), Date.UTC(2020, 1, 1)], [toMs + 30 * 86_400_000, toMs + 60 * 86_400_000]] as const) {
    for (const p of PANELS) {
      const r = await runAsGrafana(reader, p.targets![0]!.rawSql, allCtx({ fromMs: from, toMs: to }), `${p.title}, a range without data`, p.targets![0]!.format, COLUMNS[p.title]);
      if (NOT_TIME_RANGED.has(p.title)) {
        assert.equal(r.rows.length, machines.length, `${p.title}: the machines, whatever the range`);
        continue;
      }
      assert.ok(
        r.rows.every((row: Record<string, unknown>) => Object.values(row).every((v) => v === null || Number(v) === 0)) && r.rows.length <= 1,
        `${p.title}, ${rfc3339Nano(from)} to ${rfc3339Nano(to)}: ${JSON.stringify(r.rows)}`,
      );
      if (p.targets![0]!.format === 'time_series') assert.equal(r.rows.length, 0, `${p.title}: zero rows`);
    }
  }
});

test('an empty team database (schema, no push yet): the variables have no value, and every panel runs with All over nothing', async (t) => {
  await team(); // the roles exist
  const db = 'claude_team_empty';
  await server.createDatabase(db);
  await withClient(server.url(db), async (c) => {
    await migrateCentral(c);
    await c.query('GRANT USAGE ON SCHEMA claude_metrics TO claude_metrics_reader; GRANT SELECT ON ALL TABLES IN SCHEMA claude_metrics TO claude_metrics_reader');
  });
  await server.psql(`GRANT CONNECT ON DATABASE ${db} TO claude_metrics_reader`);
  const reader = new pg.Client({ connectionString: roleUrl('reader', db) });
  await reader.connect();
  t.after(() => reader.end());
  const now = Date.now();
  // All over no option: Grafana's value is the empty list, interpolated as the empty string.
  const ctx: GrafanaQueryContext = { fromMs: now - 30 * 86_400_000, toMs: now, intervalMs: 3_600_000, variables: { developer: [], machine: [] } };
  for (const v of ['developer', 'machine']) {
    const r = await runAsGrafana(reader, variable(v).query, ctx, `variable ${v}`, 'table');
    assert.equal(r.rows.length, 0, v);
  }
  for (const p of PANELS) {
    const target = p.targets![0]!;
    const r = await runAsGrafana(reader, target.rawSql, ctx, `${p.title}, empty database`, target.format, COLUMNS[p.title]);
    assert.ok(r.rows.length <= 1 && r.rows.every((row: Record<string, unknown>) => Object.values(row).every((x) => x === null || Number(x) === 0)), `${p.title}: ${JSON.stringify(r.rows)}`);
  }
  // Why the panels say `= ANY (ARRAY[$developer]::text[])`: `IN ($developer)` is a syntax error there.
  const f = await failure(roleUrl('reader', db), 'SELECT 1 FROM claude_metrics.sessions WHERE developer IN ()');
  assert.equal(f.code, '42601', `IN () is a syntax error: ${f.message}`);
});
