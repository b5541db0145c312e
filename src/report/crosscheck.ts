// Report step, the session report's cross-check: Claude Code's own cost for a session (its newest
// status line snapshot, or an older-format payload's `cost`) beside ours from the transcripts,
// flagged past a cent (the first sign of a price table gone stale). Pure.
import { fmtCost } from './table.js';

/** Differences above this between Claude Code's reported cost and ours are flagged. */
export const COST_TOLERANCE_USD = 0.01;

export interface CrossCheck {
  reported_cost_usd: number | null;
  /** 'statusline' or 'payload' (null before schema 5 or without a reported cost). */
  reported_source: string | null;
  /** null unless there is a reported cost and ours comes from the transcripts. */
  cost_differs: boolean | null;
}

/** From a session row with cost_usd, cost_source, reported_cost_usd and reported_source. */
export function crossCheck(r: Record<string, unknown>): CrossCheck {
  const reported = typeof r.reported_cost_usd === 'number' ? r.reported_cost_usd : null;
  const ours = Number(r.cost_usd ?? 0);
  return {
    reported_cost_usd: reported,
    reported_source: reported === null ? null : ((r.reported_source as string | null) ?? null),
    cost_differs: reported === null || r.cost_source !== 'transcript' ? null : Math.abs(reported - ours) > COST_TOLERANCE_USD + 1e-9,
  };
}

/** The table's "Reported" cell: Claude Code's cost, marked ≠ when it differs from ours. */
export function reportedCell(r: Record<string, unknown>): string {
  if (typeof r.reported_cost_usd !== 'number') return '';
  return `${fmtCost(r.reported_cost_usd)}${r.cost_differs === true ? ' ≠' : ''}`;
}

export const CROSSCHECK_NOTE = `≠ Claude Code's own cost (status line) differs from ours by more than ${fmtCost(COST_TOLERANCE_USD)}: a price table gone stale, or calls Claude Code made outside the transcript\n`;
