// Pipeline: is everything flowing? The spool (waiting, processing, dead, the oldest wait), the
// worker, the database (size, schema, last hook payload and status line applied), the dead
// letters with their reasons, hook payloads per day by event, and the latest ones with the time
// from the hook to the commit. Refreshed every 2 s besides the live stream (the spool changes
// before the database does).
import { useMemo } from 'preact/hooks';
import type { PipelineAnswer } from '../../../report/dashboard-types';
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
  const spec = useMemo(() => (d && d.events.length > 0 ? stackedDays(d.days, d.events.map((e) => ({ label: e.event, values: e.counts })), fmtInt) : null), [d]);
  const s = d?.spool;
  return (
    <div class="view" data-view="pipeline" data-ready={String(allReady(api))}>
      <Status error={api.error} loading={!d && api.loading} />
      {d && s && (
        <>
          <div class="kpis">
            <Kpi name="incoming" raw={s.incoming} label="Waiting" value={fmtInt(s.incoming)} sub={s.oldest_waiting ? `oldest ${fmtDuration(s.oldest_waiting.age_seconds)}` : 'nothing waits'} />
            <Kpi name="processing" raw={s.processing} label="Processing" value={fmtInt(s.processing)} />
            <Kpi name="dead" raw={s.dead} label="Dead letters" value={fmtInt(s.dead)} sub={s.dead > 0 ? "'claude-metrics dead list'" : undefined} />
            <Kpi name="worker" label="Worker" value={d.worker.running ? 'running' : 'not running'} sub={d.worker.running ? `pid ${d.worker.pid ?? '?'}${d.worker.since ? ` since ${fmtTime(d.worker.since, range.tz)}` : ''}` : "start one: 'claude-metrics worker'"} />
            <Kpi name="last-applied" label="Last hook payload" value={d.database.last_applied ? fmtTime(d.database.last_applied.applied_at, range.tz, { date: false, seconds: true }) : '–'} sub={d.database.last_applied ? `${d.database.last_applied.event}, ${fmtTime(d.database.last_applied.applied_at, range.tz)}` : undefined} />
          </div>
          {(s.waiting_too_long > 0 || s.dead > 0 || !d.worker.running) && (
            <p class="error" role="status">
              {!d.worker.running && 'No worker is watching the spool: payloads wait until one runs. '}
              {s.waiting_too_long > 0 && `${plural(s.waiting_too_long, 'payload has', 'payloads have')} waited longer than ${s.max_wait_seconds}s. `}
              {s.dead > 0 && `${plural(s.dead, 'dead letter needs', 'dead letters need')} a look.`}
            </p>
          )}
          <div class="grid">
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
      )}
    </div>
  );
}
