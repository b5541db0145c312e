// Terminal tables for `claude-metrics report`: columns aligned (numbers right, text left), a
// rule under the header and above the totals row, and, when a width is given (COLUMNS or the
// terminal's), fitted to it: first the columns of least value are dropped, in the order each
// report gives (docs/REPORTS.md, "Tables"), then text is shortened from the side that does not
// tell rows apart (a path keeps its end, a list of models its start), never a number. Also the
// number formats and word wrapping for titles and notes. Pure: rows in, text out.

export interface Column {
  header: string;
  align: 'left' | 'right';
  /**
   * How the column's text may be shortened to fit: 'end' cuts the end ('opus-4-5, sonn…'),
   * 'path' keeps the last folders ('…/code/shop-api'). Numbers have none: never cut.
   */
  shrink?: 'end' | 'path';
  /** Dropped to fit the width, lowest first, before any text is shortened; unset: kept. */
  drop?: number;
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
/** A shortened column keeps at least this many characters (or its header's). */
const MIN_SHRUNK = 8;

/** The display width of a string (code points; the tables hold no wide characters we emit ourselves). */
function len(s: string): number {
  return [...s].length;
}

/** Cuts the end: 'abcdef' in 4 → 'abc…'. */
export function truncate(s: string, width: number): string {
  if (len(s) <= width) return s;
  if (width <= 1) return '…'.slice(0, width);
  return `${[...s].slice(0, width - 1).join('')}…`;
}

/** Keeps the end: 'abcdef' in 4 → '…def'. */
function truncateStart(s: string, width: number): string {
  const cs = [...s];
  if (cs.length <= width) return s;
  if (width <= 1) return '…'.slice(0, width);
  return `…${cs.slice(cs.length - width + 1).join('')}`;
}

/**
 * A path in `width` characters, keeping its end: as many whole last folders as fit after '…/'
 * ('/home/me/code/shop-api' in 16 → '…/code/shop-api'), else the end of the last one.
 */
export function shortenPath(p: string, width: number): string {
  if (len(p) <= width) return p;
  const parts = p.split('/');
  let tail = parts.pop()!;
  if (len(tail) + 2 > width) return truncateStart(tail, width);
  while (parts.length > 0 && len(`…/${parts.at(-1)}/${tail}`) <= width) tail = `${parts.pop()}/${tail}`;
  return `…/${tail}`;
}

/**
 * Paths shortened to `width` and still told apart: where two keep the same last folders, the
 * folder where they part is shown before them ('…/work/…/api', '…/play/…/api') when it fits.
 */
function shortenPaths(paths: string[], width: number): Map<string, string> {
  const out = new Map(paths.map((p) => [p, shortenPath(p, width)]));
  const byShort = new Map<string, string[]>();
  for (const [p, s] of out) byShort.set(s, [...(byShort.get(s) ?? []), p]);
  for (const [short, same] of byShort) {
    if (same.length < 2 || new Set(same).size < 2) continue;
    const kept = short.startsWith('…/') ? short.slice(2) : short;
    for (const p of same) {
      const head = p.slice(0, p.length - kept.length - 1).split('/');
      // The last folder before the kept end in which this path differs from the others.
      const differs = head.findLastIndex((seg, i) => same.some((q) => q !== p && q.slice(0, q.length - kept.length - 1).split('/')[i] !== seg));
      const candidate = differs < 0 ? short : `…/${head[differs]}/…/${kept}`;
      if (len(candidate) <= width) out.set(p, candidate);
    }
  }
  return out;
}

export function renderTable(t: TableInput): string {
  let columns = t.columns.map((c, i) => ({ ...c, i }));
  const cellsOf = (r: string[]): string[] => columns.map((c) => r[c.i] ?? '');
  const allRows = (): string[][] => {
    const all: string[][] = [columns.map((c) => c.header), ...t.rows.map(cellsOf)];
    for (const subs of t.subRows?.values() ?? []) all.push(...subs.map(cellsOf));
    if (t.totals) all.push(cellsOf(t.totals));
    return all;
  };
  const natural = (): number[] => columns.map((_, j) => Math.max(...allRows().map((r) => len(r[j]!))));
  const total = (w: number[]): number => w.reduce((a, b) => a + b, 0) + GAP.length * (w.length - 1);
  let widths = natural();
  if (t.width !== undefined) {
    // Drop the columns of least value until the table fits or none is left to drop.
    while (total(widths) > t.width) {
      const droppable = columns.filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!);
      if (droppable.length === 0) break;
      columns = columns.filter((c) => c !== droppable[0]);
      widths = natural();
    }
    // Then shorten text, the widest shrinkable column first, so two wide columns share the cut.
    for (;;) {
      const over = total(widths) - t.width;
      if (over <= 0) break;
      let widest = -1;
      columns.forEach((c, j) => {
        const min = Math.max(MIN_SHRUNK, len(c.header));
        if (c.shrink && widths[j]! > min && (widest < 0 || widths[j]! > widths[widest]!)) widest = j;
      });
      if (widest < 0) break; // nothing left to cut: the terminal wraps the rest
      widths[widest] = Math.max(Math.max(MIN_SHRUNK, len(columns[widest]!.header)), widths[widest]! - over);
    }
  }
  const paths = columns.map((c, j) => (c.shrink === 'path' && t.width !== undefined ? shortenPaths(allRows().map((r) => r[j]!), widths[j]!) : null));
  const line = (cells: string[]): string =>
    cells
      .map((cell, j) => {
        const w = widths[j]!;
        const c = paths[j]?.get(cell) ?? truncate(cell, w);
        return columns[j]!.align === 'right' ? c.padStart(w) : c.padEnd(w);
      })
      .join(GAP)
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join(GAP);
  const out = [line(columns.map((c) => c.header)), rule];
  t.rows.forEach((r, i) => {
    out.push(line(cellsOf(r)));
    for (const sub of t.subRows?.get(i) ?? []) out.push(line(cellsOf(sub)));
  });
  if (t.totals) out.push(rule, line(cellsOf(t.totals)));
  return `${out.join('\n')}\n`;
}

/** Text wrapped at spaces to `width` (undefined: as it is); a word longer than the width is cut. */
export function wrap(text: string, width: number | undefined): string {
  if (width === undefined) return text;
  return text
    .split('\n')
    .map((para) => {
      const lines: string[] = [];
      let cur = '';
      for (const word of para.split(' ')) {
        const next = cur === '' ? word : `${cur} ${word}`;
        if (len(next) <= width) cur = next;
        else {
          if (cur !== '') lines.push(cur);
          cur = len(word) <= width ? word : truncate(word, width);
        }
      }
      lines.push(cur);
      return lines.join('\n');
    })
    .join('\n');
}

/** Footnotes, one per line, each wrapped to the width. */
export function footnotes(lines: string[], width: number | undefined): string {
  return lines.map((n) => `${wrap(n, width)}\n`).join('');
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
