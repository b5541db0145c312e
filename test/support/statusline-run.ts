// Running the built status line (dist/statusline.cjs) as Claude Code does: a snapshot on stdin,
// in an environment the test controls entirely (no CLAUDE_*, colour or width variables leak in
// from the shell running the tests). Also the snapshot shape seen from the real client.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, type RunResult } from '../helpers.ts';

export const STATUSLINE = path.join(ROOT, 'dist', 'statusline.cjs');

/** The environment without anything that changes the line: the test adds what it wants. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(CLAUDE_|NO_COLOR$|FORCE_COLOR$|COLUMNS$|TERM$|XDG_CONFIG_HOME$|TZ$)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * A time zone where it is now early afternoon (Etc/GMT-N is UTC+N), so that "today" and calls made
 * minutes ago are the same local day whenever the test runs.
 */
export function afternoonZone(now = new Date()): string {
  const offset = 13 - now.getUTCHours();
  return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

export function startStatusline(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [STATUSLINE, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs the status line to its exit with `input` on stdin (closed after it). */
export function runStatusline(input: string | Buffer, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult & { ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = startStatusline(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    // It stops reading at its size cap and exits: the rest of a huge input meets EPIPE.
    child.stdin!.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - started }));
    child.stdin!.end(input);
  });
}

/** A status line snapshot as the real 2.1.332 client sends it (claude-code-facts.md). */
export function snapshot(sessionId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: sessionId,
    transcript_path: `/home/user/.claude/projects/-home-user-p/${sessionId}.jsonl`,
    cwd: '/home/user/p',
    model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet 4.5' },
    workspace: { current_dir: '/home/user/p', project_dir: '/home/user/p', added_dirs: [] },
    version: '2.1.332',
    output_style: { name: 'default' },
    cost: { total_cost_usd: 0.5, total_duration_ms: 12826, total_api_duration_ms: 91, total_lines_added: 12, total_lines_removed: 3 },
    context_window: {
      total_input_tokens: 19200,
      total_output_tokens: 42,
      context_window_size: 200000,
      used_percentage: 10,
      remaining_percentage: 90,
      current_usage: { input_tokens: 1200, output_tokens: 42, cache_creation_input_tokens: 3000, cache_read_input_tokens: 15000 },
    },
    exceeds_200k_tokens: false,
    ...extra,
  };
}

/** The documented `rate_limits` object (Pro/Max plans), resetting at the given instants. */
export function rateLimits(fiveHourPct: number, fiveHourResetMs: number, sevenDayPct: number, sevenDayResetMs: number): Record<string, unknown> {
  return {
    rate_limits: {
      five_hour: { used_percentage: fiveHourPct, resets_at: Math.floor(fiveHourResetMs / 1000) },
      seven_day: { used_percentage: sevenDayPct, resets_at: Math.floor(sevenDayResetMs / 1000) },
    },
  };
}

/** The line without ANSI colours. */
export function plain(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;]*m/g, '');
}
