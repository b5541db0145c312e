// The dashboard's team views, on a mirror of the team database (src/sync/mirror.ts: the local
// schema plus sessions.developer and machine): the developers over the range (the `report
// developer` rows through runReport, with each one's machines, last call and cost per day), and
// the pipeline of a team: the machines pushing (claude_metrics.replicas, as the mirror's puller
// last read them) and the mirror itself. Read-only, pure functions of a connection.
import type Database from 'better-sqlite3';
import { type DashRange, capabilitiesOf, daysBetween, localDay, rangeInfo, topDailySeries } from './dashboard-range.js';
import type { DeveloperRow, DevelopersAnswer, TeamInfo, TeamPipelineAnswer } from './dashboard-types.js';
import { runReport } from './queries.js';
import { bucketSql, offsetPeriods, rfc3339 } from './time.js';

type Db = Database.Database;

/** Developers drawn per day; the rest are summed as 'other'. */
const TOP_DEVELOPERS = 8;
const DAY_MS = 86_400_000;
const DEVELOPER = "COALESCE(s.developer, '(unknown)')";

export function developersAnswer(db: Db, range: DashRange): DevelopersAnswer {
  const empty: DevelopersAnswer = {
    range: rangeInfo(range),
    available: false,
    rows: [],
    totals: { sessions: 0, api_calls: 0, unpriced_calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0, total_tokens: 0, cost_usd: 0, machines: 0 },
    days: [],
    series: [],
  };
  if (!capabilitiesOf(db).team) return empty;
  const r = runReport(db, { kind: 'developer', timeZone: range.tz, since: range.from, until: range.to, breakdown: false, weekStart: 1 });
  const params = { from: range.fromIso, to: range.toIso };
  const extra = new Map(
    (db
      .prepare(`SELECT ${DEVELOPER} AS developer, group_concat(DISTINCT s.machine) AS machines, max(t.timestamp) AS last_call
        FROM token_usage t LEFT JOIN sessions s ON s.session_id = t.session_id
        WHERE t.timestamp >= @from AND t.timestamp < @to GROUP BY 1`)
      .all(params) as Array<{ developer: string; machines: string | null; last_call: string | null }>).map((e) => [e.developer, e]),
  );
  const rows: DeveloperRow[] = r.rows.map((row) => {
    const e = extra.get(String(row.developer));
    return {
      developer: String(row.developer),
      machines: String(e?.machines ?? '').split(',').filter((m) => m !== '').sort(),
      models: row.models,
      last_call: e?.last_call ?? null,
      sessions: row.sessions,
      api_calls: row.api_calls,
      unpriced_calls: row.unpriced_calls,
      input_tokens: row.input_tokens,
      output_tokens: row.output_tokens,
      cache_creation_tokens: row.cache_creation_tokens,
      cache_read_tokens: row.cache_read_tokens,
      total_tokens: row.total_tokens,
      cost_usd: row.cost_usd,
    };
  });
  const span = db.prepare('SELECT min(timestamp) AS lo, max(timestamp) AS hi FROM token_usage WHERE timestamp >= @from AND timestamp < @to').get(params) as { lo: string | null; hi: string | null };
  let days: string[] = [];
  const series: DevelopersAnswer['series'] = [];
  if (span.lo !== null && span.hi !== null) {
    const loMs = range.fromMs ?? Date.parse(span.lo) - DAY_MS;
    const hiMs = range.toMs ?? Date.parse(span.hi) + DAY_MS;
    const day = bucketSql('day', 't.timestamp', offsetPeriods(range.tz, loMs, Math.max(loMs, hiMs)));
    const perDay = db
      .prepare(`SELECT ${day} AS day, ${DEVELOPER} AS developer, total(t.cost_usd) AS cost
        FROM token_usage t LEFT JOIN sessions s ON s.session_id = t.session_id
        WHERE t.timestamp >= @from AND t.timestamp < @to GROUP BY 1, 2`)
      .all(params) as Array<{ day: string; developer: string; cost: number }>;
    days = daysBetween(range.from ?? localDay(range.tz, Date.parse(span.lo)), range.to ?? localDay(range.tz, Date.parse(span.hi)));
    const top = rows.slice(0, TOP_DEVELOPERS).map((row) => row.developer);
    for (const s of topDailySeries(days, top, rows.length > TOP_DEVELOPERS, perDay, (p) => p.developer, (p) => p.cost)) series.push({ developer: s.name, cost: s.values });
  }
  const t = r.totals as typeof r.totals & { machines?: number };
  return { ...empty, available: true, rows, totals: { ...r.totals, machines: t.machines ?? 0 }, days, series };
}

/** The team's pipeline: the machines pushing (as last read), the mirror's state and size. */
export function teamPipelineAnswer(db: Db, team: TeamInfo, range: DashRange, now: Date): TeamPipelineAnswer {
  const count = (sql: string): number => db.prepare(sql).pluck().get() as number;
  const pages = count('PRAGMA page_count') * count('PRAGMA page_size');
  return {
    mode: 'team',
    range: rangeInfo(range),
    now: rfc3339(now.getTime()),
    team,
    mirror: { sessions: count('SELECT count(*) FROM sessions'), api_calls: count('SELECT count(*) FROM token_usage'), size_bytes: pages },
  };
}
