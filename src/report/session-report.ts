// Report step, the session report: one row per session whose start (its end when it has none)
// falls in the range, with the whole session's figures from `sessions` and `session_models`, and
// Claude Code's own cost beside ours (crosscheck.ts). Pure function of a connection and options.
import type { ReadDb } from './read-db.js';
import { type Figures, type ModelFigures, type ReportOptions, type Row, figures, schemaVersion } from './queries.js';
import { localDateTimes } from './time.js';
import { withZone } from './zone.js';
import { crossCheck } from './crosscheck.js';

/**
 * A session's unpriced calls and models from 'unpriced:model,model,…', which its rows of
 * session_models give in one probe (none: null). The probe walks their key (session_id, model),
 * so the models come sorted: checked while they are cut out, sorted only when they are not (a
 * split, filter and sort per session took ~1.5 µs, 4,000 sessions ~6 ms).
 */
function perModel(text: string | null): { unpriced: number; models: string[] } {
  if (text === null) return { unpriced: 0, models: [] };
  const colon = text.indexOf(':');
  const models: string[] = [];
  let sorted = true;
  for (let at = colon + 1; at <= text.length; ) {
    let comma = text.indexOf(',', at);
    if (comma < 0) comma = text.length;
    if (comma > at) {
      const model = text.slice(at, comma);
      if (models.length > 0 && models[models.length - 1]! > model) sorted = false;
      models.push(model);
    }
    at = comma + 1;
  }
  return { unpriced: Number(text.slice(0, colon)), models: sorted ? models : models.sort() };
}

/** One row per session whose start (its end when it has none) falls in range; whole-session figures. */
export function sessionReport(db: ReadDb, o: ReportOptions, range: { fromMs: number | null; toMs: number | null; from: string; to: string }): { rows: Row[]; totals: Figures } {
  const params = { from: range.from, to: range.to };
  const inRange = `COALESCE(s.start_time, s.end_time) >= @from AND COALESCE(s.start_time, s.end_time) < @to`;
  const reportedSource = schemaVersion(db) >= 5 ? 's.reported_source' : 'NULL'; // the column came with schema 5
  // Rows as arrays (raw): 4,000 sessions of 23 columns built as objects cost twice as much.
  const rows = db
    .prepare(`SELECT s.session_id, s.cwd, s.start_time, s.end_time, s.end_reason, s.cost_complete,
        s.cost_source, s.reported_cost_usd, ${reportedSource} AS reported_source,
        CASE WHEN s.start_time IS NOT NULL AND s.end_time IS NOT NULL THEN round((julianday(s.end_time) - julianday(s.start_time)) * 86400, 3) END AS duration_seconds,
        COALESCE(s.api_calls, 0) AS api_calls,
        (SELECT sum(unpriced_calls) || ':' || group_concat(model) FROM session_models m WHERE m.session_id = s.session_id) AS per_model,
        COALESCE(s.input_tokens, 0) AS input_tokens, COALESCE(s.output_tokens, 0) AS output_tokens,
        COALESCE(s.cache_creation_tokens, 0) AS cache_creation_tokens, COALESCE(s.cache_read_tokens, 0) AS cache_read_tokens,
        COALESCE(s.input_tokens, 0) + COALESCE(s.output_tokens, 0) + COALESCE(s.cache_creation_tokens, 0) + COALESCE(s.cache_read_tokens, 0) AS total_tokens,
        COALESCE(s.total_cost_usd, 0) AS cost_usd,
        COALESCE(s.tool_calls, 0) AS tool_calls, COALESCE(s.commits, 0) AS commits,
        COALESCE(s.lines_added, 0) AS lines_added, COALESCE(s.lines_removed, 0) AS lines_removed
      FROM sessions s WHERE ${inRange}
      ORDER BY COALESCE(s.start_time, s.end_time), s.session_id`)
    .raw()
    .all(params) as unknown[][];
  // Local times in one stretch of the zone (withZone): switching $TZ per call costs ~30 µs.
  const out: Row[] = withZone(o.timeZone, () => {
    const localDateTime = localDateTimes();
    return rows.map((r) => {
      const startTime = r[2] ?? null;
      const endTime = r[3] ?? null;
      const start = (startTime ?? endTime) as string | null;
      const startMs = start === null ? NaN : Date.parse(start);
      const costComplete = r[5];
      const check = crossCheck({ cost_source: r[6], reported_cost_usd: r[7], reported_source: r[8], cost_usd: r[17] });
      const { unpriced, models } = perModel(r[11] as string | null);
      return {
        session_id: r[0],
        project: r[1] ?? null,
        start_time: startTime,
        end_time: endTime,
        local_start: Number.isNaN(startMs) ? null : localDateTime(startMs),
        duration_seconds: r[9] ?? null,
        end_reason: r[4] ?? null,
        cost_complete: costComplete === null || costComplete === undefined ? null : costComplete === 1,
        sessions: 1,
        api_calls: Number(r[10]),
        unpriced_calls: unpriced,
        input_tokens: Number(r[12]),
        output_tokens: Number(r[13]),
        cache_creation_tokens: Number(r[14]),
        cache_read_tokens: Number(r[15]),
        total_tokens: Number(r[16]),
        cost_usd: Number(r[17]),
        tool_calls: Number(r[18]),
        commits: Number(r[19]),
        lines_added: Number(r[20]),
        lines_removed: Number(r[21]),
        models,
        reported_cost_usd: check.reported_cost_usd,
        reported_source: check.reported_source,
        cost_differs: check.cost_differs,
      } as Row;
    });
  });
  if (o.breakdown) {
    const sub = db
      .prepare(`SELECT m.session_id, m.model, 1 AS sessions, m.api_calls, m.unpriced_calls, m.input_tokens, m.output_tokens,
          m.cache_creation_tokens, m.cache_read_tokens,
          m.input_tokens + m.output_tokens + m.cache_creation_tokens + m.cache_read_tokens AS total_tokens, m.cost_usd
        FROM session_models m JOIN sessions s ON s.session_id = m.session_id WHERE ${inRange}
        ORDER BY m.session_id, m.cost_usd DESC, m.model`)
      .all(params) as Array<Record<string, unknown>>;
    const bySession = new Map<unknown, ModelFigures[]>();
    for (const r of sub) {
      const list = bySession.get(r.session_id) ?? [];
      list.push({ model: String(r.model), ...figures(r) });
      bySession.set(r.session_id, list);
    }
    for (const row of out) row.breakdown = bySession.get(row.session_id) ?? [];
  }
  // Every session, unbounded: a scan (sessions_start's order would cost a lookup of each row).
  const t = db
    .prepare(`SELECT count(*) AS sessions, COALESCE(sum(s.api_calls), 0) AS api_calls,
        COALESCE(sum(s.input_tokens), 0) AS input_tokens, COALESCE(sum(s.output_tokens), 0) AS output_tokens,
        COALESCE(sum(s.cache_creation_tokens), 0) AS cache_creation_tokens, COALESCE(sum(s.cache_read_tokens), 0) AS cache_read_tokens,
        COALESCE(sum(COALESCE(s.input_tokens, 0) + COALESCE(s.output_tokens, 0) + COALESCE(s.cache_creation_tokens, 0) + COALESCE(s.cache_read_tokens, 0)), 0) AS total_tokens,
        COALESCE(sum(s.total_cost_usd), 0) AS cost_usd,
        COALESCE(sum(s.tool_calls), 0) AS tool_calls, COALESCE(sum(s.commits), 0) AS commits,
        COALESCE(sum(s.lines_added), 0) AS lines_added, COALESCE(sum(s.lines_removed), 0) AS lines_removed,
        COALESCE(sum(CASE WHEN s.start_time IS NOT NULL AND s.end_time IS NOT NULL THEN (julianday(s.end_time) - julianday(s.start_time)) * 86400 END), 0) AS duration_seconds
      FROM sessions s${range.fromMs === null && range.toMs === null ? ' NOT INDEXED' : ''} WHERE ${inRange}`)
    .get(params) as Record<string, unknown>;
  // The unpriced calls are whole numbers, summed from the rows (no second pass over session_models).
  let unpriced = 0;
  for (const row of out) unpriced += row.unpriced_calls;
  const totals = {
    ...figures({ ...t, unpriced_calls: unpriced }),
    tool_calls: Number(t.tool_calls),
    commits: Number(t.commits),
    lines_added: Number(t.lines_added),
    lines_removed: Number(t.lines_removed),
    duration_seconds: Math.round(Number(t.duration_seconds) * 1000) / 1000,
  };
  return { rows: out, totals };
}
