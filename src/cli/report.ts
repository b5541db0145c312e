// `claude-metrics report daily|weekly|monthly|session|model|project|blocks`: arguments, opening the
// database read-only, and printing the report as a terminal table or JSON. The figures come
// from src/report/queries.ts, the tables from src/report/table.ts.
// Exit codes: 0 printed, 1 the database is missing or unreadable, 2 usage error.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { resolveDbPath } from '../shared/config.js';
import { UsageError, parseOptions } from './usage.js';
import { MIN_SCHEMA_VERSION, REPORT_KINDS, type Report, type ReportKind, type ReportOptions, type Row, runReport, schemaVersion } from '../report/queries.js';
import { type Column, fmtCost, fmtDuration, fmtInt, renderTable } from '../report/table.js';
import { checkTimeZone, parseDay, systemTimeZone } from '../report/time.js';
import { formatBlocks } from '../report/blocks-table.js';
import { CROSSCHECK_NOTE, reportedCell } from '../report/crosscheck.js';
import { REPORT_BUDGET_PERIOD, type ReportBudget, budgetCell, withBudget } from '../report/budgets.js';
import { type Budgets, InvalidConfigError, loadUserConfig, resolveConfigFile } from '../shared/user-config.js';

export const REPORT_HELP = `Usage: claude-metrics report <daily|weekly|monthly|session|model|project|blocks> [options]

Cost, tokens and sessions from the database, as a table (or JSON).

  daily, weekly, monthly   one row per local day, week (Monday first) or month
  session                  one row per session started in the range
  model                    one row per model
  project                  one row per project (the session's working folder)
  blocks                   one row per 5-hour usage window (starts in the range), with the
                           active one's time left and projected cost, and the official limits

  --since YYYY-MM-DD       first local day included (default: the first in the database)
  --until YYYY-MM-DD       last local day included (default: the last)
  --timezone ZONE          IANA zone for days, e.g. Europe/Paris or UTC (default: the system's, $TZ)
  --start-of-week DAY      weekly: monday (default) or sunday
  --breakdown              per-model rows under each row (JSON: a "breakdown" array)
  --json                   print JSON (fields: docs/REPORTS.md)
                           daily, weekly, monthly: the config file's day, week or month budget
                           ($CLAUDE_METRICS_CONFIG, else ~/.config/claude-metrics/config.json)
                           is shown beside each period (JSON: budget, budget_used_pct, budget_level)
  --db FILE                database (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --help, -h               show this help

Costs and tokens by day come from each API call's own time, so a session that runs past
midnight counts on both days. The database is opened read-only.
Exit codes: 0 done, 1 the database is missing or cannot be read, 2 usage error.
`;

export async function reportCommand(argv: string[]): Promise<number> {
  const opts = parse(argv);
  if (opts === 'help') {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  const budgets = reportBudgets(opts.kind);
  if (budgets === null) return 1;
  if (!fs.existsSync(opts.dbPath)) {
    process.stderr.write(`claude-metrics report: no database at ${opts.dbPath} (run the worker first, or pass --db FILE)\n`);
    return 1;
  }
  let db: Database.Database;
  try {
    db = new Database(opts.dbPath, { readonly: true, fileMustExist: true });
  } catch (err) {
    process.stderr.write(`claude-metrics report: cannot open ${opts.dbPath}: ${(err as Error).message}\n`);
    return 1;
  }
  let report: Report & { budget?: ReportBudget };
  try {
    const version = schemaVersion(db);
    if (version < MIN_SCHEMA_VERSION) {
      process.stderr.write(
        `claude-metrics report: ${opts.dbPath} has schema version ${version}; run 'claude-metrics worker --drain' once to upgrade it (the report opens the database read-only)\n`,
      );
      return 1;
    }
    report = withBudget(runReport(db, opts), budgets);
  } catch (err) {
    process.stderr.write(`claude-metrics report: ${(err as Error).message}\n`);
    return 1;
  } finally {
    db.close();
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(formatReport(report, process.stdout.isTTY ? process.stdout.columns : undefined));
  return 0;
}

/** The config file's budgets for a report by period; null (after saying why) when the file cannot be used. */
function reportBudgets(kind: ReportKind): Budgets | null {
  if (REPORT_BUDGET_PERIOD[kind] === undefined) return {};
  try {
    return loadUserConfig(resolveConfigFile()).budgets;
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err;
    process.stderr.write(`claude-metrics report: invalid config file ${err.message}\n`);
    return null;
  }
}

interface Parsed extends ReportOptions {
  json: boolean;
  dbPath: string;
}

function parse(argv: string[]): Parsed | 'help' {
  const { values, positionals } = parseOptions({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      timezone: { type: 'string' },
      'start-of-week': { type: 'string' },
      breakdown: { type: 'boolean' },
      json: { type: 'boolean' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      now: { type: 'string' }, // for tests: the time the blocks report takes as now (docs/REPORTS.md)
    },
  });
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError(`which report? one of ${REPORT_KINDS.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`one report at a time (got ${positionals.join(' ')})`);
  const kind = positionals[0] as ReportKind;
  if (!REPORT_KINDS.includes(kind)) throw new UsageError(`unknown report ${JSON.stringify(kind)}: one of ${REPORT_KINDS.join(', ')}`);
  const day = (flag: string, v: string | undefined): string | null => {
    if (v === undefined) return null;
    if (!parseDay(v)) throw new UsageError(`${flag} takes a date YYYY-MM-DD, not ${JSON.stringify(v)}`);
    return v;
  };
  const since = day('--since', values.since);
  const until = day('--until', values.until);
  if (since && until && since > until) throw new UsageError(`--since ${since} is after --until ${until}`);
  const timeZone = values.timezone === undefined ? systemTimeZone() : checkTimeZone(values.timezone);
  if (timeZone === null) throw new UsageError(`unknown time zone ${JSON.stringify(values.timezone)} (an IANA name such as Europe/Paris, or UTC)`);
  const sow = (values['start-of-week'] ?? 'monday').toLowerCase();
  if (sow !== 'monday' && sow !== 'sunday') throw new UsageError('--start-of-week must be monday or sunday');
  if (values['start-of-week'] !== undefined && kind !== 'weekly') throw new UsageError('--start-of-week applies to the weekly report only');
  if (values.breakdown && kind === 'model') throw new UsageError('--breakdown does not apply to the model report (its rows are models)');
  if (values.breakdown && kind === 'blocks') throw new UsageError('--breakdown does not apply to the blocks report (its rows list their models)');
  const now = values.now === undefined ? undefined : new Date(values.now);
  if (now !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(values.now!) || Number.isNaN(now.getTime()))) throw new UsageError(`--now takes an RFC 3339 time, not ${JSON.stringify(values.now)}`);
  return {
    kind,
    timeZone,
    since,
    until,
    breakdown: values.breakdown ?? false,
    weekStart: sow === 'sunday' ? 0 : 1,
    ...(now && { now }),
    json: values.json ?? false,
    dbPath: resolveDbPath(values.db),
  };
}

const TOKEN_COLUMNS: Column[] = [
  { header: 'Input', align: 'right' },
  { header: 'Output', align: 'right' },
  { header: 'Cache write', align: 'right' },
  { header: 'Cache read', align: 'right' },
  { header: 'Total tokens', align: 'right' },
  { header: 'Cost', align: 'right' },
];

/** Model ids without the 'claude-' every one of them starts with (tables only; JSON keeps the id). */
const short = (model: string): string => model.replace(/^claude-/, '');
const shortList = (models: string[]): string => models.map(short).join(', ');

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

/** The report as a table sized to `width` (a terminal's columns) or unlimited when undefined. */
export function formatReport(report: Report & { budget?: ReportBudget }, width: number | undefined): string {
  if (report.report === 'blocks') return formatBlocks(report, width);
  const range = `${report.since ?? 'first'} … ${report.until ?? 'last'}`;
  const budget = report.budget ? `; budget ${fmtCost(report.budget.usd)} per ${report.budget.period}` : '';
  const title = `claude-metrics ${report.report} report, ${range} (${report.timezone}${report.start_of_week ? `, weeks start ${report.start_of_week}` : ''})${budget}\n\n`;
  if (report.rows.length === 0) return `${title}No data in this range.\n`;
  let columns: Column[];
  let rows: string[][];
  let totals: string[];
  const subRows = new Map<number, string[][]>();
  if (report.report === 'session') {
    columns = [
      { header: 'Start', align: 'left' },
      { header: 'Project', align: 'left', shrink: true },
      { header: 'Models', align: 'left', shrink: true },
      { header: 'Duration', align: 'right' },
      { header: 'Calls', align: 'right' },
      { header: 'Tools', align: 'right' },
      { header: 'Commits', align: 'right' },
      { header: 'Lines +/-', align: 'right' },
      { header: 'Total tokens', align: 'right' },
      { header: 'Cost', align: 'right' },
    ];
    // Claude Code's own cost beside ours, where a status line reported one.
    const reported = report.rows.some((r) => r.reported_cost_usd !== null);
    if (reported) columns.push({ header: 'Reported', align: 'right' });
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
    rows = report.rows.map((r, i) => {
      if (r.breakdown) subRows.set(i, r.breakdown.map((m) => cells({ ...m, duration_seconds: null }, '', '', `  └ ${short(m.model)}`)));
      return cells(r, (r.local_start as string | null) ?? '', (r.project as string | null) ?? '', shortList(r.models));
    });
    const t = report.totals as unknown as Record<string, unknown>;
    totals = cells(t, `Total (${fmtInt(report.totals.sessions)})`, '', '');
  } else {
    const key = report.report === 'daily' ? 'date' : report.report === 'weekly' ? 'week' : report.report === 'monthly' ? 'month' : report.report;
    const header = { date: 'Date', week: 'Week of', month: 'Month', model: 'Model', project: 'Project' }[key] ?? key;
    const isModel = report.report === 'model';
    columns = [
      { header, align: 'left', shrink: report.report === 'project' || isModel },
      ...(isModel ? [] : [{ header: 'Models', align: 'left', shrink: true } as Column]),
      { header: 'Sessions', align: 'right' },
      { header: 'Calls', align: 'right' },
      ...TOKEN_COLUMNS,
    ];
    const cells = (label: string, models: string | null, r: Row | Report['totals'], sessions: boolean): string[] => [
      label,
      ...(isModel ? [] : [models ?? '']),
      sessions ? fmtInt(r.sessions) : '',
      fmtInt(r.api_calls),
      ...tokenCells(r),
    ];
    rows = report.rows.map((r, i) => {
      if (r.breakdown) subRows.set(i, r.breakdown.map((m) => cells('', `  └ ${short(m.model)}`, m as unknown as Row, true)));
      return cells(String(r[key]), shortList(r.models), r, true);
    });
    totals = cells('Total', '', report.totals, true);
  }
  if (report.budget) {
    // The share of the period's budget spent, past it marked '!'.
    columns.push({ header: 'Budget', align: 'right' });
    rows.forEach((cells, i) => cells.push(budgetCell(report.rows[i]!)));
    totals.push('');
  }
  let note = report.rows.some((r) => r.unpriced_calls > 0) ? '* some calls are of a model without a known price: their cost is not included\n' : '';
  if (report.rows.some((r) => r.cost_differs === true)) note += CROSSCHECK_NOTE;
  return title + renderTable({ columns, rows, subRows, totals, width }) + note;
}
