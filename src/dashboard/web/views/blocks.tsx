// Blocks and limits: the 5-hour blocks that start in the range (`report blocks`: cost, burn rate,
// the active one's time left and projection) and the official five-hour and 7-day use the status
// line reported, over time (from /api/now, which the overview reads too: two small answers).
import { useMemo } from 'preact/hooks';
import type { BlocksAnswer, NowAnswer } from '../../../report/dashboard-types';
import { Chart, isoSeconds, linesOverTime } from '../chart';
import { Card, Kpi, Status, Table } from '../components';
import { allReady, useApi } from '../data';
import { fmtDuration, fmtInt, fmtPct, fmtTime, fmtTokens, fmtUsd, fmtUsdAxis, shortModel } from '../format';
import { type Range, rangeQuery } from '../range';

/** The range asked for, in seconds (open sides: the data's). */
export function windowOf(d: { range: { from_utc: string | null; to_utc: string | null } }): [number | null, number | null] {
  return [d.range.from_utc ? isoSeconds(d.range.from_utc) : null, d.range.to_utc ? isoSeconds(d.range.to_utc) : null];
}

export function Blocks({ range }: { range: Range }) {
  const api = useApi<BlocksAnswer>(`/api/blocks?${rangeQuery(range)}`);
  const now = useApi<NowAnswer>(`/api/now?${rangeQuery(range)}`);
  const d = api.data;
  const limits = now.data?.limits;
  const costSpec = useMemo(
    () => (d && d.rows.length > 0 ? linesOverTime(d.rows.map((r) => isoSeconds(r.start)), [{ label: 'block cost', values: d.rows.map((r) => r.cost_usd), bars: true }], range.tz, fmtUsdAxis, undefined, undefined, windowOf(d)) : null),
    [d, range.tz],
  );
  const limitSpec = useMemo(
    () => (d && limits && limits.t.length > 0 ? linesOverTime(limits.t.map(isoSeconds), [{ label: '5-hour %', values: limits.five_hour }, { label: '7-day %', values: limits.seven_day }], range.tz, (v) => `${v}%`, undefined, [0, 100], windowOf(d)) : null),
    [d, limits, range.tz],
  );
  const active = d?.rows.find((r) => r.active);
  const rows = useMemo(() => (d ? [...d.rows].reverse() : []), [d]);
  return (
    <div class="view" data-view="blocks" data-ready={String(allReady(api, now))}>
      <Status error={api.error ?? now.error} loading={!d && api.loading} />
      {d && (
        <>
          <div class="kpis">
            <Kpi name="blocks" raw={d.totals.blocks} label="Blocks" value={fmtInt(d.totals.blocks)} />
            <Kpi name="blocks-cost" raw={d.totals.cost_usd} label="Cost" value={fmtUsd(d.totals.cost_usd)} sub={d.totals.blocks > 0 ? `${fmtUsd(d.totals.cost_usd / d.totals.blocks)} per block` : undefined} />
            <Kpi name="blocks-active" label="Active block" value={active ? fmtUsd(active.cost_usd) : 'none'} sub={active ? `${fmtDuration((active.ms_left ?? 0) / 1000)} left, → ${fmtUsd(active.projected_cost_usd)}` : undefined} />
            <Kpi name="blocks-limit" label="Highest 5-hour use" value={fmtPct(Math.max(...d.rows.map((r) => r.five_hour_used_pct ?? -1)) >= 0 ? Math.max(...d.rows.map((r) => r.five_hour_used_pct ?? -1)) : null)} sub={`${fmtInt(d.rows.filter((r) => r.limit_reached).length)} blocks reached the limit`} />
          </div>
          <div class="grid">
            <Card title="Cost per block" wide>{costSpec ? <Chart spec={costSpec} label="Cost of each 5-hour block" height={180} /> : <p class="empty">No blocks start in this range.</p>}</Card>
            <Card title="Official limits (status line)" wide>
              {limitSpec ? <Chart spec={limitSpec} label="Official limits over time" height={180} /> : <p class="empty">No rate limits reported in this range (the status line reports them on Pro and Max plans).</p>}
            </Card>
            <Card wide>
              <Table testid="blocks" rowKey={(r) => r.start} rows={rows} columns={[
                { header: 'Start', cell: (r) => <>{fmtTime(r.start, range.tz)}{r.active && <span class="chip">active</span>}</> },
                { header: 'Models', cell: (r) => r.models.map(shortModel).join(', ') },
                { header: 'Sessions', num: true, cell: (r) => fmtInt(r.sessions) },
                { header: 'Calls', num: true, cell: (r) => fmtInt(r.api_calls) },
                { header: 'Tokens', num: true, cell: (r) => fmtTokens(r.total_tokens) },
                { header: 'Cost', num: true, cell: (r) => fmtUsd(r.cost_usd) },
                { header: 'Burn', num: true, cell: (r) => `${fmtUsd(r.burn_usd_per_hour)}/h` },
                { header: '5h limit', num: true, cell: (r) => (r.five_hour_used_pct === null ? '–' : `${fmtPct(r.five_hour_used_pct)}${r.limit_reached ? '!' : ''}`) },
                { header: '7d limit', num: true, cell: (r) => fmtPct(r.seven_day_used_pct) },
              ]} />
            </Card>
          </div>
        </>
      )}
    </div>
  );
}
