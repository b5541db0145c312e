// The dashboard's pipeline view: the spool (counts, oldest wait: spool-status.ts), the worker (its
// pid file, never its lock), the database (database-status.ts, on the dashboard's connection),
// the dead letters in dead/ with their reasons (dead-letters.ts) and the dead_letters table's
// history, hook payloads received per local day by event, the latest ones with their delay, and
// when this machine pushes to a team database, the push (gathered by the server as `status` does:
// src/sync/sync-status.ts). Read-only.
import type Database from 'better-sqlite3';
import { listDeadLetters } from '../shared/dead-letters.js';
import { spoolDirs } from '../shared/spool-layout.js';
import { gatherSpool } from '../shared/spool-status.js';
import { peekWorker } from '../shared/worker-lock.js';
import { databaseStatusOf } from './database-status.js';
import { type DashRange, daysBetween, localDay, rangeInfo } from './dashboard-range.js';
import type { LocalPipelineAnswer, SyncInfo } from './dashboard-types.js';
import { bucketSql, localDayStart, nextDay, offsetPeriods, rfc3339 } from './time.js';
import { hasTables } from './schema.js';

type Db = Database.Database;

/** `status`'s default: a payload waiting longer than this needs attention. */
const MAX_WAIT_SECONDS = 300;
const DAY_MS = 86_400_000;

/** An id bound for a time: ids start with the hook's 13-digit epoch ms, so they sort by time. */
const idAt = (ms: number): string => String(Math.max(0, Math.trunc(ms))).padStart(13, '0');

/** `sync`: the push to a team database as the server gathered it (src/sync/sync-status.ts), null when none is set or recorded. */
export function pipelineAnswer(db: Db, dbPath: string, spoolDir: string, range: DashRange, now: Date, sync: SyncInfo | null = null): LocalPipelineAnswer {
  const nowMs = now.getTime();
  const today = localDay(range.tz, nowMs);
  const { database } = databaseStatusOf(db, dbPath, {
    date: today,
    time_zone: range.tz,
    start: rfc3339(localDayStart(range.tz, today)),
    end: rfc3339(localDayStart(range.tz, nextDay(today))),
  });
  const dead = listDeadLetters(spoolDirs(spoolDir).dead)
    .reverse()
    .slice(0, 100)
    .map((d) => ({
      id: d.id,
      received_at: d.receivedAt.toISOString(),
      reason: d.error?.reason ?? d.error?.unreadable ?? null,
      dead_lettered_at: d.error?.dead_lettered_at ?? null,
      attempts: d.error?.attempts ?? null,
      payload: d.payload === null ? null : d.payload.kind === 'file' ? `${d.payload.size} bytes` : d.payload.kind,
    }));
  // dead_letters came with schema 4.
  const hasHistory = hasTables(db, 'dead_letters');
  const history = hasHistory
    ? (db
        .prepare(`SELECT d.id, d.reason, d.received_at, d.dead_lettered_at, EXISTS (SELECT 1 FROM payloads p WHERE p.id = d.id) AS retried
          FROM dead_letters d ORDER BY d.dead_lettered_at DESC LIMIT 50`)
        .all() as Array<Omit<LocalPipelineAnswer['dead_history'][number], 'retried'> & { retried: number }>).map((r) => ({ ...r, retried: r.retried === 1 }))
    : [];

  // Hook payloads by the hook's time (the id): a range on the ledger's primary key.
  const ids = { from: range.fromMs === null ? '0' : idAt(range.fromMs), to: range.toMs === null ? '9' : idAt(range.toMs) };
  const span = db.prepare(`SELECT min(received_at) AS lo, max(received_at) AS hi FROM payloads WHERE id >= @from AND id < @to AND event <> 'StatusLine'`).get(ids) as { lo: string | null; hi: string | null };
  let days: string[] = [];
  const events: LocalPipelineAnswer['events'] = [];
  if (span.lo !== null && span.hi !== null) {
    const lo = range.fromMs ?? Date.parse(span.lo) - DAY_MS;
    const hi = range.toMs ?? Date.parse(span.hi) + DAY_MS;
    const day = bucketSql('day', 'received_at', offsetPeriods(range.tz, lo, Math.max(lo, hi)));
    const rows = db
      .prepare(`SELECT ${day} AS day, event, count(*) AS n FROM payloads WHERE id >= @from AND id < @to AND event <> 'StatusLine' GROUP BY 1, 2`)
      .all(ids) as Array<{ day: string; event: string; n: number }>;
    days = daysBetween(range.from ?? localDay(range.tz, Date.parse(span.lo)), range.to ?? localDay(range.tz, Date.parse(span.hi)));
    const index = new Map(days.map((d, i) => [d, i]));
    const byEvent = new Map<string, number[]>();
    for (const r of rows) {
      const i = index.get(r.day);
      if (i === undefined) continue;
      if (!byEvent.has(r.event)) byEvent.set(r.event, new Array<number>(days.length).fill(0));
      byEvent.get(r.event)![i]! += r.n;
    }
    for (const [event, counts] of [...byEvent].sort((a, b) => a[0].localeCompare(b[0]))) events.push({ event, counts });
  }
  const recent = (db
    .prepare(`SELECT id, event, session_id, received_at, applied_at FROM payloads WHERE id NOT GLOB '*-statusline' ORDER BY id DESC LIMIT 20`)
    .all() as Array<Omit<LocalPipelineAnswer['recent'][number], 'delay_ms'>>).map((r) => ({ ...r, delay_ms: Date.parse(r.applied_at) - Date.parse(r.received_at) }));
  const { exists: _exists, error: _error, ...db_ } = database;
  return {
    mode: 'local',
    range: rangeInfo(range),
    now: rfc3339(nowMs),
    spool: gatherSpool(spoolDir, MAX_WAIT_SECONDS, nowMs),
    worker: peekWorker(spoolDir),
    database: db_,
    dead_letters: dead,
    dead_history: history,
    days,
    events,
    recent,
    sync,
  };
}
