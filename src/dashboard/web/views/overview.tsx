// Overview: the range's totals, what is being spent now against the budgets (today, this week,
// this month, the active 5-hour block), cost per day stacked by model, tokens by kind per day,
// the official limits over time, and the top projects and sessions. Three API answers.
import { useMemo } from 'preact/hooks';
import type { NowAnswer, OverviewAnswer, TopAnswer } from '../../../report/dashboard-types';
import { Chart, isoSeconds, linesOverTime, stackedDays } from '../chart';
import { BudgetBar, Card, Kpi, Link, Status, Table } from '../components';
import { allReady, useApi } from '../data';
import { fmtDuration, fmtInt, fmtPct, fmtTime, fmtTokens, fmtUsd, fmtUsdAxis, shortModel, shortProject } from '../format';
import { type Range, rangeQuery } from '../range';
import type { Loc } from '../router';
import { windowOf } from './blocks';
import { sessionColumns } from './sessions';

const PERIOD_LABEL = { day: 'Today', week: 'This week', month: 'This month' } as const;

export function Overview({ loc, range }: { loc: Loc; range: Range }) {
  const q = rangeQuery(range);
  const ov = useApi<OverviewAnswer>(`/api/overview?${q}`);
  const now = useApi<NowAnswer>(`/api/now?${q}`);
  const tops = useApi<TopAnswer>(`/api/top?${q}`);
  const o = ov.data;
  const costSpec = useMemo(
    () => o && stackedDays(o.days, o.models.map((m, i) => ({ label: shortModel(m), values: o.cost_by_model[i]! })), fmtUsd, fmtUsdAxis),
    [o],
  );
  const tokenSpec = useMemo(
    () =>
      o &&
      stackedDays(
        o.days,
        [
          { label: 'cache read', values: o.tokens.cache_read },
          { label: 'cache write', values: o.tokens.cache_write },
          { label: 'input', values: o.tokens.input },
          { label: 'output', values: o.tokens.output },
        ],
        fmtTokens,
      ),
    [o],
  );
  const n = now.data;
  const limitSpec = useMemo(
    () =>
      n && n.limits.t.length > 0
        ? linesOverTime(n.limits.t.map(isoSeconds), [{ label: '5-hour %', values: n.limits.five_hour }, { label: '7-day %', values: n.limits.seven_day }], range.tz, (v) => `${v}%`, undefined, [0, 100], o ? windowOf(o) : undefined)
        : null,
    [n, o, range.tz],
  );
  const ready = allReady(ov, now, tops);
  const t = o?.totals;
  return (
    <div class="view" data-view="overview" data-ready={String(ready)}>
      <Status error={ov.error ?? now.error ?? tops.error} loading={!o && ov.loading} />
      {t && (
        <div class="kpis">
          <Kpi name="cost" raw={t.cost_usd} label="Cost" value={fmtUsd(t.cost_usd)} sub={t.unpriced_calls > 0 ? `${fmtInt(t.unpriced_calls)} calls without a price` : 'list price'} />
          <Kpi name="calls" raw={t.api_calls} label="API calls" value={fmtInt(t.api_calls)} />
          <Kpi name="sessions" raw={t.sessions} label="Sessions" value={fmtInt(t.sessions)} />
          <Kpi name="tokens" raw={t.total_tokens} label="Tokens" value={fmtTokens(t.total_tokens)} sub={`${fmtTokens(t.output_tokens)} output`} />
          <Kpi name="cache" raw={t.cache_hit_ratio} label="Cache hit ratio" value={t.cache_hit_ratio === null ? '–' : fmtPct(t.cache_hit_ratio * 100, 1)} sub="cache reads ÷ input" />
        </div>
      )}
      {n && (
        <div class="kpis now">
          {n.periods.map((p) => (
            <div class={`kpi period ${p.level ?? ''}`}>
              <div class="kpi-label">{PERIOD_LABEL[p.period]}</div>
              <div class="kpi-value" data-kpi={`spent-${p.period}`}>{fmtUsd(p.cost_usd)}</div>
              <div class="kpi-sub">{p.budget_usd === null ? `${fmtInt(p.api_calls)} calls` : `of ${fmtUsd(p.budget_usd)} (${fmtPct(p.used_pct)})`}</div>
              <BudgetBar pct={p.used_pct} level={p.level} />
            </div>
          ))}
          <div class={`kpi period block ${n.block?.level ?? ''}`}>
            <div class="kpi-label">5-hour block</div>
            {n.block ? (
              <>
                <div class="kpi-value" data-kpi="block">{fmtUsd(n.block.cost_usd)}</div>
                <div class="kpi-sub">
                  {fmtDuration(n.block.ms_left / 1000)} left · {fmtUsd(n.block.burn_usd_per_hour)}/h → {fmtUsd(n.block.projected_cost_usd)}
                  {n.block.five_hour_used_pct !== null && ` · limit ${fmtPct(n.block.five_hour_used_pct)}`}
                </div>
                <BudgetBar pct={n.block.used_pct} level={n.block.level} />
              </>
            ) : (
              <div class="kpi-value muted" data-kpi="block">none active</div>
            )}
          </div>
        </div>
      )}
      {n?.config.error && <p class="error">Budgets not shown: {n.config.error}</p>}
      <div class="grid">
        <Card title="Cost per day, by model" wide>{costSpec ? <Chart spec={costSpec} label="Cost per day by model" /> : <div class="chart-placeholder" />}</Card>
        <Card title="Tokens per day, by kind" wide>{tokenSpec ? <Chart spec={tokenSpec} label="Tokens per day by kind" /> : <div class="chart-placeholder" />}</Card>
        <Card title="Official limits (status line)" wide>
          {limitSpec ? <Chart spec={limitSpec} label="Official limits over time" height={180} /> : <p class="empty">No rate limits reported in this range (the status line reports them on Pro and Max plans).</p>}
        </Card>
        <Card title="Top projects">
          {tops.data && (
            <Table
              testid="top-projects"
              rowKey={(r) => r.project}
              rows={tops.data.projects}
              columns={[
                { header: 'Project', cell: (r) => <Link loc={loc} to="/sessions" extra={{ project: r.project }}>{shortProject(r.project)}</Link> },
                { header: 'Sessions', num: true, cell: (r) => fmtInt(r.sessions) },
                { header: 'Calls', num: true, cell: (r) => fmtInt(r.api_calls) },
                { header: 'Cost', num: true, cell: (r) => fmtUsd(r.cost_usd) },
              ]}
            />
          )}
        </Card>
        <Card title="Top sessions">
          {tops.data && (
            <Table
              testid="top-sessions"
              rowKey={(r) => r.session_id}
              rows={tops.data.sessions}
              columns={sessionColumns(loc, range.tz).filter((c) => ['Start', 'Project', 'Calls', 'Cost'].includes(c.header))}
            />
          )}
        </Card>
      </div>
      {n && <p class="foot">As of {fmtTime(n.now, range.tz, { seconds: true })} ({range.tz}).</p>}
    </div>
  );
}
