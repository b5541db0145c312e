// Small helpers shared by the benchmark sections (bench/run.mjs and bench/transcript-bench.mjs).
import fs from 'node:fs';

export const hrUs = () => Number(process.hrtime.bigint() / 1000n); // monotonic µs, same clock in every thread

export function envInt(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, not ${JSON.stringify(v)}`);
  return n;
}

export function sorted(xs) {
  return [...xs].sort((a, b) => a - b);
}
export function median(xs) {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/** Nearest-rank percentile (p in 0..100). */
export function pct(xs, p) {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
export const fmtMs = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : 'n/a');
export const fmtRatio = (r) => (Number.isFinite(r) ? r.toFixed(2) : 'n/a');
export const mark = (ok) => (ok ? 'PASS' : 'MISS');

export function table(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ')}`;
  console.log(line(all[0]));
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('   ')}`);
  for (const r of all.slice(1)) console.log(line(r));
}

export function section(title) {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 90 - title.length))}`);
}

export const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));

export function listDir(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
