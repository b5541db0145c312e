// Live updates: while at least one page listens (Server-Sent Events on /api/live), the read-only
// connection's `PRAGMA data_version` is polled every 500 ms; it changes whenever another
// connection (the worker) commits, and each change is sent to every page as an `change` event,
// which refetches what it shows. No polling while nobody listens; a comment line every 15 s
// keeps proxies and idle timers from closing the stream.
import type { ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';

export const POLL_MS = 500;
const KEEPALIVE_MS = 15_000;

export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  private version: number;
  /** Bumped on each change seen; what the pages are sent. */
  private changes = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly onError: (err: Error) => void,
  ) {
    this.version = this.read();
  }

  private read(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** The current change count (for /api/version). Polls once, so it is fresh even with no listener. */
  current(): number {
    this.poll();
    return this.changes;
  }

  private poll(): void {
    let v: number;
    try {
      v = this.read();
    } catch (err) {
      this.onError(err as Error);
      return;
    }
    if (v === this.version) return;
    this.version = v;
    this.changes++;
    for (const res of this.clients) res.write(`event: change\ndata: ${this.changes}\n\n`);
  }

  /** Takes over a response as an event stream until the page goes away or the feed closes. */
  attach(res: ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(`retry: 1000\nevent: hello\ndata: ${this.changes}\n\n`);
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopTimers();
    });
    if (this.timer === null) {
      this.version = this.read();
      this.timer = setInterval(() => this.poll(), POLL_MS);
      this.keepalive = setInterval(() => {
        for (const c of this.clients) c.write(': keepalive\n\n');
      }, KEEPALIVE_MS);
    }
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.keepalive) clearInterval(this.keepalive);
    this.timer = null;
    this.keepalive = null;
  }

  close(): void {
    this.stopTimers();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
