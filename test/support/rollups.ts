// The rollups' invariant, checked against token_usage itself (migrations 0009 and 0013): every
// usage_hours, usage_days and usage_sessions row holds what summing its calls gives (and
// usage_sessions the first and last hour of them), and every group of calls has its row.
// Integers must be equal; costs within 1e-9 USD (floating-point sums in another order).
import Database from 'better-sqlite3';

const READABLE = "typeof(timestamp) = 'text' AND substr(timestamp, 11, 1) = 'T' AND unixepoch(timestamp) IS NOT NULL";
const SUMS = `count(*) AS api_calls, count(*) - count(cost_usd) AS unpriced_calls, sum(COALESCE(input_tokens, 0)) AS input_tokens,
  sum(COALESCE(output_tokens, 0)) AS output_tokens, sum(COALESCE(cache_creation_tokens, 0)) AS cache_creation_tokens,
  sum(COALESCE(cache_read_tokens, 0)) AS cache_read_tokens, COALESCE(sum(cost_usd), 0) AS cost_usd`;
const INTS = ['api_calls', 'unpriced_calls', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens'];

type Row = Record<string, number | string>;
/** usage_sessions' first and last hour of each session and model. */
const HOURS = ['first_hour', 'last_hour'];

function compare(what: string, want: Row[], got: Row[], key: (r: Row) => string): string[] {
  const problems: string[] = [];
  const byKey = new Map(got.map((r) => [key(r), r]));
  for (const w of want) {
    const g = byKey.get(key(w));
    byKey.delete(key(w));
    if (g === undefined) {
      problems.push(`${what} ${key(w)}: no row`);
      continue;
    }
    for (const c of [...INTS, ...HOURS]) if (c in w && g[c] !== w[c]) problems.push(`${what} ${key(w)} ${c}: ${g[c]} vs ${w[c]} in token_usage`);
    if (Math.abs(Number(g.cost_usd) - Number(w.cost_usd)) > 1e-9) problems.push(`${what} ${key(w)} cost_usd: ${g.cost_usd} vs ${w.cost_usd} in token_usage`);
  }
  for (const k of byKey.keys()) problems.push(`${what} ${k}: a row without calls`);
  return problems;
}

/** What differs between the rollups and token_usage (empty: none); also how many rows each has. */
export function rollupMismatches(file: string): { problems: string[]; hours: number; days: number; sessions: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const wantHours = db
      .prepare(`SELECT unixepoch(timestamp) / 3600 AS hour, session_id, COALESCE(model, 'unknown') AS model, ${SUMS}
        FROM token_usage WHERE ${READABLE} GROUP BY 1, 2, 3`)
      .all() as Row[];
    const wantDays = db
      .prepare(`SELECT unixepoch(timestamp) / 86400 AS day, COALESCE(model, 'unknown') AS model, ${SUMS} FROM token_usage WHERE ${READABLE} GROUP BY 1, 2`)
      .all() as Row[];
    const wantSessions = db
      .prepare(`SELECT session_id, COALESCE(model, 'unknown') AS model, min(unixepoch(timestamp) / 3600) AS first_hour, max(unixepoch(timestamp) / 3600) AS last_hour, ${SUMS}
        FROM token_usage WHERE ${READABLE} GROUP BY 1, 2`)
      .all() as Row[];
    const hours = db.prepare('SELECT * FROM usage_hours').all() as Row[];
    const sessions = db.prepare('SELECT * FROM usage_sessions').all() as Row[];
    const days = db.prepare('SELECT * FROM usage_days').all() as Row[];
    return {
      problems: [
        ...compare('usage_hours', wantHours, hours, (r) => `${r.hour}|${r.session_id}|${r.model}`),
        ...compare('usage_days', wantDays, days, (r) => `${r.day}|${r.model}`),
        ...compare('usage_sessions', wantSessions, sessions, (r) => `${r.session_id}|${r.model}`),
      ],
      hours: hours.length,
      days: days.length,
      sessions: sessions.length,
    };
  } finally {
    db.close();
  }
}
