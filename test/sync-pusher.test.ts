// The pusher's timing (src/sync/pusher.ts) without a server: pushNow is replaced by a stand-in that
// records when it runs. A local change is pushed within the settle time even while changes keep
// coming (a worker committing a batch every 100 ms must not put the push back until they stop),
// and a change committed near the end of a push is pushed after it, not at the next poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../src/shared/log.ts';
import type { PushResult } from '../src/sync/push.ts';
import { Pusher } from '../src/sync/pusher.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class TimedPusher extends Pusher {
  readonly pushes: number[] = [];
  pushMs = 0;
  override async pushNow(): Promise<PushResult> {
    this.pushes.push(performance.now());
    await sleep(this.pushMs);
    return { rows: 0, batches: 0, cursor: 0, restarted: false };
  }
}

function timedPusher(settleMs: number): TimedPusher {
  const url = 'postgresql://nobody@127.0.0.1:1/none';
  return new TimedPusher({
    target: { url, shown: url, machine: 'm', developer: 'd' },
    dbFile: '/nonexistent/metrics.db',
    clientVersion: 'test',
    log: createLogger('error'),
    settleMs,
    pollMs: 60_000,
    writeState: false,
  });
}

test('changes that keep coming every 100 ms are pushed every settle time (200 ms), not once they stop', async () => {
  const p = timedPusher(200);
  p.start(); // a first push at once
  await sleep(50);
  const from = performance.now();
  for (let i = 0; i < 20; i++) {
    p.notify();
    await sleep(100);
  }
  const during = p.pushes.filter((t) => t > from).length;
  await p.stop();
  // About 10 at 200 ms; before the fix, none (each notify put the push back by 200 ms).
  assert.ok(during >= 3, `pushes while a change came every 100 ms for 2 s: ${during}`);
});

test('a change committed near the end of a push is pushed after it, not at the next poll (60 s here)', async () => {
  const p = timedPusher(200);
  p.pushMs = 300;
  p.start(); // the first push, 300 ms long
  await sleep(200);
  p.notify(); // 100 ms before that push ends: its settle time runs past the end of the push
  await sleep(1200);
  await p.stop();
  assert.equal(p.pushes.length, 2, `pushes: ${p.pushes.length} (the second one is due ~400 ms after the start)`);
});
