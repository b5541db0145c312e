// The claim step, run on its own thread (dist/claimer.js): for each name it is sent, claim by
// rename (incoming → processing) and read the claimed file safely, then post the results back.
// Off the main thread because these syscalls cost about as much as the SQL itself; the main
// thread applies one chunk while this one claims the next (claimer.ts owns the protocol).
import { parentPort, workerData } from 'node:worker_threads';
import type { SpoolDirs } from '../shared/spool-layout.js';
import type { ClaimReply, ClaimRequest, ClaimedFile } from './claimer.js';
import { claimPayload, readClaimedPayload } from './spool.js';

const port = parentPort;
if (!port) throw new Error('claimer-thread.ts runs only as a worker thread');
const dirs = (workerData as { dirs: SpoolDirs }).dirs;

/** Claims and reads `names` in order; stops at the first error, which ends the reply. */
function claimChunk(names: readonly string[]): ClaimReply {
  const files: ClaimedFile[] = [];
  const bodies: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    let claimed = false;
    try {
      claimed = claimPayload(dirs, name);
      if (!claimed) {
        files.push({ name, kind: 'lost' });
        continue;
      }
      const read = readClaimedPayload(dirs, name);
      if (read.kind === 'bytes') {
        files.push({ name, kind: 'bytes', start: offset, end: offset + read.bytes.length });
        bodies.push(read.bytes);
        offset += read.bytes.length;
      } else {
        files.push(read.kind === 'rejected' ? { name, kind: 'rejected', reason: read.reason } : { name, kind: 'gone' });
      }
    } catch (err) {
      // A file claimed before its read failed is in processing/: the batch must unclaim it too.
      const e = err as NodeJS.ErrnoException;
      return { files, bytes: pack(bodies, offset), error: { name, claimed, code: e.code, message: e.message } };
    }
  }
  return { files, bytes: pack(bodies, offset) };
}

/** One ArrayBuffer for every body in the chunk, so the reply moves instead of being copied. */
function pack(bodies: readonly Buffer[], total: number): ArrayBuffer {
  const out = new Uint8Array(new ArrayBuffer(total));
  let at = 0;
  for (const b of bodies) {
    out.set(b, at);
    at += b.length;
  }
  return out.buffer;
}

port.on('message', (request: ClaimRequest) => {
  const reply = claimChunk(request.names);
  port.postMessage(reply, [reply.bytes]);
});
