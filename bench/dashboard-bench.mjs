// How fast the dashboard answers on a year of history: the report bench's year (bench/year-db.mjs:
// 4,000 sessions, 160,000 calls) with what the other views read too (branches, 120,000 tool uses,
// payloads, status line samples), served by the built CLI's `claude-metrics dashboard`. For each
// API route and range, RUNS requests one after the other, timed by the server itself (its
// Server-Timing header: the query and the JSON, not the socket): p50, p95, max, against the 50 ms
// target at p95. Then the overview in headless Chromium (Debian's), from navigation to every chart
// drawn, in fresh browser contexts: median and max against 1.5 s. Writes a screenshot of the
// year's overview to docs/dashboard/year-overview.png. A miss is reported, not a failure.
//   npm run build && node scripts/run-on-node.mjs 24 bench/dashboard-bench.mjs
//   RUNS=30 PAGE_RUNS=7 SHOT=0 (no screenshot)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { envInt, median, pct } from './util.mjs';
import { buildYearDb } from './year-db.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const RUNS = envInt('RUNS', 30);
const PAGE_RUNS = envInt('PAGE_RUNS', 7);
const TZ = 'Europe/Paris';
const API_TARGET_MS = 50;
const PAGE_TARGET_MS = 1500;

const day = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
const back = (d, n) => new Date(Date.parse(`${d}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

function get(port, p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${p}: ${res.statusCode}`));
        else resolve(Number(/dur=([\d.]+)/.exec(String(res.headers['server-timing']))?.[1]));
      });
    }).on('error', reject);
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-dashboard-bench-'));
let child;
let browser;
let missed = 0;
try {
  const built = performance.now();
  const { db, lastCall } = buildYearDb({ dir, cli: CLI, extras: true });
  console.log(`database: 4000 sessions, 160000 calls, 120000 tool uses, 40000 status line samples (built in ${((performance.now() - built) / 1000).toFixed(1)} s, ${(fs.statSync(db).size / 2 ** 20).toFixed(0)} MiB)`);
  // Now: just after the year's last call, so that the default range (the last 30 days) is full.
  const now = new Date(lastCall.getTime() + 600_000);
  child = spawn(process.execPath, [CLI, 'dashboard', '--db', db, '--spool', path.join(dir, 'spool'), '--port', '0', '--now', now.toISOString()], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /dashboard: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
  });
  const port = Number(new URL(url).port);
  const today = day(now.getTime());
  const ranges = {
    '30 days': `tz=${encodeURIComponent(TZ)}&from=${back(today, 29)}&to=${today}`,
    '7 days': `tz=${encodeURIComponent(TZ)}&from=${back(today, 6)}&to=${today}`,
    year: `tz=${encodeURIComponent(TZ)}`,
  };
  const routes = [
    ['overview', (q) => `/api/overview?${q}`],
    ['now', (q) => `/api/now?${q}`],
    ['top', (q) => `/api/top?${q}`],
    ['sessions (by start)', (q) => `/api/sessions?${q}`],
    ['sessions (by cost, page 3)', (q) => `/api/sessions?${q}&sort=cost&page=3`],
    ['sessions (filter)', (q) => `/api/sessions?${q}&q=project-7`],
    ['session', () => '/api/sessions/bench-1234'],
    ['projects', (q) => `/api/projects?${q}`],
    ['models', (q) => `/api/models?${q}`],
    ['branches', (q) => `/api/branches?${q}`],
    ['tools', (q) => `/api/tools?${q}`],
    ['blocks', (q) => `/api/blocks?${q}`],
    ['pipeline', (q) => `/api/pipeline?${q}`],
    ['version', () => '/api/version'],
  ];
  console.log(`\nAPI, server-side (Server-Timing), ${RUNS} requests each, ${TZ}; target p95 <= ${API_TARGET_MS} ms`);
  console.log(`${'route'.padEnd(28)} ${'range'.padEnd(8)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)}`);
  for (const [range, q] of Object.entries(ranges)) {
    for (const [name, route] of routes) {
      if (range !== '30 days' && (name === 'session' || name === 'version')) continue;
      const p = route(q);
      for (let i = 0; i < 2; i++) await get(port, p);
      const times = [];
      for (let i = 0; i < RUNS; i++) times.push(await get(port, p));
      const p95 = pct(times, 95);
      const miss = p95 > API_TARGET_MS;
      if (miss) missed++;
      console.log(`${name.padEnd(28)} ${range.padEnd(8)} ${median(times).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)} ${Math.max(...times).toFixed(1).padStart(8)}${miss ? '  MISS' : ''}`);
    }
  }

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
  });
  console.log(`\nOverview in headless Chromium, navigation to every chart drawn, ${PAGE_RUNS} fresh contexts; target <= ${PAGE_TARGET_MS} ms`);
  for (const [range, q] of Object.entries(ranges)) {
    const times = [];
    for (let i = 0; i < PAGE_RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${url}?${q}`);
      await page.waitForSelector('[data-view="overview"][data-ready="true"] .chart[data-drawn="true"]', { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelectorAll('.chart[data-drawn="true"] canvas').length >= 3, undefined, { timeout: 60_000 });
      times.push(await page.evaluate(() => performance.now()));
      if (range === '30 days' && i === 0 && process.env.SHOT !== '0') {
        await page.screenshot({ path: path.join(ROOT, 'docs', 'dashboard', 'year-overview.png'), fullPage: true });
      }
      await context.close();
    }
    const miss = median(times) > PAGE_TARGET_MS;
    if (miss) missed++;
    console.log(`overview, ${range.padEnd(8)} median ${median(times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms${miss ? '  MISS' : ''}`);
  }
  console.log(missed === 0 ? '\nall within target' : `\n${missed} figure(s) over target (MISS)`);
} finally {
  await browser?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (process.env.KEEP_DB) console.log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
