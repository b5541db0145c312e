// `npm run reliability`: runs each fault and load scenario against the real built hook and worker
// processes (and, where it can run the same scenario, the baseline Python hook), prints one table,
// writes it to docs/RELIABILITY.md, and exits non-zero if any payload of ours was lost or applied
// twice. RELIABILITY_ONLY=burst,lock,… picks scenarios; RELIABILITY_SHORT=1 runs the short versions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIO_DIR = path.join(ROOT, 'reliability', 'scenarios');

/**
 * A scenario module exports `name` (short id), `title`, and `run(ctx)` returning rows:
 * { system: 'claude-metrics' | 'baseline', sent, applied, deadLettered, lost, duplicated, seconds, notes }
 * where deadLettered counts payloads dead-lettered *as expected* (broken input), lost counts valid
 * payloads not applied, duplicated counts payloads applied more than once. ctx: { root, tmp, short, log }.
 */
async function main() {
  const only = (process.env.RELIABILITY_ONLY ?? '').split(',').filter(Boolean);
  const short = process.env.RELIABILITY_SHORT === '1';
  const files = fs.readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.mjs')).sort();
  const rows = [];
  const started = Date.now();
  for (const file of files) {
    const scenario = await import(path.join(SCENARIO_DIR, file));
    if (only.length && !only.includes(scenario.name)) continue;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `cm-rel-${scenario.name}-`));
    const t0 = Date.now();
    process.stderr.write(`scenario ${scenario.name}: ${scenario.title}\n`);
    try {
      const result = await scenario.run({ root: ROOT, tmp, short, log: (m) => process.stderr.write(`  ${m}\n`) });
      for (const r of result) rows.push({ scenario: scenario.title, ...r });
    } catch (err) {
      rows.push({ scenario: scenario.title, system: 'claude-metrics', sent: 0, applied: 0, deadLettered: 0, lost: NaN, duplicated: NaN, seconds: (Date.now() - t0) / 1000, notes: `ERROR: ${err.stack ?? err}` });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const ours = rows.filter((r) => r.system === 'claude-metrics');
  const lost = ours.reduce((n, r) => n + (Number.isFinite(r.lost) ? r.lost : 1), 0);
  const duplicated = ours.reduce((n, r) => n + (Number.isFinite(r.duplicated) ? r.duplicated : 1), 0);
  const header = ['scenario', 'system', 'sent', 'applied', 'dead-lettered (expected)', 'lost', 'duplicated', 'time', 'notes'];
  const body = rows.map((r) => [r.scenario, r.system, r.sent, r.applied, r.deadLettered, r.lost, r.duplicated, `${r.seconds.toFixed(1)} s`, r.notes ?? '']);
  const table = [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|').replaceAll('\n', ' ')).join(' | ')} |`).join('\n');
  const summary = `lost: ${lost}, duplicated: ${duplicated}`;
  process.stdout.write(`${table}\n\n${summary}\n`);
  if (!short && only.length === 0) {
    const doc = `# Reliability\n\nWhat \`npm run reliability\` printed on ${new Date().toISOString().slice(0, 10)} (${os.cpus().length} CPUs, Node ${process.version}), ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s in all. Each row ran the real built hook and worker processes; ` +
      `"baseline" rows ran the Python hook this project replaces under the same fault.\n\n${table}\n\n${summary}\n`;
    fs.writeFileSync(path.join(ROOT, 'docs', 'RELIABILITY.md'), doc);
  }
  process.exitCode = lost > 0 || duplicated > 0 ? 1 : 0;
}

await main();
