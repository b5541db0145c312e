// How figures read on the page: dollars (cents, or four decimals under a dollar), counts with
// separators, tokens in k/M, durations, percentages, and times in the chosen time zone. Pure.

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtUsd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : abs === 0 ? 2 : 4;
  return `$${v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** Short dollars for an axis: $0.25, $3.50, $120. */
export function fmtUsdAxis(v: number): string {
  return `$${Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2)}`;
}

export function fmtInt(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : int.format(v);
}

export function fmtTokens(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${(v / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(v / 1e6).toFixed(abs >= 1e8 ? 0 : 1)}M`;
  if (abs >= 1e4) return `${(v / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`;
  return int.format(v);
}

export function fmtPct(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined ? '–' : `${v.toFixed(digits)}%`;
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(s / 3600);
  return `${h}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function dtf(tz: string, withDate: boolean, withSeconds: boolean): Intl.DateTimeFormat {
  const key = `${tz}|${withDate}|${withSeconds}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}),
      hour: '2-digit',
      minute: '2-digit',
      ...(withSeconds ? { second: '2-digit' } : {}),
    });
    formats.set(key, f);
  }
  return f;
}

/** 'YYYY-MM-DD HH:MM' in the time zone. */
export function fmtTime(iso: string | null | undefined, tz: string, opts: { date?: boolean; seconds?: boolean } = {}): string {
  if (!iso) return '–';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return dtf(tz, opts.date ?? true, opts.seconds ?? false).format(ms).replace(',', '');
}

/** The last part of a path (what tells projects apart), with the folder before it when short. */
export function shortProject(p: string | null): string {
  if (!p) return '(unknown)';
  const parts = p.split('/').filter(Boolean);
  return parts.slice(-2).join('/') || p;
}

export const shortModel = (m: string): string => m.replace(/^claude-/, '');
