#!/usr/bin/env node
// The drain's floor (bench section 2): the file steps the spool protocol requires of any worker
// (list incoming/, claim each payload by rename into processing/, open it O_NOFOLLOW|O_NONBLOCK,
// fstat, read, close, then delete it), in Node, with no database, no parsing, nothing else.
// A worker cannot drain faster than this on the same disk. Two strategies; the bench keeps the
// faster:
//   overlap: claim + read synchronously on the main thread, deletes on libuv's thread pool
//   thread:  claim + read on a worker thread (as the real worker does), deletes on the pool
// Usage: node bench/drain-floor.mjs SPOOL_DIR overlap|thread   (prints the files it handled)
import fs from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const CHUNK = 100;

function claimAndRead(incoming, processing, name, buf) {
  fs.renameSync(`${incoming}/${name}`, `${processing}/${name}`);
  const fd = fs.openSync(`${processing}/${name}`, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new Error(`${name}: not a regular file`);
    return fs.readSync(fd, buf, 0, buf.length, 0);
  } finally {
    fs.closeSync(fd);
  }
}

if (!isMainThread) {
  const { incoming, processing } = workerData;
  const buf = Buffer.allocUnsafe(1 << 16);
  parentPort.on('message', (names) => {
    let bytes = 0;
    for (const name of names) bytes += claimAndRead(incoming, processing, name, buf);
    parentPort.postMessage({ names, bytes });
  });
} else {
  const [spool, strategy = 'thread'] = process.argv.slice(2);
  if (!spool || !['overlap', 'thread'].includes(strategy)) {
    console.error('usage: node bench/drain-floor.mjs SPOOL_DIR overlap|thread');
    process.exit(2);
  }
  const incoming = `${spool}/incoming`;
  const processing = `${spool}/processing`;
  fs.mkdirSync(processing, { recursive: true, mode: 0o700 });
  const names = fs.readdirSync(incoming).filter((n) => n.endsWith('.json')).sort();
  const deletes = [];
  const remove = (chunk) => {
    for (const name of chunk) deletes.push(fs.promises.unlink(`${processing}/${name}`));
  };
  if (strategy === 'overlap') {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (let i = 0; i < names.length; i += CHUNK) {
      const chunk = names.slice(i, i + CHUNK);
      for (const name of chunk) claimAndRead(incoming, processing, name, buf);
      remove(chunk);
    }
  } else {
    const thread = new Worker(new URL(import.meta.url), { workerData: { incoming, processing } });
    await new Promise((resolve, reject) => {
      let next = 0;
      let open = 0;
      const ask = () => {
        while (open < 3 && next < names.length) {
          thread.postMessage(names.slice(next, next + CHUNK));
          next += CHUNK;
          open++;
        }
        if (open === 0) resolve();
      };
      thread.on('message', ({ names: done }) => {
        open--;
        remove(done);
        ask();
      });
      thread.on('error', reject);
      ask();
    });
    await thread.terminate();
  }
  await Promise.all(deletes);
  console.log(`floor ${strategy}: ${names.length} files claimed, read and deleted`);
}
