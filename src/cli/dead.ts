// `claude-metrics dead list | show | retry | purge`: the user's hands on `<spool>/dead/`. Listing and
// reading come from src/shared/dead-letters.ts; this module owns the two changes a user may make:
// retry (rename dead/<id>.json back to incoming/, then delete its reason) and purge (delete both
// files). Every named id is checked before anything is touched: one unknown id changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { resolveSpoolDir } from '../shared/config.js';
import { type DeadLetter, deadIdFromArg, errorFileName, listDeadLetters, readDeadLetter } from '../shared/dead-letters.js';
import { readRegularFile } from '../shared/regular-file.js';
import { type SpoolDirs, spoolDirs } from '../shared/spool-layout.js';

import { EXIT_USAGE, UsageError, parseOptions } from './usage.js';
const DEFAULT_SHOW_BYTES = 64 * 1024;
/** Error files are ours and small; a bound all the same. */
const ERROR_SHOW_BYTES = 1024 * 1024;

const SPOOL_OPTION = '  --spool DIR            spool directory (default: $CLAUDE_METRICS_SPOOL, else <package>/spool)';

export const DEAD_HELP = `Usage: claude-metrics dead <list|show|retry|purge> [options]

Dead letters are payloads the worker can never apply (not JSON, not an object, no usable
session_id, over 8 MiB, not a regular file, or a repeated unexpected error): each is
<spool>/dead/<id>.json with its reason in <spool>/dead/<id>.error.json.

  list [--json]              one line per dead letter: id, received, dead-lettered, size, reason
  show ID [--json]           its reason and its payload (JSON pretty-printed, bounded)
  retry ID... | --all        move back to incoming/ for the worker to try again (after a fix)
  purge ID... | --all        delete the payload and its reason (only those named)

${SPOOL_OPTION}
  --help, -h             show help (also: claude-metrics dead <subcommand> --help)

ID is <id>, <id>.json, <id>.error.json or the path of one of those files in dead/.
Exit codes: 0 done, 1 an ID is not a dead letter (then nothing is changed), 2 usage error.
`;

const LIST_HELP = `Usage: claude-metrics dead list [--json] [--spool DIR]

Lists the dead letters in <spool>/dead/, oldest first: id, when the hook received it (from the
id), when it was dead-lettered, the payload's size and the reason. A payload without its
.error.json, or an .error.json without its payload, is listed too and said to be so.

  --json                 one JSON array: [{id, received_at, dead_lettered_at, reason, attempts,
                         payload_kind, payload_bytes, has_payload, has_reason, problem}]
${SPOOL_OPTION}
  --help, -h             show this help

Exit codes: 0 (also when there are none), 2 usage error.
`;

const SHOW_HELP = `Usage: claude-metrics dead show ID [--json] [--max-bytes N] [--spool DIR]

Prints a dead letter's reason (its .error.json) and its payload: pretty-printed when it is JSON,
else as text with control characters escaped. A symlink is never followed: its target is shown.

  --max-bytes N          show at most N bytes of the payload (default ${DEFAULT_SHOW_BYTES}); says how many were cut
  --json                 {id, received_at, error, payload}: error and payload each null (missing) or
                         {kind, bytes, cut_bytes, json | text | symlink_target}
${SPOOL_OPTION}
  --help, -h             show this help

Exit codes: 0 shown, 1 no such dead letter, 2 usage error.
`;

const RETRY_HELP = `Usage: claude-metrics dead retry ID... | --all [--json] [--spool DIR]

Moves each dead/<id>.json back to incoming/<id>.json (same name), then deletes its .error.json,
so the worker tries it again: fix the payload in dead/ first if it was bad. A running worker
picks it up; otherwise run 'claude-metrics worker --drain'. An .error.json without its payload
cannot be retried (purge it).

  --all                  every dead letter that has a payload
  --json                 {"retried": [ids]}
${SPOOL_OPTION}
  --help, -h             show this help

Exit codes: 0 done, 1 an ID is unknown or cannot be retried (then none is moved), 2 usage error.
`;

const PURGE_HELP = `Usage: claude-metrics dead purge ID... | --all [--json] [--spool DIR]

Deletes dead/<id>.json and dead/<id>.error.json for each ID named (or every dead letter with
--all), and nothing else.

  --all                  every dead letter
  --json                 {"purged": [ids]}
${SPOOL_OPTION}
  --help, -h             show this help

Exit codes: 0 done, 1 an ID is unknown (then nothing is deleted), 2 usage error.
`;

/** A problem with the named dead letters (exit 1): reported on stderr, nothing changed. */
class NotDeadError extends Error {}

export async function deadCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'list':
        return listCommand(rest);
      case 'show':
        return showCommand(rest);
      case 'retry':
        return retryCommand(rest);
      case 'purge':
        return purgeCommand(rest);
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(DEAD_HELP);
        return 0;
      case undefined:
        process.stderr.write(DEAD_HELP);
        return EXIT_USAGE;
      default:
        throw new UsageError(`unknown dead subcommand ${JSON.stringify(sub)} (list, show, retry or purge)`);
    }
  } catch (err) {
    if (err instanceof NotDeadError) {
      process.stderr.write(`claude-metrics dead ${sub}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      // main prints it; point at the subcommand's help.
      throw new UsageError((err as Error).message, sub && ['list', 'show', 'retry', 'purge'].includes(sub) ? `dead ${sub}` : 'dead');
    }
    throw err;
  }
}

function parse(argv: string[], positionals: boolean, extra: Record<string, { type: 'string' | 'boolean' }> = {}) {
  const { values, positionals: args } = parseOptions({
    args: argv,
    strict: true,
    allowPositionals: positionals,
    options: { spool: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...extra },
  });
  return { values: values as Record<string, string | boolean | undefined>, args, dirs: spoolDirs(resolveSpoolDir(values.spool as string | undefined)) };
}

function iso(date: Date | string | null): string {
  if (date === null) return '-';
  const d = typeof date === 'string' ? new Date(date) : date;
  return Number.isNaN(d.getTime()) ? String(date) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What is wrong with the pair itself, if anything. */
function pairProblem(d: DeadLetter): string | null {
  if (!d.payload) return 'no payload: only the .error.json is here';
  if (!d.error) return 'no reason: the payload has no .error.json';
  if (d.error.unreadable) return `unreadable .error.json: ${d.error.unreadable}`;
  return null;
}

function listRow(d: DeadLetter) {
  return {
    id: d.id,
    received_at: d.receivedAt.toISOString(),
    dead_lettered_at: d.error?.dead_lettered_at ?? null,
    reason: d.error?.reason ?? null,
    attempts: d.error?.attempts ?? null,
    payload_kind: d.payload?.kind ?? null,
    payload_bytes: d.payload?.size ?? null,
    has_payload: d.payload !== null,
    has_reason: d.error !== null,
    problem: pairProblem(d),
  };
}

function listCommand(argv: string[]): number {
  const { values, dirs } = parse(argv, false);
  if (values.help) {
    process.stdout.write(LIST_HELP);
    return 0;
  }
  const rows = listDeadLetters(dirs.dead).map(listRow);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write(`no dead letters in ${dirs.dead}\n`);
    return 0;
  }
  const table = [
    ['ID', 'RECEIVED', 'DEAD-LETTERED', 'BYTES', 'REASON'],
    ...rows.map((r) => [
      r.id,
      iso(r.received_at),
      iso(r.dead_lettered_at),
      r.payload_bytes === null ? '-' : `${r.payload_bytes}${r.payload_kind === 'file' ? '' : ` (${r.payload_kind})`}`,
      oneLine(r.problem ? `[${r.problem}]${r.reason ? ` ${r.reason}` : ''}` : (r.reason ?? '-')),
    ]),
  ];
  const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
  for (const row of table) {
    process.stdout.write(`${row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ')}\n`);
  }
  process.stdout.write(`${rows.length} dead letter${rows.length === 1 ? '' : 's'} in ${dirs.dead}\n`);
  return 0;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** The ids named, each checked to be a dead letter; throws NotDeadError listing every bad one. */
function namedDeadLetters(args: string[], dirs: SpoolDirs): DeadLetter[] {
  const found = new Map<string, DeadLetter>();
  const bad: string[] = [];
  for (const arg of args) {
    const id = deadIdFromArg(arg, dirs.dead);
    const d = id === null ? null : readDeadLetter(dirs.dead, id);
    if (d === null) bad.push(`${JSON.stringify(arg)} is not a dead letter in ${dirs.dead}`);
    else found.set(d.id, d);
  }
  if (bad.length > 0) throw new NotDeadError(bad.join('\n'));
  return [...found.values()];
}

/** Control characters other than newline and tab, escaped so a payload cannot drive the terminal. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

interface ShownPayload {
  kind: string;
  bytes: number | null;
  cut_bytes: number;
  json?: unknown;
  text?: string;
  symlink_target?: string;
}

function showPayload(file: string, maxBytes: number): ShownPayload | null {
  let read;
  try {
    read = readRegularFile(file, maxBytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (read.kind === 'symlink') return { kind: 'symlink', bytes: null, cut_bytes: 0, symlink_target: fs.readlinkSync(file) };
  if (read.kind !== 'file') return { kind: read.kind, bytes: null, cut_bytes: 0 };
  const text = read.bytes.toString('utf8');
  if (read.cut === 0) {
    try {
      return { kind: 'file', bytes: read.size, cut_bytes: 0, json: JSON.parse(text) as unknown };
    } catch {
      // not JSON: shown as text
    }
  }
  return { kind: 'file', bytes: read.size, cut_bytes: read.cut, text };
}

function showCommand(argv: string[]): number {
  const { values, args, dirs } = parse(argv, true, { 'max-bytes': { type: 'string' } });
  if (values.help) {
    process.stdout.write(SHOW_HELP);
    return 0;
  }
  if (args.length !== 1) throw new UsageError('dead show takes exactly one ID');
  const maxText = values['max-bytes'] as string | undefined;
  const maxBytes = maxText === undefined ? DEFAULT_SHOW_BYTES : Number(maxText);
  if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new UsageError(`--max-bytes takes a whole number, not ${JSON.stringify(maxText)}`);
  const [d] = namedDeadLetters(args, dirs);
  const id = d!.id;
  const payloadFile = path.join(dirs.dead, `${id}.json`);
  const errorFile = path.join(dirs.dead, errorFileName(id));
  const payload = showPayload(payloadFile, maxBytes);
  const error = showPayload(errorFile, ERROR_SHOW_BYTES);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ id, received_at: d!.receivedAt.toISOString(), error, payload }, null, 2)}\n`);
    return 0;
  }
  const out = [`dead letter ${id} (received ${d!.receivedAt.toISOString()})`, ''];
  out.push(...describe(error, errorFile, `none: the payload has no ${errorFileName(id)} beside it`), '');
  out.push(...describe(payload, payloadFile, `none: ${id}.json is not in dead/ (only its reason is)`));
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

/** A shown file as text lines: a heading saying what it is, then its content when it was read. */
function describe(shown: ShownPayload | null, file: string, missing: string): string[] {
  if (shown === null) return [`${path.basename(file)}: ${missing}`];
  if (shown.kind === 'symlink') return [`${file}: a symlink to ${JSON.stringify(shown.symlink_target)} (never followed, not read)`];
  if (shown.kind !== 'file') return [`${file}: a ${shown.kind}, not a regular file (not read)`];
  const as = shown.json !== undefined ? 'JSON' : shown.cut_bytes > 0 ? 'cut, shown as text' : 'not JSON, shown as text';
  const lines = [`${file} (${shown.bytes} bytes, ${as}):`];
  lines.push(shown.json !== undefined ? JSON.stringify(shown.json, null, 2) : printable(shown.text ?? ''));
  if (shown.cut_bytes > 0) {
    lines.push(`… ${shown.cut_bytes} bytes cut (showing ${shown.bytes! - shown.cut_bytes} of ${shown.bytes}; --max-bytes shows more)`);
  }
  return lines;
}

/** The dead letters a retry or purge acts on: the named ones, or all of them with --all. */
function targets(values: Record<string, unknown>, args: string[], dirs: SpoolDirs, verb: string): DeadLetter[] {
  if (values.all && args.length > 0) throw new UsageError(`dead ${verb}: give IDs or --all, not both`);
  if (!values.all && args.length === 0) throw new UsageError(`dead ${verb} needs at least one ID, or --all`);
  return values.all ? listDeadLetters(dirs.dead) : namedDeadLetters(args, dirs);
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function retryCommand(argv: string[]): number {
  const { values, args, dirs } = parse(argv, true, { all: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(RETRY_HELP);
    return 0;
  }
  let chosen = targets(values, args, dirs, 'retry');
  const skipped = chosen.filter((d) => d.payload === null);
  if (values.all) chosen = chosen.filter((d) => d.payload !== null);
  else {
    const problems = [
      ...skipped.map((d) => `${d.id} has no payload in dead/, only its reason: nothing to retry (purge it)`),
      ...chosen
        .filter((d) => fs.lstatSync(path.join(dirs.incoming, `${d.id}.json`), { throwIfNoEntry: false }))
        .map((d) => `${d.id}.json is already in incoming/: not overwriting it`),
    ];
    if (problems.length > 0) throw new NotDeadError(problems.join('\n'));
  }
  if (chosen.length > 0) fs.mkdirSync(dirs.incoming, { recursive: true, mode: 0o700 });
  const retried: string[] = [];
  for (const d of chosen) {
    const target = path.join(dirs.incoming, `${d.id}.json`);
    // With --all, one already waiting in incoming/ is left where it is rather than overwritten.
    if (fs.lstatSync(target, { throwIfNoEntry: false })) continue;
    // The payload first, then its reason: a crash in between leaves a reason without a payload
    // (listed as such), never a dead payload without its reason.
    fs.renameSync(path.join(dirs.dead, `${d.id}.json`), target);
    fs.rmSync(path.join(dirs.dead, errorFileName(d.id)), { force: true });
    retried.push(d.id);
  }
  if (retried.length > 0) {
    fsyncDir(dirs.incoming);
    fsyncDir(dirs.dead);
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ retried, skipped_without_payload: values.all ? skipped.map((d) => d.id) : [] })}\n`);
  else {
    process.stdout.write(`retried ${retried.length}\n`);
    if (values.all && skipped.length > 0) {
      process.stdout.write(`left ${skipped.length} .error.json without a payload in dead/ (see 'claude-metrics dead list'; purge them)\n`);
    }
    if (retried.length > 0) process.stdout.write("a running worker applies them (or run 'claude-metrics worker --drain')\n");
  }
  return 0;
}

function purgeCommand(argv: string[]): number {
  const { values, args, dirs } = parse(argv, true, { all: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(PURGE_HELP);
    return 0;
  }
  const chosen = targets(values, args, dirs, 'purge');
  for (const d of chosen) {
    // The payload first, then its reason: a crash in between never leaves a payload without its reason.
    // A directory dead-lettered as `<id>.json` goes with its contents (symlinks in it are not followed).
    fs.rmSync(path.join(dirs.dead, `${d.id}.json`), { force: true, recursive: d.payload?.kind === 'directory' });
    fs.rmSync(path.join(dirs.dead, errorFileName(d.id)), { force: true });
  }
  if (chosen.length > 0) fsyncDir(dirs.dead);
  const purged = chosen.map((d) => d.id);
  if (values.json) process.stdout.write(`${JSON.stringify({ purged })}\n`);
  else process.stdout.write(`purged ${purged.length}\n`);
  return 0;
}
