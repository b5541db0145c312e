// Report step, the blocks report's terminal table: one row per 5-hour block (local start and
// end, models, calls, tokens, cost, burn rate; time left and projection for the active block; the
// official five-hour and 7-day used % when the status line saw them), a totals row, footnotes.
// Pure: the report's JSON in, text out (table.ts draws and fits it).
import type { BlockRow } from './blocks-report.js';
import { type ReportBudget, budgetCell } from './budgets.js';
import type { Report } from './queries.js';
import { type Column, fmtCost, fmtDuration, fmtInt, renderTable } from './table.js';

const pct = (n: number | null): string => (n === null ? '' : `${Number.isInteger(n) ? n : n.toFixed(1)}%`);

export function formatBlocks(report: Report & { budget?: ReportBudget }, width: number | undefined): string {
  const range = `${report.since ?? 'first'} … ${report.until ?? 'last'}`;
  const budget = report.budget ? `; budget ${fmtCost(report.budget.usd)} per block` : '';
  const title = `claude-metrics blocks report (5-hour windows), ${range} (${report.timezone})${budget}\n\n`;
  const rows = report.rows as unknown as BlockRow[];
  if (rows.length === 0) return `${title}No data in this range.\n`;
  const limits = rows.some((r) => r.five_hour_used_pct !== null || r.seven_day_used_pct !== null);
  const active = rows.some((r) => r.active);
  const columns: Column[] = [
    { header: 'Start', align: 'left' },
    { header: 'End', align: 'left' },
    { header: 'Models', align: 'left', shrink: true },
    { header: 'Calls', align: 'right' },
    { header: 'Total tokens', align: 'right' },
    { header: 'Cost', align: 'right' },
    { header: 'Burn/h', align: 'right' },
    ...(active ? [{ header: 'Left', align: 'right' } as Column, { header: 'Projected', align: 'right' } as Column] : []),
    ...(limits ? [{ header: '5h limit', align: 'right' } as Column, { header: '7d limit', align: 'right' } as Column] : []),
  ];
  const cells = rows.map((r) => [
    r.local_start,
    // The end's date only when it is another local day than the start's.
    r.local_end.slice(0, 10) === r.local_start.slice(0, 10) ? r.local_end.slice(11) : r.local_end,
    r.models.map((m) => m.replace(/^claude-/, '')).join(', '),
    fmtInt(r.api_calls),
    fmtInt(r.total_tokens),
    `${fmtCost(r.cost_usd)}${r.unpriced_calls > 0 ? '*' : ''}`,
    fmtCost(r.burn_usd_per_hour),
    ...(active ? [r.ms_left === null ? '' : fmtDuration(r.ms_left / 1000), r.projected_cost_usd === null ? '' : fmtCost(r.projected_cost_usd)] : []),
    ...(limits ? [`${pct(r.five_hour_used_pct)}${r.limit_reached ? '!' : ''}`, pct(r.seven_day_used_pct)] : []),
  ]);
  const t = report.totals as Report['totals'] & { blocks: number };
  const totals = [
    `Total (${fmtInt(t.blocks)} block${t.blocks === 1 ? '' : 's'})`, '', '', fmtInt(t.api_calls), fmtInt(t.total_tokens), `${fmtCost(t.cost_usd)}${t.unpriced_calls > 0 ? '*' : ''}`, '',
    ...(active ? ['', ''] : []),
    ...(limits ? ['', ''] : []),
  ];
  if (report.budget) {
    // The share of the block budget each block spent, past it marked '!'.
    columns.push({ header: 'Budget', align: 'right' });
    cells.forEach((row, i) => row.push(budgetCell(report.rows[i]!)));
    totals.push('');
  }
  const notes: string[] = [];
  if (rows.some((r) => r.unpriced_calls > 0)) notes.push('* some calls are of a model without a known price: their cost is not included');
  if (active) notes.push('Projected: the active block\'s cost at its end if spending goes on at its burn rate (cost per hour since the block started)');
  if (limits) notes.push(`5h limit: the highest official five-hour use the status line saw in the block${rows.some((r) => r.limit_reached) ? ' (! = the limit was reached)' : ''}; 7d limit: the latest 7-day use`);
  return title + renderTable({ columns, rows: cells, totals, width }) + notes.map((n) => `${n}\n`).join('');
}
