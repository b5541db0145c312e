// One status line from what this run gathered: the payload, the database's figures and the
// budgets are combined into the figures the fields show (exact where the database has the
// session, Claude Code's estimate marked as such where it has not), then rendered. Pure.
import type { Budgets } from '../shared/user-config.js';
import type { DbFigures } from './db-figures.js';
import { type LineFigures, type PeriodCost, fieldRank, fieldValues } from './fields.js';
import type { StatusPayload } from './payload.js';
import { renderLine } from './render.js';
import type { Template } from './template.js';

/**
 * The figures the fields read. The session's cost is exact when the worker has read its
 * transcripts (sessions.cost_source = 'transcript'); otherwise it is the payload's
 * cost.total_cost_usd (or the last one the worker recorded), an estimate, which is then also
 * added to the day's, week's, month's and block's sums (marked estimated) since they lack it.
 */
export function lineFigures(payload: StatusPayload | null, db: DbFigures, budgets: Budgets, problems: string[], now: Date): LineFigures {
  const row = db.session;
  let session: LineFigures['session'] = null;
  if (row !== null && row.cost_source === 'transcript') {
    session = { usd: row.total_cost_usd ?? 0, exact: true, complete: row.cost_complete !== 0 };
  } else {
    const estimate = payload?.costUsd ?? row?.reported_cost_usd ?? null;
    if (estimate !== null) session = { usd: estimate, exact: false, complete: true };
  }
  const missing = session !== null && !session.exact ? session.usd : 0;
  const withEstimate = (usd: number | null): PeriodCost | null => (usd === null ? null : { usd: usd + missing, estimated: missing > 0 });
  const b = db.block;
  return {
    payload,
    session,
    day: withEstimate(db.day),
    week: withEstimate(db.week),
    month: withEstimate(db.month),
    block:
      b === null
        ? null
        : {
            cost: withEstimate(b.cost_usd)!,
            msLeft: b.ms_left,
            burnUsdPerHour: b.burn_usd_per_hour,
            projectedUsd: b.projected_cost_usd + missing,
            fiveHourPct: b.five_hour_used_pct,
            fiveHourResetsAt: b.five_hour_resets_at === null ? null : Date.parse(b.five_hour_resets_at),
            sevenDayPct: b.seven_day_used_pct,
            limitReached: b.limit_reached,
          },
    budgets,
    problems,
    now,
  };
}

export function composeLine(
  template: Template,
  shown: Set<string>,
  figures: LineFigures,
  options: { width?: number; color: boolean },
): string {
  return renderLine(template, fieldValues(figures, shown), fieldRank, options);
}
