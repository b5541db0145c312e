// Pipeline: is everything flowing? The spool (waiting, processing, dead, the oldest wait), the
// worker, the database (size, schema, last hook payload and status line applied), the dead
// letters with their reasons, hook payloads per day by event, the latest ones with the time
// from the hook to the commit, and the push to a team database when this machine pushes (the
// changes not yet pushed, the last success, the last error). Over a team database: the machines
// pushing to it and the mirror. Refreshed every 2 s besides the live stream (the spool changes
// before the database does).
import { useMemo } from 'preact/hooks';
import type { LocalPipelineAnswer, PipelineAnswer, SyncInfo, TeamPipelineAnswer } from '../../../report/dashboard-types';
import { Chart, stackedDays } from '../chart';
import { Card, Kpi, Status, Table } from '../components';
import { allReady, useApi } from '../data';
import { fmtDuration, fmtInt, fmtTime } from '../format';
import { type Range, rangeQuery } from '../range';

function bytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

const plural = (n: number, one: string, many: string): string => `${fmtInt(n)} ${n === 1 ? one : many}`;
const delay = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : fmtDuration(ms / 1000));

export function Pipeline({ range }: { range: Range }) {
  const api = useApi<PipelineAnswer>(`/api/pipeline?${rangeQuery(range)}`, 2000);
  const d = api.data;
  return (
    <div class="view" data-view="pipeline" data-ready={String(allReady(api))}>
      <Status error={api.error} loading={!d && api.loading} />
      {d && d.mode === 'team' && <TeamPipeline d={d} range={range} />}
      {d && d.mode === 'local' && <LocalPipeline d={d} range={range} />}
    </div>
  );
}

/** Seconds as an age: "12s", "3m 04s", "2h 10m", days beyond two days. */
function age(seconds: number | null): string {
  if (seconds === null) return '–';
  return seconds >= 2 * 86_400 ? `${Math.floor(seconds / 86_400)} days` : fmtDuration(seconds);
}

function sinceIso(iso: string | null, nowIso: string): number | null {
  return iso === null ? null : Math.max(0, (Date.parse(nowIso) - Date.parse(iso)) / 1000);
}

/** This machine's push to the team database: the changes not yet pushed, the last success and error. */
function SyncCard({ sync, tz }: { sync: SyncInfo; tz: string }) {
  return (
    <Card title="Team database (push)" wide>
      <table class="facts" data-testid="sync">
        <tbody>
          <tr><th>Team database</th><td>{sync.target ? <><code>{sync.target}</code> as {sync.developer}@{sync.machine}</> : <><code>{sync.configured ?? '–'}</code> (set; never pushed)</>}</td></tr>
          <tr><th>Pusher</th><td>{sync.pusher_running ? `running (pid ${sync.pid})` : `not running${sync.pid ? ` (last: pid ${sync.pid})` : ''}: the worker with --postgres, or 'claude-metrics sync', pushes`}</td></tr>
          <tr><th>Not yet pushed</th><td data-testid="sync-lag" data-value={sync.lag_rows ?? undefined}>{sync.lag_rows === null ? '–' : sync.lag_rows === 0 ? 'nothing: up to date' : `${plural(sync.lag_rows, 'change', 'changes')}, the oldest ${age(sync.oldest_unpushed_age_seconds)} old`}</td></tr>
          <tr><th>Last push</th><td>{sync.last_success_at ? fmtTime(sync.last_success_at, tz, { seconds: true }) : 'never'} (cursor {fmtInt(sync.acked_seq)})</td></tr>
          {sync.last_error && <tr><th>Last error</th><td class="error" data-testid="sync-error">{sync.last_error_at ? `${fmtTime(sync.last_error_at, tz, { seconds: true })}: ` : ''}{sync.last_error}{sync.consecutive_failures > 1 ? ` (${sync.consecutive_failures} failures in a row)` : ''}</td></tr>}
          {sync.error && <tr><th>Cannot tell</th><td class="error">{sync.error}</td></tr>}
        </tbody>
      </table>
    </Card>
  );
}

/** The team database's pipeline: each machine pushing to it, and the mirror this dashboard reads. */
function TeamPipeline({ d, range }: { d: TeamPipelineAnswer; range: Range }) {
  const t = d.team;
  const lastPush = t.replicas.reduce<string | null>((a, r) => (r.last_push_at !== null && (a === null || r.last_push_at > a) ? r.last_push_at : a), null);
  return (
    <>
      <div class="kpis">
        <Kpi name="machines" raw={t.replicas.length} label="Machines pushing" value={fmtInt(t.replicas.length)} sub={`${fmtInt(new Set(t.replicas.map((r) => r.developer)).size)} developers`} />
        <Kpi name="last-push" label="Last push" value={lastPush ? fmtTime(lastPush, range.tz, { date: false, seconds: true }) : '–'} sub={lastPush ? `${age(sinceIso(lastPush, d.now))} ago` : undefined} />
        <Kpi name="last-pull" label="Last read" value={t.last_pull_at ? fmtTime(t.last_pull_at, range.tz, { date: false, seconds: true }) : '–'} sub={t.stale ? 'failing: figures are stale' : `every ${Math.round(t.interval_ms / 1000)} s`} />
        <Kpi name="mirror-calls" raw={d.mirror.api_calls} label="API calls mirrored" value={fmtInt(d.mirror.api_calls)} sub={`${fmtInt(d.mirror.sessions)} sessions, ${bytes(d.mirror.size_bytes)}`} />
      </div>
      {t.last_error && <p class="error" role="status" data-testid="pull-error">Last read failed{t.last_error_at ? ` at ${fmtTime(t.last_error_at, range.tz, { seconds: true })}` : ''}: {t.last_error}</p>}
      <div class="grid">
        <Card title="Machines pushing to the team database" wide>
          <Table testid="replicas" rowKey={(r) => r.replica_id} rows={t.replicas} columns={[
            { header: 'Developer', cell: (r) => r.developer },
            { header: 'Machine', cell: (r) => r.machine },
            { header: 'Last push', cell: (r) => (r.last_push_at ? `${fmtTime(r.last_push_at, range.tz, { seconds: true })} (${age(sinceIso(r.last_push_at, d.now))} ago)` : 'never') },
            { header: 'Cursor', num: true, cell: (r) => fmtInt(r.cursor) },
            { header: 'Rows pushed', num: true, cell: (r) => fmtInt(r.rows_applied) },
            { header: 'First push', cell: (r) => fmtTime(r.created_at, range.tz) },
            { header: 'Version', cell: (r) => r.client_version ?? '–' },
          ]} />
        </Card>
        <Card title="Mirror">
          <table class="facts">
            <tbody>
              <tr><th>Team database</th><td><code>{t.postgres}</code></td></tr>
              <tr><th>Only</th><td>{[t.developers.length ? `developers ${t.developers.join(', ')}` : '', t.machines.length ? `machines ${t.machines.join(', ')}` : ''].filter(Boolean).join(', ') || 'everyone'}</td></tr>
              <tr><th>Reads</th><td>{fmtInt(t.pulls)} ({fmtInt(t.rows_pulled)} rows), every {Math.round(t.interval_ms / 1000)} s</td></tr>
              <tr><th>Row version</th><td>{fmtInt(t.row_version)}</td></tr>
            </tbody>
          </table>
        </Card>
      </div>
    </>
  );
}

function LocalPipeline({ d, range }: { d: LocalPipelineAnswer; range: Range }) {
  const spec = useMemo(() => (d.events.length > 0 ? stackedDays(d.days, d.events.map((e) => ({ label: e.event, values: e.counts })), fmtInt) : null), [d]);
  const s = d.spool;
  return (
    <>
      <div class="kpis">
        <Kpi name="incoming" raw={s.incoming} label="Waiting" value={fmtInt(s.incoming)} sub={s.oldest_waiting ? `oldest ${fmtDuration(s.oldest_waiting.age_seconds)}` : 'nothing waits'} />
        <Kpi name="processing" raw={s.processing} label="Processing" value={fmtInt(s.processing)} />
        <Kpi name="dead" raw={s.dead} label="Dead letters" value={fmtInt(s.dead)} sub={s.dead > 0 ? "'claude-metrics dead list'" : undefined} />
        <Kpi name="worker" label="Worker" value={d.worker.running ? 'running' : 'not running'} sub={d.worker.running ? `pid ${d.worker.pid ?? '?'}${d.worker.since ? ` since ${fmtTime(d.worker.since, range.tz)}` : ''}` : "start one: 'claude-metrics worker'"} />
        <Kpi name="last-applied" label="Last hook payload" value={d.database.last_applied ? fmtTime(d.database.last_applied.applied_at, range.tz, { date: false, seconds: true }) : '–'} sub={d.database.last_applied ? `${d.database.last_applied.event}, ${fmtTime(d.database.last_applied.applied_at, range.tz)}` : undefined} />
      </div>
      {(s.waiting_too_long > 0 || s.dead > 0 || !d.worker.running || (d.sync?.problems.length ?? 0) > 0) && (
        <p class="error" role="status">
          {!d.worker.running && 'No worker is watching the spool: payloads wait until one runs. '}
          {s.waiting_too_long > 0 && `${plural(s.waiting_too_long, 'payload has', 'payloads have')} waited longer than ${s.max_wait_seconds}s. `}
          {s.dead > 0 && `${plural(s.dead, 'dead letter needs', 'dead letters need')} a look. `}
          {d.sync?.problems.map((p) => `${p.charAt(0).toUpperCase()}${p.slice(1)}. `)}
        </p>
      )}
      <div class="grid">
        {d.sync && <SyncCard sync={d.sync} tz={range.tz} />}
        <Card title="Hook payloads per day, by event" wide>{spec ? <Chart spec={spec} label="Hook payloads per day by event" height={200} /> : <p class="empty">No hook payloads in this range.</p>}</Card>
        <Card title="Dead letters (spool/dead)" wide>
          <Table testid="dead-letters" rowKey={(r) => r.id} rows={d.dead_letters} columns={[
            { header: 'Received', cell: (r) => fmtTime(r.received_at, range.tz, { seconds: true }) },
            { header: 'Reason', cell: (r) => <span class="reason">{r.reason ?? '(no reason file)'}</span> },
            { header: 'Payload', cell: (r) => r.payload ?? '(missing)' },
            { header: 'Id', cell: (r) => <code>{r.id}</code> },
          ]} />
        </Card>
        <Card title="Latest hook payloads">
          <Table testid="recent-payloads" rowKey={(r) => r.id} rows={d.recent} columns={[
            { header: 'Event', cell: (r) => r.event },
            { header: 'Received', cell: (r) => fmtTime(r.received_at, range.tz, { seconds: true }) },
            { header: 'Hook → commit', num: true, cell: (r) => delay(r.delay_ms) },
          ]} />
        </Card>
        <Card title="Database">
          <table class="facts">
            <tbody>
              <tr><th>File</th><td><code>{d.database.path}</code></td></tr>
              <tr><th>Size</th><td>{bytes(d.database.size_bytes)} (with its -wal)</td></tr>
              <tr><th>Schema</th><td>{d.database.schema_version ?? '–'}</td></tr>
              <tr><th>Sessions</th><td>{fmtInt(d.database.sessions)}</td></tr>
              <tr><th>Last status line</th><td>{d.database.last_statusline ? fmtTime(d.database.last_statusline.applied_at, range.tz, { seconds: true }) : '–'}</td></tr>
              <tr><th>Spool</th><td><code>{s.path}</code>{s.exists ? '' : ' (not created yet)'}</td></tr>
              <tr><th>Dead-letter history</th><td>{fmtInt(d.dead_history.length)} recorded, {fmtInt(d.dead_history.filter((h) => h.retried).length)} retried and applied</td></tr>
            </tbody>
          </table>
        </Card>
      </div>
    </>
  );
}
