// Time zones for the reports without Intl's start-up cost: the first Intl.DateTimeFormat (or
// NumberFormat) of a process loads ICU's locale data, ~15-20 ms, as much as starting Node. Names
// are checked against the system's time zone files (a TZif file under $TZDIR or
// /usr/share/zoneinfo), with Intl only when those are missing; local times come from Date, whose
// local zone is process.env.TZ, set for the duration of a synchronous call (withZone) and put back.

import fs from 'node:fs';
import path from 'node:path';

const UTC_ALIASES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu']);
/** Files in the zoneinfo folder that are no zone of their own (or that ICU may not know). */
const NOT_ZONES = /^(posix|right)\/|^(localtime|posixrules|Factory)$/;
const NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

function zoneinfoDir(): string {
  return process.env.TZDIR || '/usr/share/zoneinfo';
}

/** Whether `name` is a zone the system's time zone files hold (a TZif file). */
function inZoneinfo(name: string): boolean {
  if (!NAME.test(name) || NOT_ZONES.test(name)) return false;
  let fd: number;
  try {
    fd = fs.openSync(path.join(zoneinfoDir(), name), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR' || (err as NodeJS.ErrnoException).code === 'EISDIR') return false;
    throw err;
  }
  try {
    const magic = Buffer.alloc(4);
    return fs.readSync(fd, magic, 0, 4, 0) === 4 && magic.toString('latin1') === 'TZif';
  } finally {
    fs.closeSync(fd);
  }
}

/** Intl's answer (slow on first use): the canonical name, or null when it knows no such zone. */
function intlZone(name: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}

/** The name of a time zone as reports show it ('UTC' for its aliases), or null when it is unknown. */
export function checkTimeZone(name: string): string | null {
  if (UTC_ALIASES.has(name)) return 'UTC';
  if (inZoneinfo(name)) return name;
  return intlZone(name);
}

/** The system's time zone: $TZ when it names a zone, else what /etc/localtime links to, else Intl's. */
export function systemTimeZone(): string {
  const tz = process.env.TZ;
  if (tz !== undefined && tz !== '') {
    const named = checkTimeZone(tz.startsWith(':') ? tz.slice(1) : tz);
    if (named !== null && (UTC_ALIASES.has(named) || NAME.test(named))) return named;
  } else {
    let target: string | null = null;
    try {
      target = fs.readlinkSync('/etc/localtime');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EINVAL' && code !== 'ENOTSUP') throw err;
    }
    const at = target?.lastIndexOf('zoneinfo/') ?? -1;
    if (target && at >= 0) {
      const named = checkTimeZone(target.slice(at + 'zoneinfo/'.length));
      if (named !== null) return named;
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

let current: string | null = null;

/**
 * Runs `fn` with Date's local time in `timeZone` (process.env.TZ, which Node applies at once), then
 * puts $TZ back. Synchronous, so nothing else runs in between; calls nest at no cost.
 */
export function withZone<T>(timeZone: string, fn: () => T): T {
  if (current === timeZone) return fn();
  const saved = process.env.TZ;
  const outer = current;
  process.env.TZ = timeZone;
  current = timeZone;
  try {
    return fn();
  } finally {
    current = outer;
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

/** Seconds to add to UTC for local time at an instant, in the zone withZone set (e.g. 3600 in Paris in winter). */
export function offsetNow(epochMs: number): number {
  return Math.round(-new Date(epochMs).getTimezoneOffset() * 60);
}
