// Renders the dashboard's main figures as one SVG, drawn by this project (not Grafana, which
// cannot run here): stat tiles, cost per day by model, tokens per day by kind, sessions per day,
// cost by project. The figures come from the built CLI, `claude-metrics report … --json`, so
// the picture shows exactly what the reports say.
//
//   npm run build
//   node scripts/render-chart.mjs --db FILE [--out docs/dashboard.svg] [--timezone UTC] [--title TEXT]
//   node scripts/render-chart.mjs --fixtures      # the recorded fixture sessions (one day)
//   node scripts/render-chart.mjs --synthetic     # 30 days of synthetic sessions (seeded, labelled as such)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = path.resolve(ROOT, '..', 'shared', 'fixtures', 'claude-code-2.1.197');

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    out: { type: 'string' },
    timezone: { type: 'string', default: 'UTC' },
    title: { type: 'string' },
    fixtures: { type: 'boolean' },
    synthetic: { type: 'boolean' },
  },
});

function run(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`claude-metrics ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A migrated, empty database in a temp folder (the worker's own migrations). */
function emptyDb(dir) {
  const spool = path.join(dir, 'spool');
  fs.mkdirSync(path.join(spool, 'incoming'), { recursive: true });
  const db = path.join(dir, 'metrics.db');
  run(['worker', '--drain', '--spool', spool, '--db', db]);
  return { db, spool };
}

/** The fixture payloads through the real hook and worker, as test/support/fixture-db.ts does. */
function fixturesDb(dir) {
  const { db, spool } = emptyDb(dir);
  const claude = path.join(dir, 'home', '.claude');
  fs.cpSync(path.join(FIXTURES, 'projects'), path.join(claude, 'projects'), { recursive: true });
  for (const name of fs.readdirSync(path.join(FIXTURES, 'payloads')).sort()) {
    const body = fs.readFileSync(path.join(FIXTURES, 'payloads', name), 'utf8').replaceAll('/home/user/.claude', claude);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'hook.cjs'), '--spool', spool], { input: body, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  run(['worker', '--drain', '--spool', spool, '--db', db]);
  return db;
}

/** 30 days of made-up sessions (seeded, so the picture is reproducible), written with SQL. */
function syntheticDb(dir) {
  const { db } = emptyDb(dir);
  const conn = new Database(db);
  conn.pragma('foreign_keys = OFF');
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const models = [['claude-sonnet-4-5', 3, 15], ['claude-opus-4-5', 5, 25], ['claude-haiku-4-5', 1, 5]];
  const projects = ['/home/user/code/shop-api', '/home/user/code/docs-site', '/home/user/code/cli-tool', '/home/user/code/infra', '/home/user/code/mobile-app'];
  const addSession = conn.prepare(`INSERT INTO sessions (session_id, start_time, end_time, total_cost_usd, input_tokens, output_tokens, cache_creation_tokens,
    cache_read_tokens, api_calls, cost_complete, cwd, cost_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 'transcript')`);
  const addCall = conn.prepare(`INSERT INTO token_usage (session_id, timestamp, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
    cost_usd, message_id, request_id, call_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const addModel = conn.prepare(`INSERT INTO session_models VALUES (?, ?, ?, 0, ?, ?, ?, ?, 0, ?)`);
  const start = Date.parse('2026-10-25T00:00:00Z');
  conn.transaction(() => {
    let n = 0;
    for (let day = 0; day < 30; day++) {
      const weekend = new Date(start + day * 86_400_000).getUTCDay() % 6 === 0;
      const count = Math.floor((weekend ? 1 : 4) + rand() * (weekend ? 2 : 6));
      for (let s = 0; s < count; s++) {
        const id = `synthetic-${n++}`;
        let t = start + day * 86_400_000 + Math.floor((8 + rand() * 11) * 3_600_000);
        const t0 = t;
        const main = models[rand() < 0.2 ? 1 : 0];
        const per = new Map();
        const tot = [0, 0, 0, 0, 0];
        const calls = 5 + Math.floor(rand() * 60);
        for (let c = 0; c < calls; c++) {
          t += Math.floor(rand() * 90_000);
          const [model, pin, pout] = rand() < 0.15 ? models[2] : main;
          const u = [Math.floor(rand() * 3000), Math.floor(rand() * 900), Math.floor(rand() * 4000), Math.floor(15000 + rand() * 60000)];
          const cost = (u[0] * pin + u[1] * pout + u[2] * pin * 1.25 + u[3] * pin * 0.1) / 1e6;
          addCall.run(id, new Date(t).toISOString(), model, ...u, cost, `m${c}`, `r${c}`, `m${c}|r${c}`);
          const m = per.get(model) ?? [0, 0, 0, 0, 0, 0];
          per.set(model, [m[0] + 1, m[1] + u[0], m[2] + u[1], m[3] + u[2], m[4] + u[3], m[5] + cost]);
          u.forEach((v, i) => (tot[i] += v));
          tot[4] += cost;
        }
        addSession.run(id, new Date(t0).toISOString(), new Date(t).toISOString(), tot[4], tot[0], tot[1], tot[2], tot[3], calls, projects[Math.floor(rand() * projects.length)]);
        for (const [model, m] of per) addModel.run(id, model, ...m);
      }
    }
  })();
  conn.close();
  return db;
}

// ---------------------------------------------------------------------------------------------

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
const money = (n) => `$${n >= 100 ? n.toFixed(0) : n.toFixed(2)}`;
const compact = (n) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n)));
const PALETTE = ['#5794F2', '#FF9830', '#73BF69', '#B877D9', '#F2CC0C', '#8AB8FF', '#FF7383'];
const BG = '#111217';
const PANEL = '#181b1f';
const TEXT = '#ccccdc';
const MUTED = '#8e8e9e';
const GRID = '#2c3235';

function frame(x, y, w, h, title) {
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" fill="${PANEL}" stroke="${GRID}"/>
<text x="${x + 12}" y="${y + 22}" fill="${TEXT}" font-size="14" font-weight="600">${esc(title)}</text>`;
}

/** Stacked bars per day: series = [{name, values[]}] aligned on labels. */
function stacked(x, y, w, h, title, labels, series, fmt) {
  let g = frame(x, y, w, h, title);
  const top = y + 40;
  const left = x + 58;
  const bottom = y + h - 46;
  const right = x + w - 12;
  const totals = labels.map((_, i) => series.reduce((a, s) => a + s.values[i], 0));
  const max = Math.max(...totals, 1e-9);
  for (let k = 0; k <= 4; k++) {
    const yy = bottom - ((bottom - top) * k) / 4;
    g += `<line x1="${left}" x2="${right}" y1="${yy}" y2="${yy}" stroke="${GRID}"/><text x="${left - 6}" y="${yy + 4}" fill="${MUTED}" font-size="10" text-anchor="end">${esc(fmt((max * k) / 4))}</text>`;
  }
  const slot = (right - left) / Math.max(labels.length, 1);
  const bw = Math.max(2, Math.min(40, slot * 0.7));
  labels.forEach((label, i) => {
    let acc = 0;
    const cx = left + slot * i + slot / 2;
    series.forEach((s, si) => {
      const v = s.values[i];
      if (v <= 0) return;
      const y0 = bottom - ((bottom - top) * (acc + v)) / max;
      const hh = ((bottom - top) * v) / max;
      g += `<rect x="${(cx - bw / 2).toFixed(1)}" y="${y0.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(hh, 0.5).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"/>`;
      acc += v;
    });
    const every = Math.ceil(labels.length / 10);
    if (i % every === 0) g += `<text x="${cx}" y="${bottom + 14}" fill="${MUTED}" font-size="10" text-anchor="middle">${esc(label.slice(5))}</text>`;
  });
  let lx = left;
  series.forEach((s, si) => {
    g += `<rect x="${lx}" y="${y + h - 22}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/><text x="${lx + 14}" y="${y + h - 13}" fill="${TEXT}" font-size="11">${esc(s.name)}</text>`;
    lx += 24 + s.name.length * 6.5;
  });
  return g;
}

function hbars(x, y, w, h, title, items, fmt) {
  let g = frame(x, y, w, h, title);
  const max = Math.max(...items.map((i) => i.value), 1e-9);
  const rowH = Math.min(28, (h - 44) / Math.max(items.length, 1));
  const labelW = 170;
  items.forEach((it, i) => {
    const yy = y + 38 + i * rowH;
    const bw = ((w - labelW - 90) * it.value) / max;
    g += `<text x="${x + labelW}" y="${yy + rowH * 0.62}" fill="${TEXT}" font-size="11" text-anchor="end">${esc(it.label.length > 28 ? `…${it.label.slice(-27)}` : it.label)}</text>`;
    g += `<rect x="${x + labelW + 8}" y="${yy + 3}" width="${Math.max(bw, 1).toFixed(1)}" height="${(rowH - 6).toFixed(1)}" fill="${PALETTE[0]}"/>`;
    g += `<text x="${x + labelW + 14 + bw}" y="${yy + rowH * 0.62}" fill="${MUTED}" font-size="11">${esc(fmt(it.value))}</text>`;
  });
  return g;
}

function render(title, timeZone, daily, projects, modelsReport) {
  const W = 1200;
  const H = 860;
  const t = daily.totals;
  // Every day between the first and the last, so idle days show as gaps.
  const days = [];
  if (daily.rows.length) {
    for (let d = Date.parse(`${daily.rows[0].date}T00:00:00Z`); d <= Date.parse(`${daily.rows.at(-1).date}T00:00:00Z`); d += 86_400_000) days.push(new Date(d).toISOString().slice(0, 10));
  }
  const byDay = new Map(daily.rows.map((r) => [r.date, r]));
  const modelNames = modelsReport.rows.map((r) => r.model);
  const costSeries = modelNames.map((m) => ({
    name: m.replace(/^claude-/, ''),
    values: days.map((d) => byDay.get(d)?.breakdown.find((b) => b.model === m)?.cost_usd ?? 0),
  }));
  const kinds = [['input', 'input_tokens'], ['output', 'output_tokens'], ['cache write', 'cache_creation_tokens'], ['cache read', 'cache_read_tokens']];
  const tokenSeries = kinds.map(([name, k]) => ({ name, values: days.map((d) => byDay.get(d)?.[k] ?? 0) }));
  const sessionSeries = [{ name: 'sessions with an API call that day', values: days.map((d) => byDay.get(d)?.sessions ?? 0) }];
  const inputSide = t.input_tokens + t.cache_creation_tokens + t.cache_read_tokens;
  const tiles = [
    ['Cost', money(t.cost_usd)],
    ['Sessions', String(t.sessions)],
    ['API calls', compact(t.api_calls)],
    ['Tokens', compact(t.total_tokens)],
    ['Cache hit ratio', inputSide ? `${((100 * t.cache_read_tokens) / inputSide).toFixed(1)}%` : '–'],
  ];
  let body = `<rect width="${W}" height="${H}" fill="${BG}"/>
<text x="16" y="28" fill="${TEXT}" font-size="17" font-weight="600">${esc(title)}</text>
<text x="16" y="46" fill="${MUTED}" font-size="11">${esc(`Rendered by scripts/render-chart.mjs from \`claude-metrics report --json\` (not a Grafana screenshot). Days: ${timeZone}. ${days[0] ?? ''} … ${days.at(-1) ?? ''}`)}</text>`;
  const tw = (W - 32 - 4 * 10) / 5;
  tiles.forEach(([label, value], i) => {
    const x = 16 + i * (tw + 10);
    body += `${frame(x, 60, tw, 78, label)}<text x="${x + 12}" y="${60 + 62}" fill="${PALETTE[0]}" font-size="30" font-weight="600">${esc(value)}</text>`;
  });
  body += stacked(16, 150, 584, 330, 'Cost per day, by model', days, costSeries, money);
  body += stacked(608, 150, 576, 330, 'Tokens per day, by kind', days, tokenSeries, compact);
  body += stacked(16, 490, 584, 350, 'Sessions per day', days, sessionSeries, (n) => String(Math.round(n * 10) / 10));
  body += hbars(608, 490, 576, 350, 'Cost by project', projects.rows.slice(0, 10).map((r) => ({ label: r.project, value: r.cost_usd })), money);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Inter, Helvetica, Arial, sans-serif">\n${body}\n</svg>\n`;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-chart-'));
try {
  let db = values.db;
  let title = values.title;
  let out = values.out;
  if (values.fixtures) {
    db = fixturesDb(tmp);
    title ??= 'claude-metrics — the recorded fixture sessions (Claude Code 2.1.197), one day';
    out ??= path.join(ROOT, 'docs', 'dashboard-fixtures.svg');
  } else if (values.synthetic) {
    db = syntheticDb(tmp);
    title ??= 'claude-metrics — 30 days of SYNTHETIC sessions (made-up data, for illustration)';
    out ??= path.join(ROOT, 'docs', 'dashboard.svg');
  }
  if (!db) throw new Error('pass --db FILE, --fixtures or --synthetic');
  out ??= 'dashboard.svg';
  title ??= `claude-metrics — ${db}`;
  const report = (kind, extra = []) => JSON.parse(run(['report', kind, '--db', db, '--json', '--timezone', values.timezone, ...extra]));
  const svg = render(title, values.timezone, report('daily', ['--breakdown']), report('project'), report('model'));
  fs.writeFileSync(out, svg);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
