// Usage errors: a command throws UsageError for arguments it cannot take; main.ts (or
// report-main.ts) prints the message with a pointer to --help and exits 2 (usageExit). Every command parses its options through
// parseOptions, so a mistyped option reads the same everywhere:
//   claude-metrics report: unknown option --sinse (did you mean --since?)
import { type ParseArgsConfig, parseArgs } from 'node:util';

export const EXIT_USAGE = 2;

export class UsageError extends Error {
  /** The command whose --help the message points at, e.g. 'dead retry' (else the one that ran). */
  constructor(
    message: string,
    readonly helpFor?: string,
  ) {
    super(message);
  }
}

/**
 * A usage error (UsageError, or parseArgs' own) printed with a pointer to the --help of the
 * command it names (else `command`, the one that ran) and exit code 2; anything else thrown again.
 */
export function usageExit(err: unknown, command: string | undefined): number {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    const helpFor = (err instanceof UsageError && err.helpFor) || command;
    const name = `claude-metrics${helpFor ? ` ${helpFor}` : ''}`;
    process.stderr.write(`${name}: ${(err as Error).message}\nRun '${name} --help' for usage.\n`);
    return EXIT_USAGE;
  }
  throw err;
}

/** The process's exit code from a command's: its own, or 1 with the error's stack on stderr. */
export function exitWith(code: Promise<number>): void {
  code.then(
    (c) => {
      process.exitCode = c;
    },
    (err: unknown) => {
      process.stderr.write(`claude-metrics: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/** node:util's parseArgs, with its errors turned into UsageErrors a person can act on. */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw usageErrorOf(err, Object.keys(config.options ?? {}));
  }
}

/** A parseArgs error as a UsageError; anything else is returned as it is. */
export function usageErrorOf(err: unknown, known: string[]): unknown {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /Unknown option '([^']+)'/.exec(message)?.[1] ?? message;
    const suggestion = closest(option.replace(/^-+/, ''), known);
    return new UsageError(`unknown option ${option}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const missing = /Option '(-\S+)(?:, -\S+)? <value>' argument missing/.exec(message);
    if (missing) return new UsageError(`${missing[1]} needs a value`);
    const extra = /Option '(-\S+)' does not take an argument/.exec(message);
    if (extra) return new UsageError(`${extra[1]} takes no value`);
    return new UsageError(message);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /Unexpected argument '([^']*)'/.exec(message)?.[1];
    return new UsageError(arg === undefined ? message : `unexpected argument ${JSON.stringify(arg)}`);
  }
  return err;
}

/** The known word nearest to `word` (edit distance ≤ 2, and less than half its length), if any. */
export function closest(word: string, known: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== null && best.startsWith(word) && word.length >= 2) return best; // --dr → --drain
  return best !== null && bestDistance <= Math.min(2, Math.floor(Math.max(word.length, 1) / 2)) ? best : null;
}

/** Damerau–Levenshtein (optimal string alignment): a swapped pair of letters is one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[rows - 1]![cols - 1]!;
}
