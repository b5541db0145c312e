// `claude-metrics statusline` / `claude-metrics-statusline`: Claude Code's status line command.
// Reads stdin (capped, time-bounded), spools the bytes unchanged as a `statusline` payload, reads
// the config, the payload and the database (read-only), prints one line and ends the process
// with exit code 0 whatever happened; what went wrong goes to stderr only with --debug (or
// $CLAUDE_METRICS_STATUSLINE_DEBUG). Shared by the lean bundle dist/statusline.cjs and dist/cli.js.
import fs from 'node:fs';
import { isTerminal, readBoundedStdin } from '../shared/bounded-stdin.js';
import { resolveDbPath, resolveSpoolDir } from '../shared/config.js';
import { writePayload } from '../shared/spool-write.js';
import { InvalidConfigError, type UserConfig, emptyConfig, loadUserConfig, resolveConfigFile } from '../shared/user-config.js';
import { readDbFigures } from './db-figures.js';
import { DEFAULT_TEMPLATE, dbNeeds, isField } from './fields.js';
import { statuslineHelp } from './help.js';
import { composeLine, lineFigures } from './line.js';
import type { LoadedBundle } from '../shared/code-cache.js';
import { type StatusPayload, parseStatusPayload } from './payload.js';
import { fieldsOf, parseTemplate } from './template.js';

export const STATUSLINE_DEBUG_ENV = 'CLAUDE_METRICS_STATUSLINE_DEBUG';
export const STATUSLINE_TIMEOUT_ENV = 'CLAUDE_METRICS_STATUSLINE_TIMEOUT_MS';
/** The worker dead-letters payloads over 8 MiB; a stdin reaching one byte more is not spooled. */
const STDIN_CAP_BYTES = 8 * 1024 * 1024 + 1;

export type ColorMode = 'auto' | 'always' | 'never';

/** Milliseconds, for --debug timings (process.hrtime: the `performance` global loads perf_hooks, ~1 ms). */
function msNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface StatuslineArgs {
  spool?: string;
  db?: string;
  format: string;
  color: ColorMode;
  debug: boolean;
  help: boolean;
  /** What could not be understood (reported with --debug; shown as args!). */
  errors: string[];
}

/** Lenient: an unknown option or a bad value is noted and the line still printed. */
export function parseStatuslineArgs(argv: string[]): StatuslineArgs {
  const args: StatuslineArgs = { format: DEFAULT_TEMPLATE, color: 'auto', debug: false, help: false, errors: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const takesValue = ['--spool', '--db', '--format', '--color'].includes(name);
    let value: string | undefined;
    if (takesValue) {
      value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') {
        args.errors.push(`${name} needs a value`);
        continue;
      }
    }
    if (name === '--spool') args.spool = value;
    else if (name === '--db') args.db = value;
    else if (name === '--format') args.format = value!;
    else if (name === '--color') {
      if (value === 'auto' || value === 'always' || value === 'never') args.color = value;
      else args.errors.push(`--color takes auto, always or never, not ${JSON.stringify(value)}`);
    } else if (arg === '--debug') args.debug = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else args.errors.push(`unknown option ${JSON.stringify(arg)}`);
  }
  return args;
}

/** Colours: asked for, or (auto) a terminal-capable run without NO_COLOR. */
export function useColor(mode: ColorMode, env: NodeJS.ProcessEnv, stdoutIsTty: boolean): boolean {
  if (mode !== 'auto') return mode === 'always';
  if (env.NO_COLOR) return false;
  return stdoutIsTty || (env.TERM !== undefined && env.TERM !== '' && env.TERM !== 'dumb');
}

/**
 * COLUMNS when it is a positive number, else a terminal's width, else no limit. (isTerminal, not
 * process.stdout.isTTY: building process.stdout on a pipe loads the net module.)
 */
export function lineWidth(env: NodeJS.ProcessEnv): number | undefined {
  const columns = Number(env.COLUMNS);
  if (Number.isInteger(columns) && columns > 0) return columns;
  return isTerminal(1) ? process.stdout.columns : undefined;
}

function writeOut(fd: number, text: string): void {
  try {
    fs.writeSync(fd, text);
  } catch (err) {
    // The reader went away (EPIPE): there is no one left to show the line to.
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
  }
}

/** Reads stdin unless it is a terminal (someone trying the command by hand). */
function readInput(timeoutMs: number, note: (m: string) => void, done: (bytes: Buffer | null) => void): void {
  if (isTerminal(0)) {
    note('stdin is a terminal: no payload');
    return done(null);
  }
  readBoundedStdin(
    { capBytes: STDIN_CAP_BYTES, timeoutMs },
    (bytes, timedOut) => {
      if (timedOut) note(`stdin not closed after ${timeoutMs} ms: ${bytes.length} bytes read, not spooled`);
      else if (bytes.length >= STDIN_CAP_BYTES) note('stdin over 8 MiB: not spooled, not read');
      else if (bytes.length === 0) note('empty stdin');
      done(timedOut || bytes.length >= STDIN_CAP_BYTES || bytes.length === 0 ? null : bytes);
    },
    (err) => {
      note(`cannot read stdin: ${err.message}`);
      done(null);
    },
  );
}

function loadConfig(note: (m: string) => void, problems: string[]): UserConfig {
  try {
    return loadUserConfig(resolveConfigFile());
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err;
    note(`config: ${err.message}`);
    problems.push('config!');
    return emptyConfig();
  }
}

/** The line for what was read; `selfFile` locates the package (for the default spool). */
function buildLine(args: StatuslineArgs, bytes: Buffer | null, selfFile: string | undefined, note: (m: string) => void): string {
  const env = process.env;
  const problems: string[] = [];
  if (args.errors.length > 0) {
    for (const e of args.errors) note(e);
    problems.push('args!');
  }
  if (bytes !== null) {
    const spool = resolveSpoolDir(args.spool, env, selfFile);
    const started = msNow();
    try {
      writePayload(spool, bytes, { kind: 'statusline' });
      note(`spooled in ${(msNow() - started).toFixed(1)} ms`);
    } catch (err) {
      note(`cannot write to spool ${spool}: ${(err as Error).message} (snapshot not spooled)`);
    }
  }
  let payload: StatusPayload | null = null;
  if (bytes !== null) {
    payload = parseStatusPayload(bytes);
    if (payload === null) note('stdin is not a JSON object');
  }
  const config = loadConfig(note, problems);
  const { template, unknown } = parseTemplate(args.format, isField);
  if (unknown.length > 0) {
    note(`unknown field${unknown.length > 1 ? 's' : ''} in --format: ${unknown.join(', ')}`);
    problems.push('format!');
  }
  const shown = fieldsOf(template);
  const now = new Date();
  const dbStarted = msNow();
  const db = readDbFigures(resolveDbPath(args.db, env), payload?.sessionId ?? null, dbNeeds(shown, config.budgets), now, note);
  note(`database read in ${(msNow() - dbStarted).toFixed(1)} ms`);
  const figures = lineFigures(payload, db, config.budgets, problems, now);
  const width = lineWidth(env);
  const line = composeLine(template, shown, figures, { width, color: useColor(args.color, env, isTerminal(1)) });
  // Nothing known at all (no payload, no database): still a line, never an empty one.
  return line !== '' ? line : NO_FIGURES.slice(0, width);
}

const NO_FIGURES = 'claude-metrics: no figures yet';

/**
 * Runs the status line and ends the process (exit 0). `loaded`: how the bin's loader ran this
 * code (src/shared/code-cache.ts); its cache, when it was not used, is written once the line is out.
 */
export function statuslineCommand(argv: string[], name: string, selfFile: string | undefined, loaded?: Pick<LoadedBundle, 'state' | 'reason' | 'save'>): void {
  const started = msNow();
  const args = parseStatuslineArgs(argv);
  const debug = args.debug || Boolean(process.env[STATUSLINE_DEBUG_ENV]);
  const notes: string[] = [];
  const note = (m: string): void => void notes.push(m);
  if (loaded) note(`code cache ${loaded.state}${loaded.reason ? `: ${loaded.reason}` : ''}`);
  const finish = (line: string): never => {
    writeOut(1, `${line}\n`);
    if (loaded?.save) {
      try {
        note(loaded.save());
      } catch (err) {
        note(`code cache not written: ${(err as Error).message}`);
      }
    }
    if (debug) {
      notes.push(`took ${(msNow() - started).toFixed(1)} ms`);
      writeOut(2, notes.map((n) => `${name}: ${n}\n`).join(''));
    }
    process.exit(0);
  };
  if (args.help) {
    writeOut(1, statuslineHelp(name));
    process.exit(0);
  }
  const timeoutMs = Number(process.env[STATUSLINE_TIMEOUT_ENV]) || 1000;
  readInput(timeoutMs, note, (bytes) => {
    note(`stdin read after ${(msNow() - started).toFixed(1)} ms`);
    let line: string;
    try {
      line = buildLine(args, bytes, selfFile, note);
    } catch (err) {
      note(`unexpected error: ${(err as Error).stack ?? String(err)}`);
      line = 'claude-metrics: error (--debug says why)';
    }
    finish(line);
  });
}
