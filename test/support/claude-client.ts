// The real Claude Code client the end-to-end tests drive: the pinned npm package's native binary,
// a check that fails loudly (never skips) when it cannot run here, a clean environment, and where
// it files a working folder's transcripts. Shared by test/claude-e2e.test.ts (`claude -p`) and
// test/statusline-e2e.test.ts (interactive, under tmux).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.ts';

export const CLAUDE_VERSION = '2.1.332';
const CLAUDE_PACKAGE = path.join(ROOT, 'node_modules', '@anthropic-ai', 'claude-code');
// The package's bin is bin/claude.exe on every platform: its postinstall puts the native binary there.
export const CLAUDE_BIN = path.join(CLAUDE_PACKAGE, 'bin', 'claude.exe');

/** Fails loudly when the pinned binary is missing or cannot start here: never a skip. */
export function assertClaudeRuns(env: NodeJS.ProcessEnv): void {
  const where = `${process.platform}-${process.arch}`;
  const size = fs.existsSync(CLAUDE_BIN) ? fs.statSync(CLAUDE_BIN).size : -1;
  if (size < 0) {
    throw new Error(
      `CLAUDE CODE BINARY MISSING on ${where}: ${CLAUDE_BIN} does not exist. Run \`npm ci\` ` +
        `(the dev dependency @anthropic-ai/claude-code@${CLAUDE_VERSION} brings it from the npm registry).`,
    );
  }
  const r = spawnSync(CLAUDE_BIN, ['--version'], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0 || !r.stdout.includes(CLAUDE_VERSION)) {
    throw new Error(
      `CLAUDE CODE ${CLAUDE_VERSION} CANNOT RUN ON THIS PLATFORM (${where}): \`${CLAUDE_BIN} --version\` ` +
        `gave status=${r.status} signal=${r.signal} error=${r.error?.message ?? 'none'} (file size ${size} bytes: ` +
        `a placeholder under 4 KiB means the package's postinstall did not place the native binary; ` +
        `"allowScripts" in package.json must allow @anthropic-ai/claude-code)\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
}

/** This process's environment without the caller's Claude Code, Anthropic or claude-metrics settings, HOME set. */
export function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(CLAUDE|ANTHROPIC|OTEL_|CLAUDE_METRICS_)/i.test(k)) env[k] = v;
  }
  env.HOME = home;
  return env;
}

/** The project folder Claude Code files a cwd's transcripts under. */
export function projectDir(home: string, cwd: string): string {
  return path.join(home, '.claude', 'projects', cwd.replace(/[^a-zA-Z0-9]/g, '-'));
}
