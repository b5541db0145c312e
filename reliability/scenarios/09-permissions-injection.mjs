// Permissions and injection: spool folders 0700, payload files 0600 (from the real hook, also
// under umask 000), database and its -wal/-shm 0600; symlinks planted in incoming/ are
// dead-lettered and never followed; session ids made of SQL, quotes, NULs, emoji, RTL marks and
// 10,000-character strings go through the real hook and worker and read back byte for byte.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HOOK, files, ledger, payloadId, readDb, runHook, startWorker, tally, waitUntil } from '../lib.mjs';
import { deadLetterOf, drainBounded, mode } from '../lib-input.mjs';

export const name = 'permissions-injection';
export const title = 'Permissions and injection: modes, planted symlinks, hostile session ids';

function hookUnderUmask(input, spool, umask) {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `umask ${umask}; exec "$0" "$1" --spool "$2"`, process.execPath, HOOK, spool], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(input);
  });
}

function sha(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function randomUnicode(n, seed) {
  const pool = ['a', 'Z', '0', "'", '"', '\\', '`', ';', '-', '\u0000', '\n', '\t', 'é', 'ß', '中', '文', '🦀', '👩‍👩‍👧', '\u202E', '\u200F', '\u2028', 'e\u0301', '\uFEFF', '%', '$', '{', '}'];
  let a = seed;
  let s = '';
  while ([...s].length < n) {
    a = (a * 1103515245 + 12345) >>> 0;
    s += pool[a % pool.length];
  }
  return [...s].slice(0, n).join('');
}

const HOSTILE_IDS = [
  ["SQL: DROP TABLE sessions", "'; DROP TABLE sessions; --"],
  ["SQL: DROP TABLE payloads", "Robert'); DROP TABLE payloads;--"],
  ['SQL: OR 1=1', '" OR 1=1 --'],
  ['quotes and backslashes', `'"\`\\'\\"\\\\`],
  ['NUL inside', 'a\u0000b'],
  ['NUL alone', '\u0000'],
  ['NUL before SQL', "\u0000'; DROP TABLE sessions; --"],
  ['emoji (ZWJ sequences, flags)', '🦀👩‍👩‍👧‍👦🏳️‍🌈🇺🇦'],
  ['RTL override and marks', '\u202Eevil\u202C\u200F\u200Eמזהה‏ عربي'],
  ['newlines, CR, tab', 'line1\nline2\r\n\tend'],
  ['format strings and traversal', '%s%n%x${HOME}$(id)../../../etc/passwd'],
  ['combining characters (NFD)', 'e\u0301a\u0300o\u0308'],
  ['BOM and U+2028/2029', '\uFEFFid\u2028x\u2029'],
  ['10,000 × "x"', 'x'.repeat(10_000)],
  ['10,000 mixed characters', randomUnicode(10_000, 7)],
  ['10,000 quotes', "'".repeat(10_000)],
];

export async function run(ctx) {
  const t0 = Date.now();
  const notes = [];
  const bugs = [];
  const spool = path.join(ctx.tmp, 'spool');
  const db = path.join(ctx.tmp, 'metrics.db');

  // --- modes from the real hook (default umask, then umask 000) ---
  const modeReport = {};
  const first = await runHook(JSON.stringify({ session_id: 'perm-check', hook_event_name: 'SessionStart', cwd: '/tmp' }), ['--spool', spool]);
  if (first.code !== 0 || first.stdout.trim() !== '{}') bugs.push(`hook exit ${first.code} stdout ${JSON.stringify(first.stdout)}`);
  const firstFiles = files(path.join(spool, 'incoming')).filter((f) => f.endsWith('.json'));
  modeReport.spool = mode(spool);
  modeReport.incoming = mode(path.join(spool, 'incoming'));
  modeReport.payload = firstFiles.length ? mode(path.join(spool, 'incoming', firstFiles[0])) : 'none';
  const spool0 = path.join(ctx.tmp, 'spool-umask0');
  const h0 = await hookUnderUmask(JSON.stringify({ session_id: 'perm-umask0', hook_event_name: 'Stop' }), spool0, '000');
  const f0 = files(path.join(spool0, 'incoming')).filter((f) => f.endsWith('.json'));
  modeReport['spool (umask 000)'] = fs.existsSync(spool0) ? mode(spool0) : 'none';
  modeReport['incoming (umask 000)'] = fs.existsSync(path.join(spool0, 'incoming')) ? mode(path.join(spool0, 'incoming')) : 'none';
  modeReport['payload (umask 000)'] = f0.length ? mode(path.join(spool0, 'incoming', f0[0])) : `none (hook exit ${h0.code})`;
  const sent = [];
  for (const f of firstFiles) sent.push(f.slice(0, -5));

  // --- planted symlinks ---
  const outside = path.join(ctx.tmp, 'outside-payload.json');
  const outsideSid = `outside-${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(outside, JSON.stringify({ session_id: outsideSid, hook_event_name: 'Stop', transcript_path: '/nonexistent.jsonl' }));
  fs.mkdirSync(path.join(spool, 'incoming'), { recursive: true });
  const targets = { 'symlink to a valid payload outside the spool': outside, 'symlink to /etc/passwd': '/etc/passwd', 'symlink to /etc (a directory)': '/etc', 'symlink to a payload in processing/': path.join(spool, 'processing', 'x.json') };
  const before = {};
  for (const [, target] of Object.entries(targets)) {
    try { if (fs.statSync(target).isFile()) before[target] = { sha: sha(target), mtime: fs.statSync(target).mtimeMs, mode: mode(target) }; } catch {}
  }
  const planted = [];
  for (const [kind, target] of Object.entries(targets)) {
    const id = payloadId();
    fs.symlinkSync(target, path.join(spool, 'incoming', `${id}.json`));
    planted.push({ id, kind, target });
  }

  // --- hostile session ids through the real hook ---
  const injected = [];
  for (const [i, [kind, sid]] of HOSTILE_IDS.entries()) {
    const payload = JSON.stringify({ session_id: sid, transcript_path: `/nonexistent/${i}.jsonl`, cwd: sid, hook_event_name: i % 2 ? 'Stop' : 'SessionStart', source: sid });
    const before = new Set(files(path.join(spool, 'incoming')));
    const h = await runHook(payload, ['--spool', spool]);
    if (h.code !== 0) bugs.push(`hook exit ${h.code} for ${kind}`);
    const added = files(path.join(spool, 'incoming')).filter((f) => !before.has(f) && /^\d{13}-\d+-[0-9a-f]+\.json$/.test(f));
    if (added.length !== 1) bugs.push(`hook spooled ${added.length} files for ${kind}`);
    else {
      const id = added[0].slice(0, -5);
      injected.push({ id, kind, sid });
      sent.push(id);
    }
  }

  // --- a watching worker (database modes while it holds -wal/-shm), then a drain ---
  const worker = await startWorker(spool, db, ['--rescan-ms', '200']);
  // Dead letters move to dead/ after their batch commits: wait for processing/ to empty and for
  // each planted link's reason file, or the mode check below would race the worker.
  await waitUntil(
    () =>
      files(path.join(spool, 'incoming')).length === 0 &&
      files(path.join(spool, 'processing')).length === 0 &&
      files(path.join(spool, 'dead')).filter((f) => f.endsWith('.error.json')).length >= planted.length,
    20_000,
    50,
  );
  for (const f of [db, `${db}-wal`, `${db}-shm`]) modeReport[path.basename(f)] = fs.existsSync(f) ? mode(f) : 'absent';
  modeReport.processing = mode(path.join(spool, 'processing'));
  modeReport.dead = mode(path.join(spool, 'dead'));
  const errFile = files(path.join(spool, 'dead')).find((f) => f.endsWith('.error.json'));
  modeReport['dead/<id>.error.json'] = errFile ? mode(path.join(spool, 'dead', errFile)) : 'none';
  worker.child.kill('SIGTERM');
  const wexit = await Promise.race([worker.exited, new Promise((res) => setTimeout(() => res({ code: 'timeout' }), 20_000).unref())]);
  if (wexit.code === 'timeout') worker.child.kill('SIGKILL');
  if (wexit.code !== 0) bugs.push(`watching worker exit ${wexit.code}: ${worker.stderr().slice(-300)}`);
  // The umask-000 spool through a drain run under umask 000 as well: its database must still be 0600.
  const db0 = path.join(ctx.tmp, 'umask0.db');
  await new Promise((resolve) => {
    const c = spawn('sh', ['-c', `umask 000; exec "$0" "$1" worker --drain --spool "$2" --db "$3"`, process.execPath, path.join(ctx.root, 'dist', 'cli.js'), spool0, db0], { stdio: 'ignore' });
    c.on('close', resolve);
  });
  modeReport['db (umask 000)'] = fs.existsSync(db0) ? mode(db0) : 'absent';
  modeReport['processing (umask 000)'] = fs.existsSync(path.join(spool0, 'processing')) ? mode(path.join(spool0, 'processing')) : 'absent';
  const d = await drainBounded(spool, db, [], 60_000);
  if (d.code !== 0) bugs.push(`drain exit ${d.code}: ${d.stderr.slice(-300)}`);

  const wantMode = (k) => (/^(spool|incoming|processing|dead)( \(umask 000\))?$/.test(k) ? '0700' : '0600');
  const badModes = Object.entries(modeReport).filter(([k, v]) => v !== 'absent' && v !== wantMode(k));
  notes.push(`modes: ${Object.entries(modeReport).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const [k, v] of badModes) bugs.push(`${k} is ${v}, not ${wantMode(k)}`);

  // --- check symlinks: dead-lettered, not followed, target untouched, not applied ---
  const led = ledger(db);
  const ids = new Set(led.map((r) => r.id));
  let deadOk = 0;
  for (const p of planted) {
    const dl = deadLetterOf(spool, p.id);
    const link = path.join(spool, 'dead', `${p.id}.json`);
    const stillLink = fs.existsSync(path.dirname(link)) && (() => { try { return fs.lstatSync(link).isSymbolicLink() && fs.readlinkSync(link) === p.target; } catch { return false; } })();
    if (ids.has(p.id)) bugs.push(`${p.kind}: APPLIED`);
    else if (!dl.ok) bugs.push(`${p.kind}: not dead-lettered with a reason`);
    else if (!stillLink) bugs.push(`${p.kind}: dead letter is no longer the same symlink`);
    else deadOk++;
    const b = before[p.target];
    if (b && (sha(p.target) !== b.sha || fs.statSync(p.target).mtimeMs !== b.mtime || mode(p.target) !== b.mode)) bugs.push(`${p.kind}: target CHANGED`);
  }
  const outsideApplied = readDb(db, (x) => x.prepare('SELECT count(*) AS n FROM sessions WHERE session_id = ?').get(outsideSid).n, 0);
  if (outsideApplied) bugs.push('the symlinked outside payload was applied');
  notes.push(`planted symlinks: ${deadOk}/${planted.length} dead-lettered as links, targets unchanged (reason: ${deadLetterOf(spool, planted[0].id).reason})`);

  // --- read the hostile ids back, byte for byte ---
  const tables = readDb(db, (x) => x.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name), []);
  for (const t of ['sessions', 'payloads', 'token_usage']) if (!tables.includes(t)) bugs.push(`table ${t} is GONE`);
  const mismatched = [];
  let verbatim = 0;
  readDb(db, (x) => {
    const byId = x.prepare('SELECT session_id, hex(CAST(session_id AS BLOB)) AS h FROM payloads WHERE id = ?');
    const sess = x.prepare('SELECT hex(CAST(session_id AS BLOB)) AS h, hex(CAST(cwd AS BLOB)) AS c FROM sessions WHERE CAST(session_id AS BLOB) = CAST(? AS BLOB)');
    for (const p of injected) {
      const want = Buffer.from(p.sid, 'utf8').toString('hex').toUpperCase();
      const r = byId.get(p.id);
      if (!r) continue; // counted as lost
      const s = sess.get(p.sid);
      const problems = [];
      if (r.h !== want || r.session_id !== p.sid) problems.push(`payloads.session_id ${r.h.length / 2} bytes vs ${want.length / 2}`);
      if (!s) problems.push('no sessions row');
      else {
        if (s.h !== want) problems.push('sessions.session_id differs');
        if (s.c !== want) problems.push('sessions.cwd differs');
      }
      if (problems.length) mismatched.push(`${p.kind}: ${problems.join(', ')}`);
      else verbatim++;
    }
  }, null);
  const sessionCount = readDb(db, (x) => x.prepare('SELECT count(*) AS n FROM sessions').get().n, 0);
  notes.push(`hostile ids: ${verbatim}/${injected.length} read back byte for byte (payloads.session_id, sessions.session_id, sessions.cwd); ${sessionCount} sessions rows (expected ${HOSTILE_IDS.length + 1}); tables intact: ${['sessions', 'payloads', 'token_usage'].every((t) => tables.includes(t))}`);
  for (const m of mismatched) bugs.push(`not verbatim: ${m}`);
  const t = tally(sent, led);
  for (const b of bugs) notes.push(`BUG: ${b}`);
  return [{ system: 'claude-metrics', sent: sent.length + planted.length, applied: t.applied, deadLettered: deadOk, lost: t.lost, duplicated: t.duplicated, seconds: (Date.now() - t0) / 1000, notes: notes.join('; ') }];
}
