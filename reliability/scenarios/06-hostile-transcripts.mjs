// Hostile transcripts: Stop payloads whose transcript_path is a FIFO, a device, a directory, a
// symlink loop, binary, one enormous line, a file rewritten or growing while the worker reads it.
// The worker must never hang (every drain is bounded by a timeout) nor crash, and the payload
// must apply; for the growing and rewritten files, a final Stop after the writer stops must give
// the same figures as a fresh import of the final file into another database.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, FIXTURES, event, ledger, readDb, spoolBytes, startWorker, tally, waitUntil } from '../lib.mjs';
import { drainBounded } from '../lib-input.mjs';

export const name = 'hostile-transcripts';
export const title = 'Hostile transcripts: FIFO, devices, loops, binary, huge line, rewritten, growing';

const FIXTURE_TRANSCRIPT = path.join(FIXTURES, 'projects', '-home-user-code-shop-api', 'f332c3dd-cf19-4fa4-8049-adee686fb5cd.jsonl');
const FIGURES = ['api_calls', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'total_cost_usd', 'tool_calls'];

// A child that writes the fixture's lines (with call ids made unique per round) into a file until
// a stop file appears. mode 'append': appends, each line in two writes; mode 'rewrite': truncates
// the file and writes a whole new version each round.
const WRITER = `
const fs = require('fs');
const [file, stopFile, mode, fixture] = process.argv.slice(1);
const lines = fs.readFileSync(fixture, 'utf8').split('\\n').filter(Boolean);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const version = (k) => lines.map((l) => l.replace(/"(msg_[^"]*|req_[^"]*|toolu_[^"]*)"/g, (m, id) => '"' + id + '-' + mode[0] + k + '"') + '\\n');
let k = 0;
for (;;) {
  k++;
  if (mode === 'append') {
    for (const l of version(k)) {
      const cut = 1 + Math.floor(Math.random() * (l.length - 1));
      fs.appendFileSync(file, l.slice(0, cut));
      sleep(Math.random() < 0.5 ? 1 : 0);
      fs.appendFileSync(file, l.slice(cut));
    }
  } else {
    const fd = fs.openSync(file, 'r+');
    fs.ftruncateSync(fd, 0);
    let pos = 0;
    for (const l of version(k)) { pos += fs.writeSync(fd, l, pos); sleep(Math.random() < 0.3 ? 1 : 0); }
    fs.closeSync(fd);
  }
  if (fs.existsSync(stopFile)) break;
  sleep(2);
}
process.stdout.write(String(k));
`;

function sessionFigures(db, sid) {
  return readDb(db, (d) => d.prepare(`SELECT ${FIGURES.join(', ')} FROM sessions WHERE session_id = ?`).get(sid), undefined);
}

/** A fresh database built by `claude-metrics import` from a copy of `file` alone. */
function freshImport(tmp, file, sid) {
  const dir = fs.mkdtempSync(path.join(tmp, 'fresh-'));
  const proj = path.join(dir, 'claude', 'projects', '-fresh');
  fs.mkdirSync(proj, { recursive: true });
  fs.copyFileSync(file, path.join(proj, `${sid}.jsonl`));
  const db = path.join(dir, 'fresh.db');
  const r = spawnSync(process.execPath, [CLI, 'import', '--claude-dir', path.join(dir, 'claude'), '--spool', path.join(dir, 'spool'), '--db', db, '--drain'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`fresh import failed: ${r.stderr}`);
  return sessionFigures(db, sid);
}

function compareFigures(a, b) {
  if (!a || !b) return `missing session row (${a ? 'fresh' : 'worker'})`;
  const diffs = FIGURES.filter((f) => (typeof a[f] === 'number' && typeof b[f] === 'number' ? Math.abs(a[f] - b[f]) > 1e-9 : a[f] !== b[f]));
  return diffs.length ? diffs.map((f) => `${f} ${a[f]} vs fresh ${b[f]}`).join(', ') : null;
}

export async function run(ctx) {
  const timeout = ctx.short ? 15_000 : 120_000;
  const rows = [];
  let n = 0;
  const caseDirs = () => {
    const dir = path.join(ctx.tmp, `case${++n}`);
    fs.mkdirSync(dir, { recursive: true });
    return { dir, spool: path.join(dir, 'spool'), db: path.join(dir, 'metrics.db'), sid: `hostile-${n}-${crypto.randomBytes(4).toString('hex')}` };
  };

  /** One Stop payload at `transcript` (made by `prepare`), one bounded drain, one row. */
  async function simple(label, prepare, after) {
    const t0 = Date.now();
    const c = caseDirs();
    const transcript = prepare(c);
    const id = spoolBytes(c.spool, event(c.sid, 'Stop', { transcript_path: transcript }));
    const d = await drainBounded(c.spool, c.db, [], timeout);
    const led = ledger(c.db);
    const t = tally([id], led);
    const notes = [`${label}: drain exit ${d.code}${d.signal ? `/${d.signal}` : ''} in ${d.seconds.toFixed(2)} s`];
    if (d.timedOut) notes.push(`HANG: drain killed after ${timeout / 1000} s`);
    else if (d.code !== 0) notes.push(`BUG: worker exited ${d.code}: ${d.stderr.trim().split('\n').slice(-2).join(' / ').slice(0, 400)}`);
    const figErr = /could not compute session figures[^\n]*/.exec(d.stderr)?.[0];
    if (figErr) notes.push(`logged: ${figErr.slice(0, 200)}`);
    if (t.lost) notes.push(`payload not applied (${fs.readdirSync(path.join(c.spool, 'incoming')).length} left in incoming/, ${fs.readdirSync(path.join(c.spool, 'dead')).length / 2} dead)`);
    let extra = { sent: 1, applied: t.applied, lost: t.lost };
    if (after) extra = await after(c, transcript, notes, extra);
    rows.push({ system: 'claude-metrics', sent: extra.sent, applied: extra.applied, deadLettered: 0, lost: extra.lost, duplicated: t.duplicated, seconds: (Date.now() - t0) / 1000, notes: notes.join('; ') });
  }

  await simple('FIFO nobody writes to', (c) => {
    const f = path.join(c.dir, `${c.sid}.jsonl`);
    spawnSync('mkfifo', [f]);
    return f;
  });
  await simple('/dev/zero', () => '/dev/zero');
  await simple('/dev/urandom', () => '/dev/urandom');
  await simple('a directory', (c) => {
    const f = path.join(c.dir, `${c.sid}.jsonl`);
    fs.mkdirSync(f);
    return f;
  });
  await simple('symlink loop', (c) => {
    const a = path.join(c.dir, `${c.sid}.jsonl`);
    const b = path.join(c.dir, 'b.jsonl');
    fs.symlinkSync(b, a);
    fs.symlinkSync(a, b);
    return a;
  });
  await simple('symlink to /dev/zero', (c) => {
    const f = path.join(c.dir, `${c.sid}.jsonl`);
    fs.symlinkSync('/dev/zero', f);
    return f;
  });
  await simple('binary file (5 MB random bytes)', (c) => {
    const f = path.join(c.dir, `${c.sid}.jsonl`);
    fs.writeFileSync(f, crypto.randomBytes(5 * 1024 * 1024));
    return f;
  });
  await simple('subagents/ holding a FIFO and a /dev/zero link', (c) => {
    const f = path.join(c.dir, `${c.sid}.jsonl`);
    fs.copyFileSync(FIXTURE_TRANSCRIPT, f);
    const sub = path.join(c.dir, c.sid, 'subagents');
    fs.mkdirSync(sub, { recursive: true });
    spawnSync('mkfifo', [path.join(sub, 'agent-fifo.jsonl')]);
    fs.symlinkSync('/dev/zero', path.join(sub, 'agent-zero.jsonl'));
    fs.mkdirSync(path.join(sub, 'agent-dir.jsonl'));
    return f;
  });
  await simple('path under a regular file (ENOTDIR)', (c) => {
    const file = path.join(c.dir, 'plain');
    fs.writeFileSync(file, 'x');
    return path.join(file, `${c.sid}.jsonl`);
  });
  await simple('path of 5,000 characters (ENAMETOOLONG)', (c) => path.join(c.dir, `${'n'.repeat(5000)}.jsonl`));
  await simple('the worker\'s own database file', (c) => c.db);

  const hugeMb = ctx.short ? 20 : 100;
  await simple(`${hugeMb} MB single line, no newline`, (c) => {
    const f = path.join(c.dir, `${c.sid}.jsonl`);
    const fd = fs.openSync(f, 'w');
    const mb = Buffer.alloc(1024 * 1024, 'x');
    fs.writeSync(fd, '{"type":"assistant","message":{"content":"');
    for (let i = 0; i < hugeMb; i++) fs.writeSync(fd, mb);
    fs.closeSync(fd);
    return f;
  }, async (c, transcript, notes, extra) => {
    // Then the line ends and real lines follow: the next Stop must count exactly those.
    fs.appendFileSync(transcript, `"}}\n${fs.readFileSync(FIXTURE_TRANSCRIPT, 'utf8')}`);
    const id2 = spoolBytes(c.spool, event(c.sid, 'Stop', { transcript_path: transcript }));
    const d2 = await drainBounded(c.spool, c.db, [], timeout);
    const t2 = tally([id2], ledger(c.db));
    notes.push(`after the line ended + real lines: drain exit ${d2.code}${d2.timedOut ? ' HANG' : ''} in ${d2.seconds.toFixed(2)} s`);
    const diff = compareFigures(sessionFigures(c.db, c.sid), freshImport(c.dir, transcript, c.sid));
    notes.push(diff ? `figures differ from a fresh import: ${diff}` : 'figures equal a fresh import');
    return { sent: extra.sent + 1, applied: extra.applied + t2.applied, lost: extra.lost + t2.lost };
  });

  // A writer child rewriting (or growing) the file while a watching worker handles Stops.
  async function concurrent(label, mode) {
    const t0 = Date.now();
    const c = caseDirs();
    const transcript = path.join(c.dir, `${c.sid}.jsonl`);
    fs.writeFileSync(transcript, '');
    const stopFile = path.join(c.dir, 'stop');
    const writer = spawn(process.execPath, ['-e', WRITER, transcript, stopFile, mode, FIXTURE_TRANSCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let rounds = '';
    let werr = '';
    writer.stdout.on('data', (d) => (rounds += d));
    writer.stderr.on('data', (d) => (werr += d));
    const writerDone = new Promise((res) => writer.on('close', (code) => res(code)));
    const notes = [];
    const worker = await startWorker(c.spool, c.db, ['--batch-size', '1', '--rescan-ms', '200']);
    const ids = [];
    const until = Date.now() + (ctx.short ? 4_000 : 20_000);
    while (Date.now() < until) {
      ids.push(spoolBytes(c.spool, event(c.sid, 'Stop', { transcript_path: transcript })));
      await new Promise((res) => setTimeout(res, 20));
    }
    fs.writeFileSync(stopFile, '');
    const wcode = await writerDone;
    ids.push(spoolBytes(c.spool, event(c.sid, 'Stop', { transcript_path: transcript })));
    const all = await waitUntil(() => tally(ids, ledger(c.db)).lost === 0, timeout, 100);
    if (!all) notes.push(`HANG?: ${tally(ids, ledger(c.db)).lost} Stops not applied within ${timeout / 1000} s`);
    const alive = worker.child.exitCode === null && worker.child.signalCode === null;
    worker.child.kill('SIGTERM');
    const wexit = await Promise.race([worker.exited, new Promise((res) => setTimeout(() => res({ code: 'timeout' }), 20_000).unref())]);
    if (wexit.code === 'timeout') worker.child.kill('SIGKILL');
    const t = tally(ids, ledger(c.db));
    const size = fs.statSync(transcript).size;
    notes.unshift(`${label}: ${ids.length} Stops during ${rounds || '?'} writer rounds (file ${(size / 1024).toFixed(0)} KiB), worker ${alive ? 'alive' : 'DIED'} then exit ${wexit.code}${wcode ? `, writer exit ${wcode} ${werr.slice(0, 200)}` : ''}`);
    if (!alive || wexit.code !== 0) notes.push(`BUG: worker crashed or did not stop cleanly: ${worker.stderr().slice(-400)}`);
    const figErr = /could not compute session figures[^\n]*/.exec(worker.stderr())?.[0];
    if (figErr) notes.push(`logged: ${figErr.slice(0, 200)}`);
    const mine = sessionFigures(c.db, c.sid);
    const fresh = freshImport(c.dir, transcript, c.sid);
    const diff = compareFigures(mine, fresh);
    notes.push(diff ? `final Stop figures DIFFER from a fresh import: ${diff}` : `final Stop figures equal a fresh import (api_calls ${mine.api_calls}, input_tokens ${mine.input_tokens}, cost ${mine.total_cost_usd?.toFixed(6)})`);
    rows.push({ system: 'claude-metrics', sent: ids.length, applied: t.applied, deadLettered: 0, lost: t.lost, duplicated: t.duplicated, seconds: (Date.now() - t0) / 1000, notes: notes.join('; ') });
  }
  await concurrent('truncated and rewritten while read', 'rewrite');
  await concurrent('growing while parsed', 'append');
  return rows;
}
