// Tools: uses and error rate per tool name over the range (by the time of the line that used the
// tool), the top tools per day, and main agent against subagents. Needs schema 8.
import { useMemo } from 'preact/hooks';
import type { ToolsAnswer } from '../../../report/dashboard-types';
import { Chart, stackedDays } from '../chart';
import { Card, Kpi, Status, Table } from '../components';
import { allReady, useApi } from '../data';
import { fmtInt, fmtPct } from '../format';
import { type Range, rangeQuery } from '../range';

export function Tools({ range }: { range: Range }) {
  const api = useApi<ToolsAnswer>(`/api/tools?${rangeQuery(range)}`);
  const d = api.data;
  const spec = useMemo(() => (d && d.days.length > 0 ? stackedDays(d.days, d.series.map((s) => ({ label: s.name, values: s.uses })), fmtInt) : null), [d]);
  const total = d?.rows.reduce((a, r) => a + r.uses, 0) ?? 0;
  const errors = d?.rows.reduce((a, r) => a + r.errors, 0) ?? 0;
  const judged = d?.rows.reduce((a, r) => a + r.with_result, 0) ?? 0;
  return (
    <div class="view" data-view="tools" data-ready={String(allReady(api))}>
      <Status error={api.error} loading={!d && api.loading} />
      {d && !d.available && <p class="empty">This database records no tool names yet: run the worker once to upgrade it to schema 8.</p>}
      {d && d.available && (
        <>
          <div class="kpis">
            <Kpi name="tool-uses" raw={total} label="Tool uses" value={fmtInt(total)} />
            <Kpi name="tool-errors" raw={errors} label="Errors" value={fmtInt(errors)} sub={judged > 0 ? `${fmtPct((100 * errors) / judged, 1)} of those with a result` : undefined} />
            <Kpi name="tool-names" label="Tools used" value={fmtInt(d.rows.length)} />
            <Kpi name="tool-subagents" label="By subagents" value={fmtInt(d.by_agent.subagents)} sub={`${fmtInt(d.by_agent.main)} by the main agent`} />
          </div>
          <div class="grid">
            <Card title="Tool uses per day" wide>{spec ? <Chart spec={spec} label="Tool uses per day by tool" /> : <p class="empty">No tool uses in this range.</p>}</Card>
            <Card wide>
              <Table testid="tools" rowKey={(r) => r.name} rows={d.rows} columns={[
                { header: 'Tool', cell: (r) => r.name },
                { header: 'Uses', num: true, cell: (r) => fmtInt(r.uses) },
                { header: 'Errors', num: true, cell: (r) => fmtInt(r.errors) },
                { header: 'Error rate', num: true, cell: (r) => (r.with_result > 0 ? fmtPct((100 * r.errors) / r.with_result, 1) : '–') },
                { header: 'Sessions', num: true, cell: (r) => fmtInt(r.sessions) },
              ]} />
            </Card>
          </div>
          {d.undated > 0 && <p class="foot">{fmtInt(d.undated)} tool uses recorded before schema 8 have no time or name and are in no range (`claude-metrics import --drain` reads the transcripts still kept again).</p>}
        </>
      )}
    </div>
  );
}
