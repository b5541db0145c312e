// The reports' terminal tables: the title (the days asked for, else the first and last days with
// data), one row per day, week, month, model, project or session with its per-model rows, the
// totals row, the footnotes; each column with the rank at which it is dropped to fit the width
// (docs/REPORTS.md, "Tables"). Model ids lose their 'claude-' prefix; JSON keeps them. Pure: the
// report's JSON in, text out (table.ts draws and fits it; blocks-table.ts draws blocks).
import type { Report, Row } from './queries.js';
import { type Column, fmtCost, fmtDuration, fmtInt, footnotes, renderTable, wrap } from './table.js';
import { CROSSCHECK_NOTE, reportedCell } from './crosscheck.js';
import { type ReportBudget, budgetCell } from './budgets.js';
import { formatBlocks } from './blocks-table.js';

/** Model ids without the 'claude-' every one of them starts with (tables only; JSON keeps the id). */
export const shortModel = (model: string): string => model.replace(/^claude-/, '');
const shortList = (models: string[]): string => models.map(shortModel).join(', ');

/**
 * The title: what, over which local days (those asked for, else the first and last with data),
 * in which zone; wrapped to the width.
 */
export function reportTitle(report: Report & { budget?: ReportBudget }, what: string, width: number | undefined): string {
  const from = report.since ?? report.first_day;
  const to = report.until ?? report.last_day;
  const range = from === null && to === null ? '' : `, ${from ?? '…'} … ${to ?? '…'}`;
  const zone = `${report.timezone}${report.start_of_week ? `, weeks start ${report.start_of_week}` : ''}`;
  const budget = report.budget ? `; budget ${fmtCost(report.budget.usd)} per ${report.budget.period}` : '';
  const t = report.team;
  const team = t
    ? `; team database ${t.postgres}${t.developers.length ? `, developers ${t.developers.join(', ')}` : ''}${t.machines.length ? `, machines ${t.machines.join(', ')}` : ''}`
    : '';
  return `${wrap(`claude-metrics ${what}${range} (${zone})${budget}${team}`, width)}\n\n`;
}

export const UNPRICED_NOTE = '* some calls are of a model without a known price: their cost is not included';

/**
 * Columns of the token figures. Dropped first to fit: cache write, cache read, input, output
 * (the total and the cost stay).
 */
const TOKEN_COLUMNS: Column[] = [
  { header: 'Input', align: 'right', drop: 3 },
  { header: 'Output', align: 'right', drop: 4 },
  { header: 'Cache write', align: 'right', drop: 1 },
  { header: 'Cache read', align: 'right', drop: 2 },
  { header: 'Total tokens', align: 'right' },
  { header: 'Cost', align: 'right' },
];

function tokenCells(r: Row | Report['totals']): string[] {
  return [
    fmtInt(r.input_tokens),
    fmtInt(r.output_tokens),
    fmtInt(r.cache_creation_tokens),
    fmtInt(r.cache_read_tokens),
    fmtInt(r.total_tokens),
    `${fmtCost(r.cost_usd)}${r.unpriced_calls > 0 ? '*' : ''}`,
  ];
}

/** The report as a table sized to `width` (COLUMNS, a terminal's columns) or unlimited when undefined. */
export function formatReport(report: Report & { budget?: ReportBudget }, width: number | undefined): string {
  if (report.report === 'blocks') return formatBlocks(report, width, reportTitle(report, 'blocks report (5-hour windows)', width));
  const title = reportTitle(report, `${report.report} report`, width);
  if (report.rows.length === 0) return `${title}No data in this range.\n`;
  const table = report.report === 'session' ? sessionTable(report) : usageTable(report);
  if (report.budget) {
    // The share of the period's budget spent, past it marked '!'.
    table.columns.push({ header: 'Budget', align: 'right' });
    table.rows.forEach((cells, i) => cells.push(budgetCell(report.rows[i]!)));
    table.totals.push('');
  }
  const notes: string[] = [];
  if (report.rows.some((r) => r.unpriced_calls > 0)) notes.push(UNPRICED_NOTE);
  if (report.rows.some((r) => r.cost_differs === true)) notes.push(CROSSCHECK_NOTE.trimEnd());
  return title + renderTable({ ...table, width }) + footnotes(notes, width);
}

interface Table {
  columns: Column[];
  rows: string[][];
  subRows: Map<number, string[][]>;
  totals: string[];
}

/**
 * One row per session. Dropped to fit, in this order: lines, commits, tools, duration, calls,
 * models (kept with --breakdown: its rows name their model there), Claude Code's reported cost;
 * then the project path is shortened, keeping its last folders.
 */
function sessionTable(report: Report): Table {
  const breakdown = report.rows.some((r) => r.breakdown !== undefined);
  const columns: Column[] = [
    { header: 'Start', align: 'left' },
    { header: 'Project', align: 'left', shrink: 'path' },
    { header: 'Models', align: 'left', shrink: 'end', ...(breakdown ? {} : { drop: 6 }) },
    { header: 'Duration', align: 'right', drop: 4 },
    { header: 'Calls', align: 'right', drop: 5 },
    { header: 'Tools', align: 'right', drop: 3 },
    { header: 'Commits', align: 'right', drop: 2 },
    { header: 'Lines +/-', align: 'right', drop: 1 },
    { header: 'Total tokens', align: 'right' },
    { header: 'Cost', align: 'right' },
  ];
  // Claude Code's own cost beside ours, where a status line reported one.
  const reported = report.rows.some((r) => r.reported_cost_usd !== null);
  if (reported) columns.push({ header: 'Reported', align: 'right', drop: 7 });
  const cells = (r: Record<string, unknown>, label: string, project: string, models: string): string[] => [
    label,
    project,
    models,
    fmtDuration((r.duration_seconds as number | null) ?? null),
    fmtInt(r.api_calls as number),
    r.tool_calls === undefined ? '' : fmtInt(r.tool_calls as number),
    r.commits === undefined ? '' : fmtInt(r.commits as number),
    r.lines_added === undefined ? '' : `+${fmtInt(r.lines_added as number)}/-${fmtInt(r.lines_removed as number)}`,
    fmtInt(r.total_tokens as number),
    `${fmtCost(r.cost_usd as number)}${(r.unpriced_calls as number) > 0 ? '*' : ''}`,
    ...(reported ? [reportedCell(r)] : []),
  ];
  const subRows = new Map<number, string[][]>();
  const rows = report.rows.map((r, i) => {
    if (r.breakdown) subRows.set(i, r.breakdown.map((m) => cells({ ...m, duration_seconds: null }, '', '', `  └ ${shortModel(m.model)}`)));
    return cells(r, (r.local_start as string | null) ?? '', (r.project as string | null) ?? '', shortList(r.models));
  });
  const totals = cells(report.totals as unknown as Record<string, unknown>, `Total (${fmtInt(report.totals.sessions)})`, '', '');
  return { columns, rows, subRows, totals };
}

/**
 * One row per day, week, month, model, project or developer. Dropped to fit, in this order: cache
 * write, cache read, input, output, calls, then (projects, developers) the models, then sessions,
 * then (developers) machines; then the text is shortened: a project path keeps its last folders, a
 * model, a developer or a list of models its start.
 */
/** The developer report's machines: a count on rows and totals, blank on per-model rows. */
function machinesCell(r: object): string {
  const n = (r as { machines?: unknown }).machines;
  return typeof n === 'number' ? fmtInt(n) : '';
}

function usageTable(report: Report): Table {
  const key = report.report === 'daily' ? 'date' : report.report === 'weekly' ? 'week' : report.report === 'monthly' ? 'month' : report.report;
  const header = ({ date: 'Date', week: 'Week of', month: 'Month', model: 'Model', project: 'Project', developer: 'Developer' } as Record<string, string>)[key] ?? key;
  const isModel = report.report === 'model';
  const isProject = report.report === 'project';
  const isDeveloper = report.report === 'developer';
  const breakdown = report.rows.some((r) => r.breakdown !== undefined);
  const columns: Column[] = [
    { header, align: 'left', ...(isProject ? { shrink: 'path' } : isModel || isDeveloper ? { shrink: 'end' } : {}) },
    ...(isModel ? [] : [{ header: 'Models', align: 'left', shrink: 'end', ...((isProject || isDeveloper) && !breakdown ? { drop: 6 } : {}) } as Column]),
    ...(isDeveloper ? [{ header: 'Machines', align: 'right', drop: 8 } as Column] : []),
    { header: 'Sessions', align: 'right', drop: 7 },
    { header: 'Calls', align: 'right', drop: 5 },
    ...TOKEN_COLUMNS,
  ];
  const cells = (label: string, models: string | null, r: Row | Report['totals']): string[] => [
    label,
    ...(isModel ? [] : [models ?? '']),
    ...(isDeveloper ? [machinesCell(r)] : []),
    fmtInt(r.sessions),
    fmtInt(r.api_calls),
    ...tokenCells(r),
  ];
  const subRows = new Map<number, string[][]>();
  const rows = report.rows.map((r, i) => {
    if (r.breakdown) subRows.set(i, r.breakdown.map((m) => cells('', `  └ ${shortModel(m.model)}`, m as unknown as Row)));
    return cells(isModel ? shortModel(String(r[key])) : String(r[key]), shortList(r.models), r);
  });
  return { columns, rows, subRows, totals: cells('Total', '', report.totals) };
}
