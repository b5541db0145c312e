// End to end with the real interactive client: Claude Code (the pinned npm package) runs under
// tmux, where it draws its status line, in a temporary HOME set up by `claude-metrics install
// --statusline`, against the loopback Messages API stand-in, with a worker watching the spool.
// The status line must appear on the screen (`tmux capture-pane`) with the session's exact cost;
// after the session, `statusline_samples` holds its snapshots (fewer rows than status line runs:
// unchanged snapshots add none), `total_duration_ms` > 0, and `reported_cost_usd` equals the last
// snapshot's `cost.total_cost_usd` and our transcript cost (a priced model) to 1e-9.
//
// CM_E2E_CAPTURE=FILE writes the screen with the answer and the status line to FILE (the README's
// capture comes from there). When tmux or the client cannot run here the test fails, saying so.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, query, waitUntil } from './helpers.ts';
import { CLAUDE_BIN, CLAUDE_VERSION, assertClaudeRuns, cleanEnv } from './support/claude-client.ts';
import { type MessagesApi, startMessagesApi } from './support/messages-api.ts';

const API_KEY = 'sk-ant-e2e-statusline-0123456789abcdef';
// One answer with round, large usage, so that the session's cost reads clearly on the screen:
// 6,000 × $3 + 20,000 × $15 + 40,000 × $3.75 + 60,000 × $0.30 per million = $0.486 (Sonnet 4.5),
// and 106,000 tokens of a 200,000 window in context.
const USAGE = { input_tokens: 6_000, output_tokens: 20_000, cache_creation_input_tokens: 40_000, cache_read_input_tokens: 60_000 };
const EXPECTED_COST = (6_000 * 3 + 20_000 * 15 + 40_000 * 3.75 + 60_000 * 0.3) / 1e6;

function tmux(socket: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

test(`real Claude Code ${CLAUDE_VERSION}, interactive under tmux: our status line on screen, its snapshots in the database`, { timeout: 150_000 }, async (t) => {
  const version = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  assert.equal(version.status, 0, `tmux must be installed (apt-get install tmux): ${version.error ?? version.stderr}`);

  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cm-sl-e2e-')));
  const cleanups: Array<() => unknown> = [() => (process.env.CM_E2E_KEEP ? console.error(`kept ${dir}`) : fs.rmSync(dir, { recursive: true, force: true }))];
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  const home = path.join(dir, 'home');
  const project = path.join(dir, 'project');
  const spool = path.join(dir, 'spool');
  const db = path.join(dir, 'metrics.db');
  fs.mkdirSync(path.join(home, '.claude'), { recursive: true });
  fs.mkdirSync(project);
  const env = cleanEnv(home);
  assertClaudeRuns(env);

  // The user's set-up: the hook and the status line, by our installer.
  const installed = spawnSync(process.execPath, [CLI, 'install', '--statusline', '--spool', spool, '--db', db], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(installed.status, 0, `install --statusline: ${installed.stdout}${installed.stderr}`);
  const settingsFile = path.join(home, '.claude', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  assert.equal(settings.statusLine?.type, 'command', JSON.stringify(settings));
  assert.match(settings.statusLine.command, /statusline\.cjs/);
  // A 1 s refresh (a documented setting users add): the idle seconds run the status line again
  // and again with nothing changed, which must add no sample.
  settings.statusLine.refreshInterval = 1;
  // Each run also leaves a line in runs.log (the worker keeps one ledger row per session for
  // status line snapshots, so the database cannot say how often it ran); stdin reaches ours.
  const runsLog = path.join(dir, 'runs.log');
  settings.statusLine.command = `echo run >> '${runsLog}'; ${settings.statusLine.command}`;
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  // The client's own state: onboarding done, this API key approved, the folder trusted.
  fs.writeFileSync(
    path.join(home, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      lastOnboardingVersion: CLAUDE_VERSION,
      customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
      projects: { [project]: { hasTrustDialogAccepted: true } },
    }),
  );

  const apiLog: string[] = [];
  const api: MessagesApi = await startMessagesApi({
    scripts: { sl: { label: 'sl', turns: [{ content: [{ type: 'text', text: 'Hello from the stand-in.' }], usage: USAGE }] } },
    log: (l) => apiLog.push(l),
  });
  cleanups.push(() => api.close());

  const worker: ChildProcess = spawn(process.execPath, [CLI, 'worker', '--spool', spool, '--db', db, '--rescan-ms', '500'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let workerErr = '';
  worker.stderr!.on('data', (d: Buffer) => (workerErr += d.toString()));
  const workerExited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => worker.on('exit', (code, signal) => resolve({ code, signal })));
  cleanups.push(() => {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  });
  await waitUntil(() => workerErr.includes('worker ready'), 20_000, () => `the worker to start: ${workerErr}`);

  // The client in a 150×40 tmux window of our own tmux server.
  const socket = `cm-sl-${process.pid}`;
  cleanups.push(() => tmux(socket, 'kill-server'));
  const clientEnv = {
    HOME: home,
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: API_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    IS_SANDBOX: '1',
  };
  const started = spawnSync(
    'tmux',
    ['-L', socket, 'new-session', '-d', '-s', 'e2e', '-x', '150', '-y', '40', '-c', project, ...Object.entries(clientEnv).flatMap(([k, v]) => ['-e', `${k}=${v}`]), `${CLAUDE_BIN} --model claude-sonnet-4-5`],
    { env, encoding: 'utf8' },
  );
  assert.equal(started.status, 0, `tmux new-session: ${started.stderr}`);
  const screen = (): string => tmux(socket, 'capture-pane', '-p', '-t', 'e2e').stdout;
  const diagnostics = () => `\nscreen:\n${screen()}\nstand-in log:\n${apiLog.join('\n')}\nworker stderr:\n${workerErr}`;

  // Before the first prompt: the prompt and our line (the model, no cost yet).
  await waitUntil(() => /❯/.test(screen()) && /Sonnet 4\.5 \| session/.test(screen()), 40_000, () => `the client's prompt and our status line${diagnostics()}`);
  assert.equal(tmux(socket, 'send-keys', '-t', 'e2e', '[e2e:sl] say hello', 'Enter').status, 0);
  await waitUntil(() => screen().includes('Hello from the stand-in.'), 40_000, () => `the answer${diagnostics()}`);
  // The status line with the session's exact cost: from the database once the worker has applied
  // the Stop hook (the figure without '~', which would mark Claude Code's own estimate).
  const exactLine = /Sonnet 4\.5 \| session \$0\.49 \| today \$0\.49 \| block \$0\.49 4h\d\dm left \| ctx 5\d%/;
  await waitUntil(() => exactLine.test(screen()), 40_000, () => `the status line with the session's exact cost${diagnostics()}`);
  const captured = screen();
  if (process.env.CM_E2E_CAPTURE) fs.writeFileSync(process.env.CM_E2E_CAPTURE, captured.replace(/\s+$/gm, '').replace(/\n{3,}/g, '\n\n'));
  // Idle a few refreshes, then leave.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal(tmux(socket, 'send-keys', '-t', 'e2e', '/exit', 'Enter').status, 0);
  await waitUntil(() => tmux(socket, 'has-session', '-t', 'e2e').status !== 0, 30_000, () => `the client to exit${diagnostics()}`);

  const sessionId = query<{ session_id: string }>(db, "SELECT session_id FROM payloads WHERE event = 'SessionStart'")[0]?.session_id;
  assert.ok(sessionId, `a SessionStart was applied${diagnostics()}`);
  const spoolBusy = () => ['incoming', 'processing'].some((sub) => fs.existsSync(path.join(spool, sub)) && fs.readdirSync(path.join(spool, sub)).some((f) => f.endsWith('.json')));
  await waitUntil(
    () => !spoolBusy() && query(db, "SELECT 1 FROM payloads WHERE event = 'SessionEnd' AND session_id = ?", sessionId).length === 1,
    30_000,
    () => `the worker to apply everything up to SessionEnd${diagnostics()}`,
  );
  assert.deepEqual(fs.existsSync(path.join(spool, 'dead')) ? fs.readdirSync(path.join(spool, 'dead')) : [], [], 'nothing dead-lettered');

  const runs = fs.readFileSync(runsLog, 'utf8').split('\n').filter((l) => l === 'run').length;
  const samples = query<Record<string, unknown>>(db, 'SELECT * FROM statusline_samples WHERE session_id = ? ORDER BY sampled_at', sessionId);
  assert.ok(runs >= 5, `the status line ran at every turn and every second (${runs} runs)`);
  assert.ok(samples.length >= 2 && samples.length < runs, `${samples.length} samples for ${runs} status line runs: a new row only when a value changed`);
  const ledger = query<{ n: number }>(db, "SELECT count(*) AS n FROM payloads WHERE event = 'StatusLine' AND session_id = ?", sessionId)[0]!.n;
  assert.equal(ledger, 1, 'one ledger row for the session\'s snapshots: an idle status line adds nothing');
  const last = samples[samples.length - 1]!;
  assert.equal(last.client_version, CLAUDE_VERSION);
  assert.equal(last.model_id, 'claude-sonnet-4-5');
  const row = query<Record<string, number | string | null>>(db, 'SELECT * FROM sessions WHERE session_id = ?', sessionId)[0]!;
  assert.equal(row.cost_source, 'transcript');
  assert.equal(row.reported_source, 'statusline');
  assert.ok((row.total_duration_ms as number) > 0, `total_duration_ms ${row.total_duration_ms}`);
  assert.ok((row.total_api_duration_ms as number) > 0, `total_api_duration_ms ${row.total_api_duration_ms}`);
  assert.equal(row.reported_cost_usd, last.total_cost_usd, "reported_cost_usd is the last snapshot's cost.total_cost_usd");
  assert.ok(Math.abs((row.total_cost_usd as number) - EXPECTED_COST) < 1e-9, `our transcript cost ${row.total_cost_usd} vs ${EXPECTED_COST}`);
  assert.ok(Math.abs((row.reported_cost_usd as number) - (row.total_cost_usd as number)) < 1e-9, `Claude Code says ${row.reported_cost_usd}, we say ${row.total_cost_usd}`);

  worker.kill('SIGTERM');
  assert.deepEqual(await workerExited, { code: 0, signal: null }, `the worker stops cleanly: ${workerErr}`);
  assert.doesNotMatch(workerErr, /^\S+ (error|warn) /m, 'the worker logged no warning or error');
});
