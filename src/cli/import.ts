// Import: backfills the sessions Claude Code still keeps under <claude dir>/projects by writing
// one payload per session into the spool, where the worker applies it like any hook event
// (reading the transcript and its subagents). Safe to run again: figures are recomputed, not added.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spoolDirs } from '../shared/spool-layout.js';
import { syncIncoming, writePayload } from '../shared/spool-write.js';
import { IMPORT_EVENT } from '../worker/apply.js';

const CWD_PROBE_BYTES = 64 * 1024;

export interface FoundSession {
  sessionId: string;
  transcriptPath: string;
  cwd: string | null;
}

export function defaultClaudeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAUDE_CONFIG_DIR ? path.resolve(env.CLAUDE_CONFIG_DIR) : path.join(os.homedir(), '.claude');
}

/** Every `projects/<project>/<session id>.jsonl` (regular files only), sorted. */
export function findSessions(claudeDir: string): FoundSession[] {
  const projects = path.join(claudeDir, 'projects');
  if (!fs.statSync(projects, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`no Claude Code projects folder at ${projects}`);
  }
  const found: FoundSession[] = [];
  for (const project of fs.readdirSync(projects, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const dir = path.join(projects, project.name);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.jsonl')) continue;
      const transcriptPath = path.join(dir, entry.name);
      found.push({ sessionId: entry.name.slice(0, -'.jsonl'.length), transcriptPath, cwd: probeCwd(transcriptPath) });
    }
  }
  return found.sort((a, b) => a.transcriptPath.localeCompare(b.transcriptPath));
}

/** The session's cwd from the first transcript line that names one (reads at most 64 KiB). */
function probeCwd(file: string): string | null {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(CWD_PROBE_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    for (const line of buf.toString('utf8', 0, n).split('\n')) {
      const m = /"cwd":"((?:[^"\\]|\\.)*)"/.exec(line);
      if (m) return JSON.parse(`"${m[1]}"`) as string;
    }
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

export interface ImportProgress {
  (done: number, total: number): void;
}

/** Spools one Import payload per session; returns the ids written. */
export function spoolImports(spoolRoot: string, sessions: FoundSession[], progress?: ImportProgress): string[] {
  const ids: string[] = [];
  for (const s of sessions) {
    const payload = {
      session_id: s.sessionId,
      transcript_path: s.transcriptPath,
      cwd: s.cwd,
      hook_event_name: IMPORT_EVENT,
      source: 'claude-metrics import',
    };
    ids.push(writePayload(spoolRoot, JSON.stringify(payload), { syncDir: false }));
    progress?.(ids.length, sessions.length);
  }
  if (ids.length > 0) syncIncoming(spoolRoot); // one folder fsync for the lot
  return ids;
}

export interface WaitOutcome {
  /** Ids no longer waiting in incoming/ or processing/ and not in dead/: applied. */
  applied: number;
  deadLettered: number;
  /** Still in incoming/ or processing/ when the wait ended. */
  waiting: number;
}

/** Where each id is now: waiting (incoming/, processing/), dead, or gone (applied and deleted). */
export function spoolOutcome(spoolRoot: string, ids: string[]): WaitOutcome {
  const dirs = spoolDirs(spoolRoot);
  const names = (dir: string): Set<string> => new Set(fs.existsSync(dir) ? fs.readdirSync(dir) : []);
  const waitingNames = new Set([...names(dirs.incoming), ...names(dirs.processing)]);
  const deadNames = names(dirs.dead);
  const outcome: WaitOutcome = { applied: 0, deadLettered: 0, waiting: 0 };
  for (const id of ids) {
    if (waitingNames.has(`${id}.json`)) outcome.waiting++;
    else if (deadNames.has(`${id}.json`)) outcome.deadLettered++;
    else outcome.applied++;
  }
  return outcome;
}

/**
 * Waits until a watching worker has taken every id (polling the spool folders), at most
 * `timeoutMs`; `progress` sees each poll's outcome.
 */
export async function waitForWorker(spoolRoot: string, ids: string[], timeoutMs: number, progress?: (o: WaitOutcome) => void): Promise<WaitOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = spoolOutcome(spoolRoot, ids);
    progress?.(outcome);
    if (outcome.waiting === 0 || Date.now() >= deadline) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
