// Disk full, for real: tiny tmpfs mounts filled to ENOSPC with a filler file.
// (a) the database's filesystem is full: the worker must retry (SQLITE_FULL), dead-letter nothing,
//     and apply everything once space is freed;
// (b) the spool's filesystem is full for the hook: exit 0, one stderr line, nothing half-written;
// (c) the spool's filesystem is full for the worker (dead-letter writes fail with ENOSPC):
//     nothing lost, the broken payloads dead-lettered once space returns.
// Needs root (mount); otherwise each row says it could not run and why.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as lib from '../lib.mjs';
import { pool } from '../lib-load.mjs';

export const name = 'disk-full';
export const title = 'disk full (tmpfs filled to ENOSPC)';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function mountTmpfs(dir, size) {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error) return `mount: ${r.error.message}`;
  if (r.status !== 0) return `mount -t tmpfs exited ${r.status}: ${(r.stderr || r.stdout).trim()}`;
  return null;
}

function unmount(dir) {
  let r = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (r.status !== 0) r = spawnSync('umount', ['-l', dir], { encoding: 'utf8' });
  return r.status === 0;
}

/** Appends to `file` until the filesystem says ENOSPC; returns the bytes written. */
function fill(file) {
  const fd = fs.openSync(file, 'a');
  let total = 0;
  try {
    for (const size of [1 << 20, 1 << 16, 4096, 512, 1]) {
      const buf = Buffer.alloc(size, 0x78);
      for (;;) {
        try {
          const n = fs.writeSync(fd, buf);
          total += n;
          if (n < size) break;
        } catch (err) {
          if (err.code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

const freeBytes = (dir) => {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
};

async function stopWorker(w) {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  let timer;
  const r = await Promise.race([w.exited, new Promise((res) => (timer = setTimeout(() => res(null), 15_000)))]);
  clearTimeout(timer);
  if (r) return r;
  w.child.kill('SIGKILL');
  await w.exited;
  return { code: null, signal: 'SIGKILL (did not stop on SIGTERM within 15 s)' };
}

const errorLines = (stderr) => stderr.split('\n').filter((l) => / (error|fatal) /.test(l));

function row(sent, applied, deadLettered, lost, duplicated, t0, notes) {
  return { system: 'claude-metrics', sent, applied, deadLettered, lost, duplicated, seconds: (Date.now() - t0) / 1000, notes };
}

// (a) The database cannot grow.
async function databaseFull(ctx) {
  const t0 = Date.now();
  const fsDir = path.join(ctx.tmp, 'dbfs');
  const mountError = mountTmpfs(fsDir, '8m');
  if (mountError) return row(0, 0, 0, 0, 0, t0, `(a) database full: could not run here: ${mountError}`);
  const spool = path.join(ctx.tmp, 'spool-a');
  const db = path.join(fsDir, 'metrics.db');
  const n = ctx.short ? 200 : 1000;
  const holdMs = ctx.short ? 2500 : 8000;
  let w;
  try {
    w = await lib.startWorker(spool, db);
    const warm = [];
    for (let i = 0; i < 20; i++) warm.push(lib.spoolBytes(spool, lib.event(`full-a-warm-${i}`, 'SessionStart')));
    await lib.waitUntil(() => lib.tally(warm, lib.ledger(db)).lost === 0, 20_000);
    const filled = fill(path.join(fsDir, 'filler'));
    const freeAfterFill = freeBytes(fsDir);
    const sent = [];
    for (let i = 0; i < n; i++) sent.push(lib.spoolBytes(spool, lib.event(`full-a-${i}`, i % 2 ? 'SessionEnd' : 'Stop', { reason: 'exit', padding: 'p'.repeat(200) })));
    await sleep(holdMs);
    const duringFull = lib.tally(sent, lib.ledger(db)).applied;
    const stderrFull = w.stderr();
    const fullRetries = (stderrFull.match(/batch will be retried.*(SQLITE_FULL|full)/g) ?? []).length;
    const deadDuringFull = lib.files(path.join(spool, 'dead')).length;
    const aliveDuringFull = w.child.exitCode === null;
    fs.rmSync(path.join(fsDir, 'filler'));
    const freedAt = Date.now();
    await lib.waitUntil(() => lib.tally(sent, lib.ledger(db)).lost === 0, 30_000, 50);
    const caughtUp = (Date.now() - freedAt) / 1000;
    const exit = await stopWorker(w);
    const { applied, lost, duplicated } = lib.tally(sent, lib.ledger(db));
    const dead = lib.files(path.join(spool, 'dead')).length;
    const integrity = lib.readDb(db, (d) => d.pragma('integrity_check', { simple: true }), 'no db');
    const problems = [];
    if (!aliveDuringFull) problems.push(`worker exited while the disk was full: ${errorLines(w.stderr()).join(' / ')}`);
    if (fullRetries === 0) problems.push('no SQLITE_FULL retry logged (the full disk was never hit?)');
    if (exit.code !== 0) problems.push(`worker exited ${exit.code}/${exit.signal}`);
    if (dead) problems.push(`${dead} files dead-lettered`);
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
    if (errorLines(w.stderr()).length) problems.push(`worker logged: ${errorLines(w.stderr()).slice(0, 2).join(' / ')}`);
    const firstRetry = stderrFull.split('\n').find((l) => /batch will be retried/.test(l));
    return row(
      n,
      applied,
      0,
      lost + dead,
      duplicated,
      t0,
      `(a) database full, real: DB on an 8 MiB tmpfs filled to ENOSPC (${(filled / 1024).toFixed(0)} KiB filler, ${freeAfterFill} B left) under a watching worker; ` +
        `${n} payloads spooled (spool on the normal disk); for ${holdMs / 1000} s: ${duringFull} applied while full, ` +
        `${fullRetries} batch retries logged naming SQLITE_FULL (e.g. "${(firstRetry ?? '').replace(/^\S+ /, '').slice(0, 140)}"), ${deadDuringFull} dead-lettered, worker ${aliveDuringFull ? 'still running' : 'EXITED'}; ` +
        `filler deleted: all applied ${caughtUp.toFixed(1)} s later; integrity_check ${integrity}` +
        (problems.length ? `. PROBLEMS: ${problems.join(' | ')}` : ''),
    );
  } finally {
    if (w) await stopWorker(w);
    if (!unmount(fsDir)) ctx.log(`WARNING: could not unmount ${fsDir}`);
  }
}

// (b) The spool's filesystem is full when the hook runs.
async function hookSpoolFull(ctx) {
  const t0 = Date.now();
  const fsDir = path.join(ctx.tmp, 'spoolfs-b');
  const mountError = mountTmpfs(fsDir, '1m');
  if (mountError) return row(0, 0, 0, 0, 0, t0, `(b) hook, spool full: could not run here: ${mountError}`);
  const spool = path.join(fsDir, 'spool');
  const db = path.join(ctx.tmp, 'metrics-b.db');
  const counts = ctx.short ? [6, 15, 6] : [20, 60, 20];
  let w;
  try {
    w = await lib.startWorker(spool, db);
    const filler = path.join(fsDir, 'filler');
    const results = [];
    let k = 0;
    const hooks = async (count, phase, parallel) => {
      for (let i = 0; i < count; i += parallel) {
        const batch = [];
        for (let j = i; j < Math.min(count, i + parallel); j++) {
          const sid = `full-b-${k++}`;
          batch.push(lib.runHook(JSON.stringify({ session_id: sid, transcript_path: `/nonexistent/${sid}.jsonl`, cwd: '/tmp', hook_event_name: 'Stop', padding: 'q'.repeat(6000) }), ['--spool', spool]).then((r) => results.push({ ...r, sid, phase })));
        }
        await Promise.all(batch);
      }
    };
    // Phase 1: completely full.
    fill(filler);
    await hooks(counts[0], 'full', 2);
    const leftAfterFull = lib.files(path.join(spool, 'incoming'));
    // Phase 2: nearly full (a few pages free; the worker's deletes free more, the filler takes them back).
    // Every 20 ms the refiller takes all free space, then leaves 3 pages (a hook's payload needs 2).
    fs.truncateSync(filler, fs.statSync(filler).size - 3 * 4096);
    let refilling = true;
    const filler2 = path.join(fsDir, 'filler2');
    const refiller = (async () => {
      while (refilling) {
        fill(filler2);
        const size = fs.statSync(filler2).size;
        fs.truncateSync(filler2, Math.max(0, size - 3 * 4096));
        await sleep(20);
      }
    })();
    await hooks(counts[1], 'nearly full', 6);
    refilling = false;
    await refiller;
    // Phase 3: space again.
    fs.rmSync(filler);
    fs.rmSync(path.join(fsDir, 'filler2'), { force: true });
    await hooks(counts[2], 'free', 2);

    const spooled = results.filter((r) => r.stderr === '' && r.stdout.trim() === '{}');
    const refused = results.filter((r) => /payload not spooled/.test(r.stderr));
    const odd = results.filter((r) => !spooled.includes(r) && !refused.includes(r));
    const badExit = results.filter((r) => r.code !== 0);
    const multiLine = refused.filter((r) => r.stderr.trim().split('\n').length !== 1);
    const spooledIds = new Set(spooled.map((r) => r.sid));
    const sessions = () => new Set(lib.ledger(db).map((r) => r.session_id));
    // Dead letters of this part, with the session id their (possibly truncated) bytes name.
    const deadLetters = () =>
      lib.files(path.join(spool, 'dead')).filter((f) => /^[^.]+\.json$/.test(f)).map((f) => {
        const bytes = fs.readFileSync(path.join(spool, 'dead', f), 'utf8');
        let reason = '';
        try {
          reason = JSON.parse(fs.readFileSync(path.join(spool, 'dead', `${f.slice(0, -5)}.error.json`), 'utf8')).reason;
        } catch (err) {
          reason = `(error.json unreadable: ${err.message})`;
        }
        return { file: f, size: bytes.length, sid: /"session_id":"([^"]+)"/.exec(bytes)?.[1], reason };
      });
    await lib.waitUntil(() => {
      const s = sessions();
      const d = new Set(deadLetters().map((x) => x.sid));
      return [...spooledIds].every((id) => s.has(id) || d.has(id));
    }, 30_000, 50);
    await sleep(500); // a refused payload that was somehow spooled anyway would show up now
    const exit = await stopWorker(w);
    const ledger = lib.ledger(db);
    const bySession = new Map();
    for (const r of ledger) bySession.set(r.session_id, (bySession.get(r.session_id) ?? 0) + 1);
    const applied = spooled.filter((r) => bySession.has(r.sid)).length;
    const refusedButApplied = refused.filter((r) => bySession.has(r.sid)).length;
    const duplicated = [...bySession.values()].filter((c) => c > 1).length;
    const leftover = lib.files(path.join(spool, 'incoming')).concat(lib.files(path.join(spool, 'processing')));
    const deadList = deadLetters();
    const dead = deadList.length;
    const fullLength = Buffer.byteLength(JSON.stringify({ session_id: 'full-b-0', transcript_path: '/nonexistent/full-b-0.jsonl', cwd: '/tmp', hook_event_name: 'Stop', padding: 'q'.repeat(6000) }));
    const byPhase = (phase) => `${results.filter((r) => r.phase === phase).length} run/${refused.filter((r) => r.phase === phase).length} refused`;
    const problems = [];
    if (badExit.length) problems.push(`${badExit.length} hooks exited non-zero`);
    if (odd.length) problems.push(`${odd.length} hooks neither spooled cleanly nor refused: ${JSON.stringify(odd[0])}`);
    if (multiLine.length) problems.push(`${multiLine.length} refusals with more than one stderr line`);
    if (leftAfterFull.length) problems.push(`left in incoming/ by refused hooks: ${leftAfterFull.join(', ')}`);
    if (leftover.length) problems.push(`left in the spool at the end: ${leftover.slice(0, 5).join(', ')}`);
    if (dead) {
      const d0 = deadList[0];
      problems.push(
        `BUG: ${dead} payloads the hook reported spooled (exit 0, {}, no stderr) were written truncated on the nearly full spool and dead-lettered ` +
          `(e.g. ${d0.sid}: ${d0.size} of ~${fullLength} bytes, reason "${d0.reason}"; sizes ${deadList.map((x) => x.size).join(', ')}); ` +
          'write-file-atomic 7.0.1 writeFileSync ignores a short write()',
      );
    }
    if (refusedButApplied) problems.push(`${refusedButApplied} payloads the hook reported refused were applied anyway`);
    if (exit.code !== 0) problems.push(`worker exited ${exit.code}/${exit.signal}`);
    const sample = refused[0]?.stderr.trim();
    return row(
      spooled.length,
      applied,
      0,
      spooled.length - applied,
      duplicated,
      t0,
      `(b) hook, spool full, real: spool on a 1 MiB tmpfs; ${results.length} real hook runs (full: ${byPhase('full')}; nearly full (3 pages left free every 20 ms, 6 hooks of 2 pages each at once): ${byPhase('nearly full')}; ` +
        `space freed: ${byPhase('free')}); sent = the ${spooled.length} the hook reported spooled; ${refused.length} refused, each reported (exit 0, one stderr line, e.g. "${sample ?? ''}"), not counted as lost; ` +
        `nothing half-written left in incoming/ after the full phase (${leftAfterFull.length} files)` +
        (problems.length ? `. PROBLEMS: ${problems.join(' | ')}` : ''),
    );
  } finally {
    if (w) await stopWorker(w);
    if (!unmount(fsDir)) ctx.log(`WARNING: could not unmount ${fsDir}`);
  }
}

// (c) The spool's filesystem is full when the worker dead-letters.
async function workerSpoolFull(ctx) {
  const t0 = Date.now();
  const fsDir = path.join(ctx.tmp, 'spoolfs-c');
  const mountError = mountTmpfs(fsDir, '4m');
  if (mountError) return row(0, 0, 0, 0, 0, t0, `(c) worker, spool full: could not run here: ${mountError}`);
  const spool = path.join(fsDir, 'spool');
  const stage = path.join(fsDir, 'stage');
  const db = path.join(ctx.tmp, 'metrics-c.db');
  const nValid = ctx.short ? 100 : 500;
  const nBroken = ctx.short ? 10 : 50;
  const holdMs = ctx.short ? 2500 : 8000;
  let w;
  let refilling = false;
  let refiller;
  try {
    for (const d of ['incoming', 'processing', 'dead']) fs.mkdirSync(path.join(spool, d), { recursive: true, mode: 0o700 });
    fs.mkdirSync(stage);
    // Written before the disk fills; moved into incoming/ later (a rename needs no free blocks).
    const valid = [];
    const broken = [];
    const names = [];
    for (let i = 0; i < nValid + nBroken; i++) {
      const isBroken = i % Math.floor((nValid + nBroken) / nBroken) === 0 && broken.length < nBroken;
      const id = lib.payloadId();
      fs.writeFileSync(path.join(stage, `${id}.json`), isBroken ? '{"session_id": "not json' : lib.event(`full-c-${i}`, 'Stop'), { mode: 0o600 });
      (isBroken ? broken : valid).push(id);
      names.push(`${id}.json`);
    }
    fill(path.join(fsDir, 'filler'));
    refilling = true;
    refiller = (async () => {
      while (refilling) {
        fill(path.join(fsDir, 'filler2')); // takes back whatever the worker's deletes free
        await sleep(5);
      }
    })();
    w = await lib.startWorker(spool, db);
    const rounds = 5;
    for (let r = 0; r < rounds; r++) {
      for (const nm of names.slice((r * names.length) / rounds, ((r + 1) * names.length) / rounds)) fs.renameSync(path.join(stage, nm), path.join(spool, 'incoming', nm));
      await sleep(200);
    }
    await sleep(holdMs);
    const stderrFull = w.stderr();
    const enospcRetries = (stderrFull.match(/batch will be retried.*ENOSPC/g) ?? []).length;
    const appliedDuringFull = lib.tally(valid, lib.ledger(db)).applied;
    const deadDuringFull = lib.files(path.join(spool, 'dead')).filter((f) => !f.endsWith('.error.json')).length;
    const aliveDuringFull = w.child.exitCode === null;
    refilling = false;
    await refiller;
    fs.rmSync(path.join(fsDir, 'filler'));
    fs.rmSync(path.join(fsDir, 'filler2'), { force: true });
    const freedAt = Date.now();
    const deadIds = () => new Set(lib.files(path.join(spool, 'dead')).filter((f) => /^[^.]+\.json$/.test(f)).map((f) => f.slice(0, -5)));
    await lib.waitUntil(() => lib.tally(valid, lib.ledger(db)).lost === 0 && broken.every((id) => deadIds().has(id)), 30_000, 50);
    const caughtUp = (Date.now() - freedAt) / 1000;
    const exit = await stopWorker(w);
    const { applied, lost, duplicated } = lib.tally(valid, lib.ledger(db));
    const dead = deadIds();
    const reasonOf = (id) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(spool, 'dead', `${id}.error.json`), 'utf8')).reason;
      } catch {
        return undefined;
      }
    };
    const withErrorFile = broken.filter((id) => dead.has(id) && fs.existsSync(path.join(spool, 'dead', `${id}.error.json`)));
    const deadWithReason = withErrorFile.filter((id) => typeof reasonOf(id) === 'string').length;
    const unreadableReasons = withErrorFile.length - deadWithReason;
    const validDead = valid.filter((id) => dead.has(id)).length;
    const leftover = lib.files(path.join(spool, 'incoming')).concat(lib.files(path.join(spool, 'processing')));
    const problems = [];
    if (!aliveDuringFull) problems.push(`worker exited while the spool was full: ${errorLines(stderrFull).join(' / ')}`);
    if (enospcRetries === 0) problems.push('no ENOSPC retry logged (the full spool was never hit?)');
    if (validDead) problems.push(`${validDead} valid payloads dead-lettered`);
    if (unreadableReasons) problems.push(`BUG: ${unreadableReasons} dead letters have an error.json that is not valid JSON (written short on the full spool)`);
    if (deadWithReason !== nBroken) problems.push(`${nBroken - deadWithReason} broken payloads not dead-lettered with a reason`);
    if (leftover.length) problems.push(`left in the spool: ${leftover.slice(0, 5).join(', ')}`);
    if (exit.code !== 0) problems.push(`worker exited ${exit.code}/${exit.signal}`);
    if (errorLines(w.stderr()).length) problems.push(`worker logged: ${errorLines(w.stderr()).slice(0, 2).join(' / ')}`);
    return row(
      nValid + nBroken,
      applied,
      deadWithReason,
      lost,
      duplicated,
      t0,
      `(c) worker, spool full, real: spool on a 4 MiB tmpfs kept at ENOSPC by a refiller for ${holdMs / 1000} s while ${nValid} valid and ${nBroken} broken (not JSON) payloads ` +
        `were renamed into incoming/; meanwhile ${appliedDuringFull} valid applied, ${deadDuringFull} dead-lettered, ${enospcRetries} batch retries logged naming ENOSPC, ` +
        `worker ${aliveDuringFull ? 'still running' : 'EXITED'}; space freed: all valid applied and the ${deadWithReason} broken ones in dead/ with their reason ${caughtUp.toFixed(1)} s later` +
        (problems.length ? `. PROBLEMS: ${problems.join(' | ')}` : ''),
    );
  } finally {
    refilling = false;
    if (refiller) await refiller;
    if (w) await stopWorker(w);
    if (!unmount(fsDir)) ctx.log(`WARNING: could not unmount ${fsDir}`);
  }
}

// --- baseline helpers: its detached writers are `python3 … --background <tmp> --db-path <db>`.
// (a) for the baseline: its database on the same kind of tmpfs, the same filler; it cannot retry.
async function baselineDatabaseFull(ctx) {
  const t0 = Date.now();
  const brow = (sent, applied, lost, notes) => ({ system: 'baseline', sent, applied, deadLettered: 0, lost, duplicated: 0, seconds: (Date.now() - t0) / 1000, notes });
  const fsDir = path.join(ctx.tmp, 'dbfs-bl');
  const mountError = mountTmpfs(fsDir, '8m');
  if (mountError) return brow(0, 0, 0, `(a) database full: could not run here: ${mountError}`);
  const db = path.join(fsDir, 'baseline.db');
  const n = ctx.short ? 100 : 300;
  const holdMs = ctx.short ? 2500 : 8000;
  const stored = () => lib.readDb(db, (d) => d.prepare("SELECT count(*) AS c FROM sessions WHERE session_id LIKE 'full-bl-%'").get().c, 0);
  const settle = (ms) => lib.waitUntil(() => lib.baselineWriters(db).length === 0, ms, 50);
  try {
    // Create its database first (as ours is warmed), then fill the filesystem.
    await lib.runBaseline(lib.legacySessionEnd('full-init'), db);
    const created = await lib.waitUntil(() => lib.readDb(db, (d) => d.prepare("SELECT count(*) AS c FROM sessions WHERE session_id = 'full-init'").get().c, 0) === 1, 20_000, 50);
    if (!created) throw new Error('the baseline hook did not create its database');
    const filled = fill(path.join(fsDir, 'filler'));
    const freeAfterFill = freeBytes(fsDir);
    const codes = await pool(n, 50, (i) => lib.runBaseline(lib.legacySessionEnd(`full-bl-${i}`), db).then((r) => r.code));
    const quiet = await settle(holdMs + 10_000);
    const duringFull = stored();
    fs.rmSync(path.join(fsDir, 'filler'));
    await sleep(ctx.short ? 2000 : 4000);
    await settle(10_000);
    const applied = stored();
    const integrity = lib.readDb(db, (d) => d.pragma('integrity_check', { simple: true }), 'no db');
    const nonzero = codes.filter((c) => c !== 0).length;
    return brow(
      n,
      applied,
      n - applied,
      `(a) database full, real: the baseline's DB on its own 8 MiB tmpfs filled to ENOSPC the same way (${(filled / 1024).toFixed(0)} KiB filler, ${freeAfterFill} B left); ` +
        `${n} SessionEnd payloads with a cost object and distinct session ids through the Python hook (≤ 50 at once; ${nonzero} hook exits ≠ 0, it printed {} regardless); ` +
        `${duringFull} stored while full${quiet ? ', all detached writers had exited' : ', SOME WRITERS STILL RUNNING'}; filler deleted, waited, then ${applied} stored: ` +
        `each writer hit SQLITE_FULL once, swallowed it and exited (no retry, no dead letter, nothing logged); integrity_check ${integrity}`,
    );
  } finally {
    for (const { pid } of lib.baselineWriters(db)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (!unmount(fsDir)) ctx.log(`WARNING: could not unmount ${fsDir}`);
  }
}

export async function run(ctx) {
  const rows = [];
  for (const part of [databaseFull, baselineDatabaseFull, hookSpoolFull, workerSpoolFull]) {
    const t0 = Date.now();
    try {
      rows.push(await part(ctx));
    } catch (err) {
      rows.push({ ...row(0, 0, 0, NaN, NaN, t0, `${part.name}: ERROR: ${err.stack ?? err}`), system: part === baselineDatabaseFull ? 'baseline' : 'claude-metrics' });
    }
  }
  return rows;
}
