// Failure classes: decides whether an error means "try again later" (transient), "this worker
// cannot go on" (fatal), or "something unexpected about this payload" (counted, then dead-lettered).

export type FailureClass = 'transient' | 'fatal' | 'unexpected';

const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|PROTOCOL|INTERRUPT|NOMEM)/;
const FATAL_SQLITE = /^SQLITE_(READONLY|CANTOPEN|CORRUPT|NOTADB|PERM|AUTH)/;
const TRANSIENT_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'ENOMEM', 'ETIMEDOUT']);
const FATAL_ERRNO = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR']);

export function classifyFailure(err: unknown): FailureClass {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'unexpected';
  if (TRANSIENT_SQLITE.test(code) || TRANSIENT_ERRNO.has(code)) return 'transient';
  if (FATAL_SQLITE.test(code) || FATAL_ERRNO.has(code)) return 'fatal';
  return 'unexpected';
}

export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

/** Exponential backoff with full jitter in [base·2^n / 2, base·2^n], capped. */
export function backoffDelayMs(attempt: number, baseMs = 50, capMs = 5000, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
