// The page's building blocks: the navigation, the range and time-zone bar, cards, figures,
// tables (with sortable headers that change the URL), budget bars, links that keep the range,
// and the loading and error lines.
import type { ComponentChildren } from 'preact';
import { type Loc, hrefOf, navigate, sharedParams, withParams } from './router';
import { PRESETS, type Range, browserTimeZone } from './range';
import type { BudgetLevel } from '../../report/dashboard-types';
import { fmtInt, fmtTime, fmtTokens, fmtUsd, shortModel } from './format';

export const VIEWS: Array<[string, string]> = [
  ['/', 'Overview'],
  ['/developers', 'Developers'],
  ['/sessions', 'Sessions'],
  ['/projects', 'Projects'],
  ['/branches', 'Branches'],
  ['/models', 'Models'],
  ['/tools', 'Tools'],
  ['/blocks', 'Blocks & limits'],
  ['/pipeline', 'Pipeline'],
];

/** The views of this dashboard: Developers only over a team database. */
export function viewsOf(team: boolean): Array<[string, string]> {
  return team ? VIEWS : VIEWS.filter(([path]) => path !== '/developers');
}

/** A link to another view that keeps the range and time zone (and adds `extra`). */
export function Link({ loc, to, extra, children, cls }: { loc: Loc; to: string; extra?: Record<string, string>; children: ComponentChildren; cls?: string }) {
  const params = sharedParams(loc, extra);
  return (
    <a
      href={hrefOf(to, params)}
      class={cls}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(to, params);
      }}
    >
      {children}
    </a>
  );
}

export function Nav({ loc, live, team }: { loc: Loc; live: boolean; team: boolean }) {
  const active = (path: string): boolean => (path === '/' ? loc.path === '/' : loc.path === path || loc.path.startsWith(`${path}/`));
  return (
    <nav class="nav">
      <div class="brand">claude-metrics{team && <div class="brand-sub">team</div>}</div>
      {viewsOf(team).map(([path, label]) => (
        <Link loc={loc} to={path} cls={active(path) ? 'active' : ''}>
          {label}
        </Link>
      ))}
      <div class={`live ${live ? 'on' : 'off'}`} title={live ? (team ? 'live: updates as the machines push to the team database' : 'live: updates as the worker applies payloads') : 'reconnecting…'}>
        {live ? '● live' : '○ offline'}
      </div>
    </nav>
  );
}

let zones: string[] | null = null;
function timeZones(current: string): string[] {
  zones ??= ['UTC', ...Intl.supportedValuesOf('timeZone')];
  return zones.includes(current) ? zones : [current, ...zones];
}

export function RangeBar({ loc, range }: { loc: Loc; range: Range }) {
  const set = (changes: Record<string, string | null>): void => navigate(loc.path, withParams(loc, changes));
  return (
    <div class="rangebar">
      <select aria-label="Time range" value={range.preset} onChange={(e) => {
        const v = e.currentTarget.value;
        if (v === 'custom') set({ range: null, from: range.from ?? '', to: range.to ?? '' });
        else set({ range: v, from: null, to: null, page: null });
      }}>
        {PRESETS.map(([k, label]) => <option value={k}>{label}</option>)}
        <option value="custom">Custom…</option>
      </select>
      {range.preset === 'custom' && (
        <>
          {/* A from after the to (or a to before the from) takes the other along: the range stays a range. */}
          <input type="date" aria-label="From" value={range.from ?? ''} onChange={(e) => {
            const from = e.currentTarget.value;
            set({ from, page: null, ...(from && range.to && range.to < from ? { to: from } : {}) });
          }} />
          <span>to</span>
          <input type="date" aria-label="To" value={range.to ?? ''} onChange={(e) => {
            const to = e.currentTarget.value;
            set({ to, page: null, ...(to && range.from && range.from > to ? { from: to } : {}) });
          }} />
        </>
      )}
      <select aria-label="Time zone" value={range.tz} onChange={(e) => set({ tz: e.currentTarget.value === browserTimeZone() ? null : e.currentTarget.value })}>
        {timeZones(range.tz).map((z) => <option value={z}>{z}</option>)}
      </select>
    </div>
  );
}

export function Card({ title, children, wide, cls }: { title?: string; children: ComponentChildren; wide?: boolean; cls?: string }) {
  return (
    <section class={`card${wide ? ' wide' : ''}${cls ? ` ${cls}` : ''}`}>
      {title && <h2>{title}</h2>}
      {children}
    </section>
  );
}

/** A figure; `raw` (the unrounded number) is kept in data-value for tests and scripts. */
export function Kpi({ label, value, sub, name, raw }: { label: string; value: string; sub?: string; name: string; raw?: number | null }) {
  return (
    <div class="kpi">
      <div class="kpi-label">{label}</div>
      <div class="kpi-value" data-kpi={name} data-value={raw ?? undefined}>{value}</div>
      {sub && <div class="kpi-sub">{sub}</div>}
    </div>
  );
}

export function BudgetBar({ pct, level }: { pct: number | null; level: BudgetLevel | null }) {
  if (pct === null) return null;
  return (
    <div class={`budget ${level ?? 'ok'}`} title={`${pct}% of the budget`}>
      <div class="budget-fill" style={{ width: `${Math.min(pct, 100)}%` }} />
    </div>
  );
}

/** Horizontal cost bars for the first `limit` rows, scaled to the largest cost of all the rows. */
export function CostBars<R extends { cost_usd: number }>({ rows, limit, label, title }: { rows: R[]; limit: number; label: (row: R) => ComponentChildren; title: (row: R) => string }) {
  const max = Math.max(1e-9, ...rows.map((r) => r.cost_usd));
  return (
    <div class="hbars">
      {rows.slice(0, limit).map((r) => (
        <div class="hbar">
          <span class="hbar-label" title={title(r)}>{label(r)}</span>
          <span class="hbar-track"><span class="hbar-fill" style={{ width: `${(100 * r.cost_usd) / max}%` }} /></span>
          <span class="hbar-value">{fmtUsd(r.cost_usd)}</span>
        </div>
      ))}
    </div>
  );
}

export interface Column<R> {
  header: string;
  cell: (row: R) => ComponentChildren;
  num?: boolean;
  /** The server's sort key for this column, when it sorts. */
  sort?: string;
}

/** A group's usage over the range, as the branch and developer rows both carry it. */
export interface UsageRow {
  models: string[];
  sessions: number;
  api_calls: number;
  total_tokens: number;
  cost_usd: number;
  unpriced_calls: number;
  last_call: string | null;
}

/** The columns after a group's name: models, sessions, calls, tokens, cost (* when some calls had no price), last call. */
export function usageColumns<R extends UsageRow>(tz: string): Array<Column<R>> {
  return [
    { header: 'Models', cell: (r) => r.models.map(shortModel).join(', ') },
    { header: 'Sessions', num: true, cell: (r) => fmtInt(r.sessions) },
    { header: 'Calls', num: true, cell: (r) => fmtInt(r.api_calls) },
    { header: 'Tokens', num: true, cell: (r) => fmtTokens(r.total_tokens) },
    { header: 'Cost', num: true, cell: (r) => `${fmtUsd(r.cost_usd)}${r.unpriced_calls > 0 ? '*' : ''}` },
    { header: 'Last call', cell: (r) => fmtTime(r.last_call, tz) },
  ];
}

export function Table<R>({ columns, rows, loc, sort, dir, rowKey, testid }: {
  columns: Array<Column<R>>;
  rows: R[];
  loc?: Loc;
  sort?: string;
  dir?: 'asc' | 'desc';
  rowKey: (r: R) => string;
  testid?: string;
}) {
  const head = (c: Column<R>) => {
    if (!c.sort || !loc) return c.header;
    const activeSort = sort === c.sort;
    const next = activeSort && dir === 'desc' ? 'asc' : 'desc';
    const arrow = activeSort ? (dir === 'desc' ? ' ▼' : ' ▲') : '';
    return (
      <a href={hrefOf(loc.path, withParams(loc, { sort: c.sort, dir: next, page: null }))} onClick={(e) => {
        e.preventDefault();
        navigate(loc.path, withParams(loc, { sort: c.sort!, dir: next, page: null }));
      }}>{c.header}{arrow}</a>
    );
  };
  return (
    <div class="table-wrap">
      <table data-testid={testid}>
        <thead>
          <tr>{columns.map((c) => <th class={c.num ? 'num' : ''}>{head(c)}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>{columns.map((c) => <td class={c.num ? 'num' : ''}>{c.cell(r)}</td>)}</tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p class="empty">Nothing in this range.</p>}
    </div>
  );
}

export function Status({ error, loading }: { error: string | null; loading: boolean }) {
  if (error) return <p class="error" role="alert">Could not load: {error}</p>;
  if (loading) return <p class="loading">Loading…</p>;
  return null;
}
