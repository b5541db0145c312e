// Runs a script on a given Node major (the pinned build from scripts/node-runtime.mjs when this
// Node is another version), with that Node first on PATH, and exits with its code:
//   node scripts/run-on-node.mjs 24 bench/run.mjs [args...]
// npm run bench and npm run reliability use it, so they measure the Node users run (24).
import { spawn } from 'node:child_process';
import { ensureNode, pathWith } from './node-runtime.mjs';

const [majorText, script, ...rest] = process.argv.slice(2);
const major = Number(process.env.CLAUDE_METRICS_NODE || majorText);
if (!Number.isInteger(major) || !script) {
  console.error('Usage: node scripts/run-on-node.mjs <major> <script> [args...]   (CLAUDE_METRICS_NODE=22 overrides the major)');
  process.exit(2);
}
let node;
try {
  node = ensureNode(major);
} catch (err) {
  console.error(`run-on-node: ${err.message}`);
  process.exit(1);
}
const child = spawn(node, [script, ...rest], { stdio: 'inherit', env: { ...process.env, PATH: pathWith(node) } });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
