// `npm start`: the main job in one command, from a fresh clone after `npm ci`.
//   1. a Node >= 22 to run on: this one, or the pinned Node 24 from the npm registry (.node/);
//   2. dist/ built if it is missing;
//   3. `claude-metrics install`: the hook in Claude Code's settings.json (backed up first, every
//      other key and hook kept), running on that Node;
//   4. `claude-metrics worker` in the foreground, until Ctrl+C (SIGINT) or SIGTERM.
// Options after `--` go to the worker (`npm start -- --db FILE --spool DIR`); --spool also goes
// to install, so that the hook and the worker agree on it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureSupportedNode, ROOT } from './node-runtime.mjs';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`Usage: npm start [-- --spool DIR] [-- --db FILE] [worker options]

Registers the claude-metrics hook in Claude Code's settings (claude-metrics install, which backs
them up first), then runs the worker in the foreground until Ctrl+C. Options go to the worker;
--spool also to install. Runs on this Node when it is 22 or newer, else on Node 24 taken from
the npm registry into .node/. To run the worker as a service instead: claude-metrics install --service`);
  process.exit(0);
}

let node;
try {
  node = ensureSupportedNode();
} catch (err) {
  console.error(`npm start: ${err.message}`);
  process.exit(1);
}
const cli = path.join(ROOT, 'dist', 'cli.js');
if (!fs.existsSync(cli) || !fs.existsSync(path.join(ROOT, 'dist', 'hook.cjs'))) {
  const built = spawnSync(node, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}

const spoolAt = args.findIndex((a) => a === '--spool' || a.startsWith('--spool='));
const spoolArgs = spoolAt < 0 ? [] : args[spoolAt].includes('=') ? [args[spoolAt]] : args.slice(spoolAt, spoolAt + 2);
const install = spawnSync(node, [cli, 'install', ...spoolArgs], { stdio: 'inherit' });
if (install.status !== 0) {
  console.error(`npm start: 'claude-metrics install' failed (exit ${install.status}); the worker was not started`);
  process.exit(install.status ?? 1);
}

// Where the worker will write: asked of the CLI itself (status resolves --db, $CLAUDE_METRICS_DB
// and the default exactly as the worker does), not worked out a second time here.
const dbAt = args.findIndex((a) => a === '--db' || a.startsWith('--db='));
const dbArgs = dbAt < 0 ? [] : args[dbAt].includes('=') ? [args[dbAt]] : args.slice(dbAt, dbAt + 2);
const status = spawnSync(node, [cli, 'status', '--json', '--spool-only', ...spoolArgs, ...dbArgs], { encoding: 'utf8' });
let db;
try {
  db = JSON.parse(status.stdout).database.path;
} catch (err) {
  console.error(`npm start: 'claude-metrics status --json' did not say where the database is (${err.message}): ${status.stderr}`);
  process.exit(1);
}
// `claude-metrics` is on PATH only after `npm install -g`, and runs on the PATH's node: name the
// command that works here and now.
const command = `${node === process.execPath ? 'node' : node} ${cli}`;
console.log(`
claude-metrics: the worker runs in the foreground on Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}.
  database   ${db}
  look       ${command} report daily   (in another terminal; also: status, report session)
  stop       Ctrl+C (payloads keep arriving in the spool and wait for the next worker)
  as a service, started at login: ${command} install --service
`);

const worker = spawn(node, [cli, 'worker', ...args], { stdio: 'inherit' });
// The terminal's Ctrl+C reaches the worker too (same process group); a SIGTERM sent to npm only
// reaches us, so pass it on. The worker finishes its batch and exits 0.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => worker.kill(signal));
worker.on('exit', (code, signal) => {
  if (code === 3) console.error("npm start: a worker is already watching this spool ('claude-metrics status' shows it); nothing else to do");
  process.exit(code ?? (signal ? 0 : 1));
});
