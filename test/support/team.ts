// Machines of a team for the sync tests: each one a Claude Code folder holding both recorded
// fixture sets with every session id made its own (so that three machines are three sets of
// sessions, as three developers' would be), imported by the real built CLI into its own spool
// and database; and the figures a team database must hold, summed from the local databases with
// plain SQL (independently of src/sync), to compare with the central ones.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { CLI, FIXTURE_SETS, type Sandbox, query } from '../helpers.ts';

/** Session ids of a fixture set (its expected.json's keys, and every uuid-named transcript). */
function sessionIdsOf(dir: string): string[] {
  const ids = new Set(Object.keys(JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as object));
  for (const f of fs.readdirSync(path.join(dir, 'projects'), { recursive: true }) as string[]) {
    const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/.exec(f);
    if (m) ids.add(m[1]!);
  }
  return [...ids];
}

/** A Claude Code folder for machine `index` (1-255): both fixture sets, session ids rewritten. */
export function machineClaudeDir(sb: Sandbox, index: number): string {
  const claude = path.join(sb.dir, `claude-${index}`);
  const prefix = index.toString(16).padStart(2, '0');
  for (const set of FIXTURE_SETS) {
    const renames = sessionIdsOf(set.dir).map((id) => [id, `${prefix}${id.slice(2)}`] as const);
    const rewrite = (text: string): string => renames.reduce((t, [from, to]) => t.replaceAll(from, to), text);
    const from = path.join(set.dir, 'projects');
    for (const rel of fs.readdirSync(from, { recursive: true }) as string[]) {
      const src = path.join(from, rel);
      const dest = path.join(claude, 'projects', rewrite(rel));
      if (fs.statSync(src).isDirectory()) fs.mkdirSync(dest, { recursive: true });
      else {
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.writeFileSync(dest, rewrite(fs.readFileSync(src, 'utf8')));
      }
    }
  }
  return claude;
}

/** `claude-metrics import --claude-dir DIR --drain` into the sandbox's spool and database. */
export function importInto(sb: Sandbox, claudeDir: string): void {
  const r = spawnSync(process.execPath, [CLI, 'import', '--claude-dir', claudeDir, '--drain', '--spool', sb.spool, '--db', sb.db], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `import failed: ${r.stdout}${r.stderr}`);
}

export interface TeamFigures {
  sessions: number;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
  model_rows: number;
  model_calls: number;
  tool_uses: number;
  tool_errors: number;
  samples: number;
}

const LOCAL_FIGURES = `SELECT
  (SELECT count(*) FROM sessions) AS sessions,
  (SELECT count(*) FROM token_usage) AS calls,
  (SELECT coalesce(sum(input_tokens), 0) FROM token_usage) AS input_tokens,
  (SELECT coalesce(sum(output_tokens), 0) FROM token_usage) AS output_tokens,
  (SELECT coalesce(sum(cache_creation_tokens), 0) FROM token_usage) AS cache_creation_tokens,
  (SELECT coalesce(sum(cache_read_tokens), 0) FROM token_usage) AS cache_read_tokens,
  (SELECT coalesce(sum(cost_usd), 0) FROM token_usage) AS cost_usd,
  (SELECT count(*) FROM session_models) AS model_rows,
  (SELECT coalesce(sum(api_calls), 0) FROM session_models) AS model_calls,
  (SELECT count(*) FROM tool_uses) AS tool_uses,
  (SELECT coalesce(sum(is_error), 0) FROM tool_uses) AS tool_errors,
  (SELECT count(*) FROM statusline_samples) AS samples`;

/** One local database's figures, plain SQL. */
export function localFigures(dbFile: string): TeamFigures {
  return query<TeamFigures>(dbFile, LOCAL_FIGURES)[0]!;
}

export function sumFigures(list: TeamFigures[]): TeamFigures {
  const total = { ...list[0]! };
  for (const key of Object.keys(total) as Array<keyof TeamFigures>) total[key] = list.reduce((s, f) => s + Number(f[key]), 0);
  return total;
}

/** The team database's figures (live rows only), for one developer or all. */
export async function centralFigures(url: string, developer?: string): Promise<TeamFigures> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const where = (t: string): string => `FROM claude_metrics.${t} WHERE deleted_at IS NULL${developer === undefined ? '' : ' AND developer = $1'}`;
    const params = developer === undefined ? [] : [developer];
    const r = await client.query(
      `SELECT
        (SELECT count(*) ${where('sessions')})::float8 AS sessions,
        (SELECT count(*) ${where('token_usage')})::float8 AS calls,
        (SELECT coalesce(sum(input_tokens), 0) ${where('token_usage')})::float8 AS input_tokens,
        (SELECT coalesce(sum(output_tokens), 0) ${where('token_usage')})::float8 AS output_tokens,
        (SELECT coalesce(sum(cache_creation_tokens), 0) ${where('token_usage')})::float8 AS cache_creation_tokens,
        (SELECT coalesce(sum(cache_read_tokens), 0) ${where('token_usage')})::float8 AS cache_read_tokens,
        (SELECT coalesce(sum(cost_usd), 0) ${where('token_usage')}) AS cost_usd,
        (SELECT count(*) ${where('session_models')})::float8 AS model_rows,
        (SELECT coalesce(sum(api_calls), 0) ${where('session_models')})::float8 AS model_calls,
        (SELECT count(*) ${where('tool_uses')})::float8 AS tool_uses,
        (SELECT coalesce(sum(is_error), 0) ${where('tool_uses')})::float8 AS tool_errors,
        (SELECT count(*) ${where('statusline_samples')})::float8 AS samples`,
      params,
    );
    return r.rows[0] as TeamFigures;
  } finally {
    await client.end();
  }
}

/** Equal figures: counts and tokens exactly, costs to floating-point summation order (1e-9 USD). */
export function assertSameFigures(actual: TeamFigures, expected: TeamFigures, what: string): void {
  for (const key of Object.keys(expected) as Array<keyof TeamFigures>) {
    if (key === 'cost_usd') assert.ok(Math.abs(Number(actual[key]) - Number(expected[key])) < 1e-9, `${what}: cost ${actual[key]} != ${expected[key]}`);
    else assert.equal(Number(actual[key]), Number(expected[key]), `${what}: ${key}`);
  }
}

/** Every live central row of a table, keyed and with its values, for a row-by-row comparison. */
export async function centralRows(url: string, table: string, orderBy: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query(`SELECT * FROM claude_metrics.${table} WHERE deleted_at IS NULL ORDER BY ${orderBy}`);
    return r.rows.map(({ row_version: _v, replica_id: _r, ...rest }) => rest);
  } finally {
    await client.end();
  }
}
