// Bad input: a corpus of broken payload kinds (bytes and non-regular files) plus thousands of
// mutated real payloads, interleaved with valid ones, through a watching worker and a drain.
// The expected outcome of each payload comes from expectedValid() (the documented rules, run
// here independently); valid ones must be applied, broken ones dead-lettered with a reason.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, baselineWriters, files, ledger, legacySessionEnd, payloadId, readDb, runBaseline, spoolBytes, startWorker, tally, waitUntil } from '../lib.mjs';
import { pool } from '../lib-load.mjs';
import { deadLetterOf, drainBounded, expectedValid, leftInSpool, sample } from '../lib-input.mjs';

export const name = 'bad-input';
export const title = 'Bad input: 30+ kinds of broken payloads and mutated real ones';

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.RELIABILITY_SEED) || 20261123;

function realPayloads() {
  const dir = path.join(FIXTURES, 'payloads');
  return fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f)));
}

/** Byte-level corpus: [kind, bytes]. */
function byteKinds(real) {
  const stop = JSON.parse(real.find((b) => JSON.parse(b).hook_event_name === 'Stop').toString());
  const ok = (extra = {}) => JSON.stringify({ ...stop, session_id: 'bad-input-ok', ...extra });
  const raw = (s) => Buffer.from(s, 'utf8');
  const text = ok();
  const deep = (n) => `{"session_id":"deep","hook_event_name":"Stop","x":${'['.repeat(n)}1${']'.repeat(n)}}`;
  const deepObj = (n) => `{"session_id":"deepobj","x":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`;
  const pad = (total) => {
    const base = `{"session_id":"big","hook_event_name":"Stop","pad":""}`;
    return raw(`{"session_id":"big","hook_event_name":"Stop","pad":"${'x'.repeat(total - base.length)}"}`);
  };
  const utf16 = Buffer.from(text, 'utf16le');
  return [
    ['not JSON', raw('hello, world')],
    ['truncated', raw(text.slice(0, Math.floor(text.length / 2)))],
    ['truncated by one byte', raw(text.slice(0, -1))],
    ['empty file', Buffer.alloc(0)],
    ['whitespace only', raw(' \n\t\r\n')],
    ['UTF-8 BOM + valid JSON', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw(text)])],
    ['UTF-16LE', utf16],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16])],
    ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(utf16).swap16()])],
    ['NUL bytes only', Buffer.alloc(4096)],
    ['NUL byte inside JSON', raw(text.replace('"cwd"', '\u0000"cwd"'))],
    ['trailing NUL after JSON', Buffer.concat([raw(text), Buffer.alloc(1)])],
    ['raw NUL inside a string', raw(text.replace('bad-input-ok', 'bad\u0000input'))],
    ['escaped \\u0000 in session_id', raw(ok({ session_id: 'nul\u0000inside' }))],
    ['empty array', raw('[]')],
    ['array of a valid payload', raw(`[${text}]`)],
    ['number', raw('42')],
    ['string', raw('"session_id"')],
    ['true', raw('true')],
    ['null', raw('null')],
    ['empty object', raw('{}')],
    ['missing session_id', raw(JSON.stringify({ ...stop, session_id: undefined }))],
    ['session_id number', raw(ok({ session_id: 12345 }))],
    ['session_id bool', raw(ok({ session_id: true }))],
    ['session_id object', raw(ok({ session_id: { id: 'x' } }))],
    ['session_id array', raw(ok({ session_id: ['x'] }))],
    ['session_id empty', raw(ok({ session_id: '' }))],
    ['session_id null', raw(ok({ session_id: null }))],
    ['session_id whitespace (valid)', raw(ok({ session_id: ' ' }))],
    ['hook_event_name number', raw(ok({ hook_event_name: 7 }))],
    ['hook_event_name null', raw(ok({ hook_event_name: null }))],
    ['hook_event_name object', raw(ok({ hook_event_name: { name: 'Stop' } }))],
    ['hook_event_name array', raw(ok({ hook_event_name: ['Stop'] }))],
    ['hook_event_name bool', raw(ok({ hook_event_name: false }))],
    ['hook_event_name absent (valid, old format)', raw(ok({ hook_event_name: undefined }))],
    ['hook_event_name unknown (valid)', raw(ok({ hook_event_name: 'NoSuchEvent' }))],
    ['transcript_path number (valid)', raw(ok({ transcript_path: 17 }))],
    ['transcript_path empty (valid)', raw(ok({ transcript_path: '' }))],
    ['over 8 MiB (8 MiB + 1)', pad(8 * 1024 * 1024 + 1)],
    ['exactly 8 MiB (valid)', pad(8 * 1024 * 1024)],
    ['16 MiB', pad(16 * 1024 * 1024)],
    ['deeply nested array, 100k levels', raw(deep(100_000))],
    ['deeply nested object, 100k levels', raw(deepObj(100_000))],
    ['huge numbers (valid)', raw(`{"session_id":"huge","hook_event_name":"SessionEnd","cost":{"total_cost_usd":1e400,"total_duration_ms":123456789012345678901234567890,"total_lines_added":-1e308,"total_lines_removed":9007199254740993}}`)],
    ['huge integer as session_id', raw('{"session_id":123456789012345678901234567890123456789}')],
    ['duplicate keys, last not a string', raw('{"session_id":"a","hook_event_name":"Stop","session_id":42}')],
    ['duplicate keys, last a string (valid)', raw('{"session_id":42,"hook_event_name":"Stop","session_id":"dup-last"}')],
    ['__proto__ holding session_id', raw('{"__proto__":{"session_id":"proto"}}')],
    ['__proto__ beside session_id (valid)', raw('{"session_id":"proto-ok","__proto__":null,"constructor":1}')],
    ['invalid UTF-8 in session_id (valid after decoding)', Buffer.concat([raw('{"session_id":"bad'), Buffer.from([0xff, 0xfe, 0xc3]), raw('","hook_event_name":"Stop"}')])],
    ['lone surrogate escape (valid)', raw('{"session_id":"\\ud800lone","hook_event_name":"Stop"}')],
    ['raw control character in string', raw('{"session_id":"a\u0001b"}')],
    ['trailing garbage', raw(`${text}x`)],
    ['two objects (JSONL)', raw(`${text}\n${text}\n`)],
    ['comment before JSON', raw(`// hook\n${text}`)],
    ['NaN literal', raw('{"session_id":"n","cost":{"total_cost_usd":NaN}}')],
    ['single quotes', raw("{'session_id':'single'}")],
    ['unterminated string', raw('{"session_id":"abc')],
    ['10 MB session_id string', raw(`{"session_id":"${'s'.repeat(10 * 1024 * 1024)}"}`)],
    ['1 MB session_id (valid)', raw(`{"session_id":"${'s'.repeat(1024 * 1024)}","hook_event_name":"SessionStart"}`)],
  ];
}

// --- mutations of real payloads ---
const TYPE_VALUES = [0, -1, 1.5, 1e308, true, false, null, [], {}, '', 'x', ['a', 1], { session_id: 'nested' }];

function mutate(bytes, r) {
  const op = Math.floor(r() * 4);
  if (op === 0) {
    const b = Buffer.from(bytes);
    const flips = 1 + Math.floor(r() * 4);
    for (let i = 0; i < flips; i++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
    return ['bit flip', b];
  }
  if (op === 1) return ['truncation', bytes.subarray(0, Math.floor(r() * bytes.length))];
  const obj = JSON.parse(bytes.toString('utf8'));
  const keys = Object.keys(obj);
  // Aim at the fields the rules look at a third of the time.
  const key = r() < 0.34 ? (r() < 0.6 ? 'session_id' : 'hook_event_name') : keys[Math.floor(r() * keys.length)];
  if (op === 2) {
    obj[key] = TYPE_VALUES[Math.floor(r() * TYPE_VALUES.length)];
    return ['type swap', Buffer.from(JSON.stringify(obj))];
  }
  delete obj[key];
  return ['field deletion', Buffer.from(JSON.stringify(obj))];
}

/** Non-regular or special files put straight into incoming/: [kind, expect, make(file)]. */
function fileKinds(tmp) {
  const outside = path.join(tmp, 'outside.json');
  fs.writeFileSync(outside, JSON.stringify({ session_id: 'outside-target', hook_event_name: 'Stop' }));
  return [
    ['symlink to a valid payload', 'dead', (f) => fs.symlinkSync(outside, f)],
    ['dangling symlink', 'dead', (f) => fs.symlinkSync(path.join(tmp, 'nowhere.json'), f)],
    ['symlink loop', 'dead', (f) => fs.symlinkSync(f, f)],
    ['symlink to /dev/zero', 'dead', (f) => fs.symlinkSync('/dev/zero', f)],
    ['directory', 'dead', (f) => fs.mkdirSync(f)],
    ['directory with a payload inside', 'dead', (f) => { fs.mkdirSync(f); fs.writeFileSync(path.join(f, 'x.json'), '{"session_id":"d"}'); }],
    ['FIFO', 'dead', (f) => { const r = spawnSync('mkfifo', [f]); if (r.status !== 0) throw new Error('mkfifo failed'); }],
    ['hard link to a valid payload (valid: a regular file)', 'apply', (f) => fs.linkSync(outside, f)],
  ];
}

async function makeSocket(file) {
  const server = net.createServer();
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(file, resolve); });
  return server;
}

export async function run(ctx) {
  const t0 = Date.now();
  const r = rng(SEED);
  const spool = path.join(ctx.tmp, 's');
  const db = path.join(ctx.tmp, 'metrics.db');
  const incoming = path.join(spool, 'incoming');
  fs.mkdirSync(incoming, { recursive: true, mode: 0o700 });
  const real = realPayloads();
  const nMut = ctx.short ? 1000 : 10_000;
  const validEvery = 4; // one clean real payload after every 4 mutated ones
  /** id → { kind, expect: 'apply' | 'dead' | 'gone-or-apply' } */
  const items = new Map();
  const notes = [];

  const put = (kind, bytes) => {
    const id = spoolBytes(spool, bytes);
    items.set(id, { kind, expect: expectedValid(bytes) ? 'apply' : 'dead' });
  };

  // Phase A: a watching worker while the corpus and half the mutations arrive.
  const worker = await startWorker(spool, db, ['--rescan-ms', '500']);
  const kinds = byteKinds(real);
  for (const [kind, bytes] of kinds) put(kind, bytes);
  for (const [kind, expect, make] of fileKinds(ctx.tmp)) {
    const id = payloadId();
    make(path.join(incoming, `${id}.json`));
    items.set(id, { kind, expect });
  }
  const servers = [];
  try {
    const id = payloadId();
    servers.push(await makeSocket(path.join(incoming, `${id}.json`)));
    items.set(id, { kind: 'Unix socket', expect: 'dead' });
  } catch (err) {
    notes.push(`socket kind skipped (${err.code ?? err.message})`);
  }
  // Files that vanish: renamed into incoming/ and removed moments later, under the watcher.
  for (let i = 0; i < 50; i++) {
    const id = spoolBytes(spool, real[i % real.length]);
    items.set(id, { kind: 'file that vanishes', expect: 'gone-or-apply' });
    await new Promise((res) => setTimeout(res, Math.floor(r() * 4)));
    fs.rmSync(path.join(incoming, `${id}.json`), { force: true });
  }
  const mutCounts = {};
  const spoolMutations = async (from, to) => {
    for (let i = from; i < to; i++) {
      const [kind, bytes] = mutate(real[Math.floor(r() * real.length)], r);
      const key = `${kind} (${expectedValid(bytes) ? 'valid' : 'broken'})`;
      mutCounts[key] = (mutCounts[key] ?? 0) + 1;
      put(`mutation: ${kind}`, bytes);
      if (i % validEvery === validEvery - 1) put('clean real payload', real[Math.floor(r() * real.length)]);
      if (i % 500 === 499) await new Promise((res) => setImmediate(res));
    }
  };
  await spoolMutations(0, nMut / 2);
  const pendingPayloads = () => [...files(incoming), ...files(path.join(spool, 'processing'))].filter((f) => /^\d{13}-\d+-[0-9a-f]+\.json$/.test(f)).length;
  const emptied = await waitUntil(() => pendingPayloads() === 0, ctx.short ? 15_000 : 120_000, 100);
  if (!emptied) notes.push(`watching worker left ${pendingPayloads()} payloads in the spool`);
  worker.child.kill('SIGTERM');
  const wexit = await Promise.race([worker.exited, new Promise((res) => setTimeout(() => res({ code: 'timeout' }), 20_000).unref())]);
  if (wexit.code === 'timeout') worker.child.kill('SIGKILL');
  for (const s of servers) s.close();
  const watchErrors = (worker.stderr().match(/\b(error|fatal)\b.*$/gim) ?? []).filter((l) => !/dead-letter|dead letter/i.test(l));
  ctx.log(`watch phase: worker exit ${wexit.code}${wexit.signal ? ` (${wexit.signal})` : ''}, ${items.size} payloads so far`);

  // Phase B: the other half, then one --drain, with a few files deleted while it runs.
  await spoolMutations(nMut / 2, nMut);
  const victims = [];
  for (let i = 0; i < 20; i++) {
    const id = spoolBytes(spool, real[i % real.length]);
    items.set(id, { kind: 'file that vanishes during a drain', expect: 'gone-or-apply' });
    victims.push(id);
  }
  const drainP = drainBounded(spool, db, [], ctx.short ? 60_000 : 300_000);
  for (const id of victims) {
    await new Promise((res) => setTimeout(res, Math.floor(r() * 20)));
    for (const d of ['incoming', 'processing']) fs.rmSync(path.join(spool, d, `${id}.json`), { force: true });
  }
  const d = await drainP;
  ctx.log(`drain: exit ${d.code}${d.timedOut ? ' (timed out)' : ''} in ${d.seconds.toFixed(1)} s: ${d.stdout.trim()}`);

  // Check every payload against its expected outcome.
  const rows = ledger(db);
  const inLedger = new Set(rows.map((x) => x.id));
  const validIds = [...items].filter(([, v]) => v.expect === 'apply').map(([id]) => id);
  const t = tally(validIds, rows);
  let deadOk = 0;
  const invalidApplied = [];
  const deadMissing = [];
  const validDead = [];
  const lostIds = [];
  const goneWrong = [];
  let vanishedApplied = 0;
  for (const [id, v] of items) {
    const dl = deadLetterOf(spool, id);
    if (v.expect === 'apply') {
      if (!inLedger.has(id)) {
        lostIds.push(id);
        validDead.push(`${v.kind}${dl.reason ? ` → dead: ${dl.reason}` : leftInSpool(spool, id) ? ` → left in ${leftInSpool(spool, id)}/` : ' → vanished'}`);
      }
    } else if (v.expect === 'dead') {
      if (inLedger.has(id)) invalidApplied.push(v.kind);
      else if (dl.ok) deadOk++;
      else deadMissing.push(`${v.kind} (${dl.moved ? 'no reason' : leftInSpool(spool, id) ? `left in ${leftInSpool(spool, id)}/` : 'vanished, no dead letter'})`);
    } else {
      if (inLedger.has(id)) vanishedApplied++;
      if (dl.moved || dl.reason) goneWrong.push(`${v.kind}: dead-lettered (${dl.reason})`);
      else if (leftInSpool(spool, id)) goneWrong.push(`${v.kind}: left in ${leftInSpool(spool, id)}/`);
    }
  }
  // The outside target of the symlink must never have been applied.
  const outsideApplied = rows.some((x) => x.session_id === 'outside-target' && items.get(x.id)?.kind !== 'hard link to a valid payload (valid: a regular file)');
  const expectDead = [...items.values()].filter((v) => v.expect === 'dead').length;
  const kindCount = new Set([...items.values()].filter((v) => !v.kind.startsWith('mutation') && v.kind !== 'clean real payload').map((v) => v.kind)).size;

  notes.push(`${kindCount} kinds + ${nMut} mutations (${Object.entries(mutCounts).sort().map(([k, n]) => `${k}: ${n}`).join(', ')}) + clean real ones; expected ${validIds.length} valid, ${expectDead} broken`);
  notes.push(`watching worker exit ${wexit.code}${wexit.signal ? `/${wexit.signal}` : ''}, drain exit ${d.code}${d.timedOut ? ' TIMED OUT' : ''} (${d.seconds.toFixed(1)} s)`);
  if (wexit.code !== 0) notes.push(`BUG: watching worker did not exit 0: ${worker.stderr().slice(-400)}`);
  if (d.code !== 0 || d.timedOut) notes.push(`BUG: drain did not exit 0: ${d.stderr.slice(-400)}`);
  if (watchErrors.length) notes.push(`worker logged errors: ${sample(watchErrors.map((l) => l.slice(0, 160)), 3)}`);
  if (invalidApplied.length) notes.push(`BUG: broken payloads applied: ${sample(invalidApplied, 5)}`);
  if (deadMissing.length) notes.push(`BUG: broken payloads not dead-lettered with a reason: ${sample(deadMissing, 5)}`);
  if (validDead.length) notes.push(`valid not applied: ${sample(validDead, 5)}`);
  if (goneWrong.length) notes.push(`vanishing files mishandled: ${sample(goneWrong, 3)}`);
  if (outsideApplied) notes.push('BUG: the symlink target outside the spool was applied');
  notes.push(`vanishing files: ${vanishedApplied}/70 applied before they vanished, none dead-lettered or left behind${goneWrong.length ? ' (see above)' : ''}`);
  const out = [{ system: 'claude-metrics', sent: items.size, applied: t.applied, deadLettered: deadOk, lost: t.lost, duplicated: t.duplicated, seconds: (Date.now() - t0) / 1000, notes: notes.join('; ') }];
  try {
    out.push(await baseline(ctx, kinds));
  } catch (err) {
    out.push({ system: 'baseline', sent: 0, applied: 0, deadLettered: 0, lost: NaN, duplicated: NaN, seconds: 0, notes: `ERROR: ${err.stack ?? err}` });
  }
  return out;
}

// Baseline: the byte-level broken kinds (it reads stdin, so no file kinds) with 300 valid SessionEnd
// payloads (cost object, distinct session ids) interleaved, each through the Python hook, ≤ 50 at once.
async function baseline(ctx, kinds) {
  const t0 = Date.now();
  const db = path.join(ctx.tmp, 'baseline.db');
  const nValid = 300;
  const valid = (i) => Buffer.from(legacySessionEnd(`bad-bl-valid-${i}`));
  const broken = kinds.filter(([, bytes]) => !expectedValid(bytes));
  const seq = [];
  const every = Math.max(1, Math.floor(nValid / Math.max(1, broken.length)));
  let b = 0;
  for (let i = 0; i < nValid; i++) {
    seq.push(valid(i));
    if (i % every === every - 1 && b < broken.length) seq.push(broken[b++][1]);
  }
  while (b < broken.length) seq.push(broken[b++][1]);
  const codes = await pool(seq.length, 50, (i) => runBaseline(seq[i], db).then((r) => r.code));
  await waitUntil(() => baselineWriters(db).length === 0, 30_000, 50);
  for (const { pid } of baselineWriters(db)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  const rows = readDb(db, (d) => d.prepare('SELECT session_id FROM sessions').all().map((r) => r.session_id), []);
  const applied = rows.filter((sid) => /^bad-bl-valid-\d+$/.test(sid)).length;
  const other = rows.length - applied;
  return {
    system: 'baseline',
    sent: seq.length,
    applied,
    deadLettered: 0,
    lost: nValid - applied,
    duplicated: 0,
    seconds: (Date.now() - t0) / 1000,
    notes:
      `${broken.length} broken byte kinds (the same corpus, judged broken by the same rules; file kinds do not apply: it reads stdin) interleaved with ${nValid} valid SessionEnd payloads ` +
      `(cost object, distinct session ids), each through the Python hook, ≤ 50 at once; hook exits ≠ 0: ${codes.filter((c) => c !== 0).length}. ` +
      `${applied}/${nValid} valid stored. The baseline has no dead letters: broken payloads vanish silently (every exception swallowed, nothing logged or kept); ` +
      `${other} rows came from broken payloads it accepted anyway (e.g. non-string session_id)`,
  };
}
