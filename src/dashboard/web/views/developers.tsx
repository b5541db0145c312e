// Developers (a team database only, `dashboard --postgres`): who spends what over the range: the
// team's totals, cost per day stacked by developer, and one row per developer (the `report
// developer` rows) with their machines and last call; a developer links to their sessions.
import { useMemo } from 'preact/hooks';
import type { DevelopersAnswer } from '../../../report/dashboard-types';
import { Chart, stackedDays } from '../chart';
import { Card, CostBars, Kpi, Link, Status, Table, usageColumns } from '../components';
import { allReady, useApi } from '../data';
import { fmtInt, fmtTokens, fmtUsd, fmtUsdAxis } from '../format';
import { type Range, rangeQuery } from '../range';
import type { Loc } from '../router';

export function Developers({ loc, range }: { loc: Loc; range: Range }) {
  const api = useApi<DevelopersAnswer>(`/api/developers?${rangeQuery(range)}`);
  const d = api.data;
  const spec = useMemo(
    () => (d && d.series.length > 0 ? stackedDays(d.days, d.series.map((s) => ({ label: s.developer, values: s.cost })), fmtUsd, fmtUsdAxis) : null),
    [d],
  );
  const t = d?.totals;
  return (
    <div class="view" data-view="developers" data-ready={String(allReady(api))}>
      <Status error={api.error} loading={!d && api.loading} />
      {d && !d.available && <p class="empty">Developers are known only in a team database: run the dashboard with --postgres URL.</p>}
      {d && d.available && t && (
        <>
          <div class="kpis">
            <Kpi name="developers" raw={d.rows.length} label="Developers" value={fmtInt(d.rows.length)} sub={`${fmtInt(t.machines)} machines`} />
            <Kpi name="cost" raw={t.cost_usd} label="Cost" value={fmtUsd(t.cost_usd)} sub={d.rows.length > 0 ? `${fmtUsd(t.cost_usd / d.rows.length)} per developer` : undefined} />
            <Kpi name="calls" raw={t.api_calls} label="API calls" value={fmtInt(t.api_calls)} />
            <Kpi name="sessions" raw={t.sessions} label="Sessions" value={fmtInt(t.sessions)} />
            <Kpi name="tokens" raw={t.total_tokens} label="Tokens" value={fmtTokens(t.total_tokens)} />
          </div>
          <div class="grid">
            <Card title="Cost per day, by developer" wide>{spec ? <Chart spec={spec} label="Cost per day by developer" /> : <p class="empty">No calls in this range.</p>}</Card>
            <Card title="Cost by developer" wide>
              <CostBars rows={d.rows} limit={20} title={(r) => r.developer} label={(r) => r.developer} />
            </Card>
            <Card wide>
              <Table testid="developers" rowKey={(r) => r.developer} rows={d.rows} columns={[
                { header: 'Developer', cell: (r) => <Link loc={loc} to="/sessions" extra={{ developer: r.developer }}>{r.developer}</Link> },
                { header: 'Machines', cell: (r) => r.machines.join(', ') || '–' },
                ...usageColumns<DevelopersAnswer['rows'][number]>(range.tz),
              ]} />
            </Card>
          </div>
        </>
      )}
    </div>
  );
}
