// The hook: step 1 of the pipeline (hook → spool → claim → parse → apply → acknowledge).
// It copies stdin, byte for byte, into spool/incoming/<id>.json with write-file-atomic and
// exits. It never parses, never opens the database and never fails the user's session: every
// failure is one line on stderr and exit code 0. Bundled to dist/hook.cjs so that it starts
// about as fast as `node -e 0` (see bench/).
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot, SPOOL_ENV } from '../shared/config.js';
import { isTerminal, readBoundedStdin } from '../shared/bounded-stdin.js';
import { writePayload } from '../shared/spool-write.js';

/** The worker dead-letters anything over 8 MiB; one byte more is enough to show that. */
export const STDIN_CAP_BYTES = 8 * 1024 * 1024 + 1;
const STDIN_TIMEOUT_MS = Number(process.env.CLAUDE_METRICS_HOOK_TIMEOUT_MS) || 10_000;

function fail(message: string): never {
  try {
    fs.writeSync(2, `claude-metrics-hook: ${message}\n`);
  } finally {
    process.exit(0);
  }
}

function usage(): never {
  fs.writeSync(
    1,
    'Usage: claude-metrics-hook [--spool DIR]\n\n' +
      'Claude Code hook command: copies the event payload on stdin into the spool\n' +
      `(--spool DIR, else $${SPOOL_ENV}, else <package>/spool) and prints {}.\n` +
      'It always exits 0; problems are reported as one line on stderr.\n',
  );
  process.exit(0);
}

function spoolRootFromArgs(argv: string[]): string {
  let flag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') usage();
    else if (arg === '--spool') flag = argv[++i];
    else if (arg.startsWith('--spool=')) flag = arg.slice('--spool='.length);
    else fail(`unknown argument ${JSON.stringify(arg)} (payload not spooled)`);
  }
  if (flag === '') fail('--spool needs a directory (payload not spooled)');
  const fromEnv = process.env[SPOOL_ENV];
  // __filename exists in the CJS bundle; under tsx (tests of this module) argv[1] is the file.
  const self = typeof __filename === 'string' ? __filename : fs.realpathSync(process.argv[1]!);
  return path.resolve(flag ?? (fromEnv ? fromEnv : path.join(packageRoot(self), 'spool')));
}

function main(): void {
  const root = spoolRootFromArgs(process.argv.slice(2));
  if (isTerminal(0)) fail('no payload: stdin is a terminal (Claude Code pipes the event on stdin)');
  readBoundedStdin({ capBytes: STDIN_CAP_BYTES, timeoutMs: STDIN_TIMEOUT_MS }, (bytes, timedOut) => {
    if (bytes.length === 0) {
      fail(timedOut ? `stdin stayed open and empty for ${STDIN_TIMEOUT_MS} ms (payload not spooled)` : 'empty stdin (payload not spooled)');
    }
    try {
      writePayload(root, bytes);
    } catch (err) {
      fail(`cannot write to spool ${root}: ${(err as Error).message} (payload not spooled)`);
    }
    if (timedOut) fs.writeSync(2, `claude-metrics-hook: stdin not closed after ${STDIN_TIMEOUT_MS} ms; spooled the ${bytes.length} bytes read\n`);
    else if (bytes.length >= STDIN_CAP_BYTES) fs.writeSync(2, 'claude-metrics-hook: payload over 8 MiB; spooled its first 8 MiB for the worker to dead-letter\n');
    try {
      fs.writeSync(1, '{}\n');
    } catch {
      // stdout closed by the caller: nothing left to tell it, and the payload is safe.
    }
    process.exit(0);
  }, (err) => fail(`cannot read stdin: ${err.message} (payload not spooled)`));
}

try {
  main();
} catch (err) {
  fail(`unexpected error: ${(err as Error).message} (payload not spooled)`);
}
