// Terminal tables for `claude-metrics report`: columns aligned (numbers right, text left), a
// rule under the header and above the totals row, and, when a width is given (a terminal's),
// the widest shrinkable text column truncated with '…' until the table fits. Pure: rows in,
// text out.

export interface Column {
  header: string;
  align: 'left' | 'right';
  /** May be cut to fit the width (text columns such as project or models). */
  shrink?: boolean;
}

export interface TableInput {
  columns: Column[];
  rows: string[][];
  /** Rows drawn indented under the row before them (per-model breakdown), keyed by that row's index. */
  subRows?: Map<number, string[][]>;
  totals?: string[];
  /** Characters available; undefined = no limit (output piped to a file or program). */
  width?: number;
}

const GAP = '  ';
const MIN_SHRUNK = 8;

/** The display width of a string (code points; the tables hold no wide characters we emit ourselves). */
function len(s: string): number {
  return [...s].length;
}

export function truncate(s: string, width: number): string {
  if (len(s) <= width) return s;
  if (width <= 1) return '…'.slice(0, width);
  return `${[...s].slice(0, width - 1).join('')}…`;
}

export function renderTable(t: TableInput): string {
  const all: string[][] = [t.columns.map((c) => c.header), ...t.rows];
  for (const subs of t.subRows?.values() ?? []) all.push(...subs);
  if (t.totals) all.push(t.totals);
  const widths = t.columns.map((_, i) => Math.max(...all.map((r) => len(r[i] ?? ''))));
  if (t.width !== undefined) {
    const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
    // Shrink the widest shrinkable column one step at a time, so two wide columns share the cut.
    for (;;) {
      if (total() <= t.width) break;
      let widest = -1;
      t.columns.forEach((c, i) => {
        if (c.shrink && widths[i]! > MIN_SHRUNK && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      });
      if (widest < 0) break; // nothing left to cut: the terminal wraps the rest
      widths[widest] = Math.max(MIN_SHRUNK, widths[widest]! - (total() - t.width));
    }
  }
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => {
        const w = widths[i]!;
        const c = truncate(cell, w);
        return t.columns[i]!.align === 'right' ? c.padStart(w) : c.padEnd(w);
      })
      .join(GAP)
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join(GAP);
  const out = [line(t.columns.map((c) => c.header)), rule];
  t.rows.forEach((r, i) => {
    out.push(line(r));
    for (const sub of t.subRows?.get(i) ?? []) out.push(line(sub));
  });
  if (t.totals) out.push(rule, line(t.totals));
  return `${out.join('\n')}\n`;
}

/** A whole number with thousands separators ('1,234,567'); by hand, as Intl's first use costs ~15 ms. */
export function fmtInt(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtCost(n: number): string {
  return `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2)}`;
}

export function fmtPercent(ratio: number | null): string {
  return ratio === null ? '' : `${(ratio * 100).toFixed(1)}%`;
}

/** Seconds as '1h 02m', '12m 05s', '42s'. */
export function fmtDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
