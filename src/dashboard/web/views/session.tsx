// One session: its figures beside Claude Code's own, its API calls over time (cost per call and
// the running cost; model, subagent and tokens in the table), models, tool uses by name with
// errors, context use over time from status line snapshots, and the hook events applied.
import { useMemo } from 'preact/hooks';
import type { SessionDetail } from '../../../report/dashboard-types';
import { Chart, isoSeconds, linesOverTime } from '../chart';
import { Card, Kpi, Link, Status, Table } from '../components';
import { allReady, useApi } from '../data';
import { fmtDuration, fmtInt, fmtPct, fmtTime, fmtTokens, fmtUsd, shortModel } from '../format';
import type { Range } from '../range';
import type { Loc } from '../router';

const SHOWN_CALLS = 200;

export function Session({ loc, range, id }: { loc: Loc; range: Range; id: string }) {
  const api = useApi<SessionDetail>(`/api/sessions/${encodeURIComponent(id)}`);
  const d = api.data;
  const calls = d?.calls;
  const callSpec = useMemo(() => {
    if (!calls || calls.t.length === 0) return null;
    let run = 0;
    const cumulative = calls.cost.map((c) => (run += c ?? 0));
    return linesOverTime(
      calls.t.map(isoSeconds),
      [
        { label: 'cost of the call', values: calls.cost, points: true },
        { label: 'running cost', values: cumulative, scale: 'y2' },
      ],
      range.tz,
      fmtUsd,
    );
  }, [calls, range.tz]);
  const ctx = d?.context;
  const contextSpec = useMemo(
    () => (ctx && ctx.t.length > 0 ? linesOverTime(ctx.t.map(isoSeconds), [{ label: 'context used %', values: ctx.used_pct }], range.tz, (v) => `${v}%`, undefined, [0, 100]) : null),
    [ctx, range.tz],
  );
  const rows = useMemo(() => {
    if (!calls) return [];
    const out = [];
    for (let i = calls.t.length - 1; i >= 0 && out.length < SHOWN_CALLS; i--) out.push(i);
    return out;
  }, [calls]);
  const s = d?.session;
  return (
    <div class="view" data-view="session" data-ready={String(allReady(api))}>
      <p class="crumbs"><Link loc={loc} to="/sessions">Sessions</Link> / <code>{id}</code></p>
      <Status error={api.error} loading={!d && api.loading} />
      {s && d && calls && (
        <>
          <h1 class="title">{s.cwd ?? '(unknown project)'}{s.branch && <span class="chip">{s.branch}</span>}</h1>
          <p class="sub">
            {fmtTime(s.start_time, range.tz, { seconds: true })} → {fmtTime(s.end_time, range.tz, { seconds: true })} ({fmtDuration(s.duration_seconds)})
            {s.end_reason && ` · ended: ${s.end_reason}`}
          </p>
          <div class="kpis">
            <Kpi name="session-cost" raw={s.cost_usd} label="Cost (ours)" value={fmtUsd(s.cost_usd)} sub={s.cost_complete === false ? 'some calls have no price' : 'list price of its calls'} />
            <Kpi name="session-reported" raw={s.reported_cost_usd} label="Claude Code's cost" value={fmtUsd(s.reported_cost_usd)} sub={s.cost_differs ? 'differs by more than a cent' : (s.reported_source ?? 'not reported')} />
            <Kpi name="session-calls" raw={s.api_calls} label="API calls" value={fmtInt(s.api_calls)} />
            <Kpi name="session-tokens" raw={s.total_tokens} label="Tokens" value={fmtTokens(s.total_tokens)} />
            <Kpi name="session-tools" label="Tool uses" value={fmtInt(s.tool_calls)} />
            <Kpi name="session-commits" label="Commits" value={fmtInt(s.commits)} sub={`+${fmtInt(s.lines_added)} / −${fmtInt(s.lines_removed)} lines`} />
          </div>
          <div class="grid">
            <Card title="API calls over time" wide>{callSpec ? <Chart spec={callSpec} label="Cost of each API call over time" /> : <p class="empty">No API calls recorded.</p>}</Card>
            <Card title="Models">
              <Table testid="session-models" rowKey={(r) => r.model} rows={d.models} columns={[
                { header: 'Model', cell: (r) => shortModel(r.model) },
                { header: 'Calls', num: true, cell: (r) => fmtInt(r.api_calls) },
                { header: 'Tokens', num: true, cell: (r) => fmtTokens(r.total_tokens) },
                { header: 'Cost', num: true, cell: (r) => `${fmtUsd(r.cost_usd)}${r.unpriced_calls > 0 ? '*' : ''}` },
              ]} />
            </Card>
            <Card title="Tool uses">
              {d.tools.by_name === null ? (
                <p class="empty">{fmtInt(d.tools.total)} tool uses (names and errors per tool come with schema 8).</p>
              ) : (
                <Table testid="session-tools" rowKey={(r) => r.name} rows={d.tools.by_name} columns={[
                  { header: 'Tool', cell: (r) => r.name },
                  { header: 'Uses', num: true, cell: (r) => fmtInt(r.uses) },
                  { header: 'Errors', num: true, cell: (r) => fmtInt(r.errors) },
                  { header: 'Error rate', num: true, cell: (r) => fmtPct(r.uses > 0 ? (100 * r.errors) / r.uses : null) },
                ]} />
              )}
            </Card>
            <Card title="Context use (status line)" wide>
              {contextSpec ? <Chart spec={contextSpec} label="Context window use over time" height={160} /> : <p class="empty">No status line snapshots for this session.</p>}
            </Card>
            <Card title={`API calls${calls.total > SHOWN_CALLS ? ` (latest ${SHOWN_CALLS} of ${fmtInt(calls.total)})` : ''}`} wide>
              <Table testid="session-calls" rowKey={(i) => String(i)} rows={rows} columns={[
                { header: 'Time', cell: (i) => fmtTime(calls.t[i], range.tz, { seconds: true }) },
                { header: 'Model', cell: (i) => shortModel(calls.model[i]!) },
                { header: 'Agent', cell: (i) => calls.agent[i] ?? 'main' },
                { header: 'Input', num: true, cell: (i) => fmtInt(calls.input[i]) },
                { header: 'Output', num: true, cell: (i) => fmtInt(calls.output[i]) },
                { header: 'Cache write', num: true, cell: (i) => fmtInt(calls.cache_write[i]) },
                { header: 'Cache read', num: true, cell: (i) => fmtInt(calls.cache_read[i]) },
                { header: 'Cost', num: true, cell: (i) => (calls.cost[i] === null ? 'no price' : fmtUsd(calls.cost[i])) },
              ]} />
            </Card>
            <Card title="Hook events" wide>
              <Table testid="session-events" rowKey={(e) => `${e.received_at}${e.event}`} rows={d.events} columns={[
                { header: 'Event', cell: (e) => e.event },
                { header: 'Received', cell: (e) => fmtTime(e.received_at, range.tz, { seconds: true }) },
                { header: 'Applied', cell: (e) => fmtTime(e.applied_at, range.tz, { seconds: true }) },
              ]} />
            </Card>
          </div>
        </>
      )}
    </div>
  );
}
