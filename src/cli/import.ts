// Import: backfills the sessions Claude Code still keeps under <claude dir>/projects by writing
// one payload per session into the spool, where the worker applies it like any hook event
// (reading the transcript and its subagents). Safe to run again: figures are recomputed, not added.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/** Spools one Import payload per session; returns how many were written. */
export function spoolImports(spoolRoot: string, sessions: FoundSession[], progress?: ImportProgress): number {
  let written = 0;
  for (const s of sessions) {
    const payload = {
      session_id: s.sessionId,
      transcript_path: s.transcriptPath,
      cwd: s.cwd,
      hook_event_name: IMPORT_EVENT,
      source: 'claude-metrics import',
    };
    writePayload(spoolRoot, JSON.stringify(payload), { syncDir: false });
    written++;
    progress?.(written, sessions.length);
  }
  if (written > 0) syncIncoming(spoolRoot); // one folder fsync for the lot
  return written;
}
