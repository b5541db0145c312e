// A stand-in claimer thread for test/claimer.test.ts: answers every request with "lost" for each
// name, except that a request naming "die" ends the thread (exit code 7) without answering.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ names }) => {
  if (names.includes('die')) process.exit(7);
  const bytes = new ArrayBuffer(0);
  parentPort.postMessage({ files: names.map((name) => ({ name, kind: 'lost' })), bytes }, [bytes]);
});
