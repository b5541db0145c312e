// Writes grafana/dashboards/claude-metrics.json from the readable SQL below: run it after
// changing a panel (`node scripts/grafana-dashboard.mjs`) and commit both. test/grafana.test.ts
// runs every query of the written JSON against a database built from the fixtures.
//
// The SQLite data source (frser-sqlite-datasource) reads a time column as RFC 3339 text or
// epoch seconds, has one macro of its own ($__unixEpochGroupSeconds, unused here), and lets
// Grafana substitute its global variables $__from and $__to (epoch milliseconds) into the SQL.
// Stored times are RFC 3339 UTC text, so the range is turned into the same text and compared as
// text (the token_usage timestamp index serves it). Days are UTC days: SQLite has no time zones
// (`claude-metrics report` has local days).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'grafana', 'dashboards', 'claude-metrics.json');

export const DATASOURCE_UID = 'claude-metrics';
const DS = { type: 'frser-sqlite-datasource', uid: '${datasource}' };

const FROM = "strftime('%Y-%m-%dT%H:%M:%fZ', $__from / 1000.0, 'unixepoch')";
const TO = "strftime('%Y-%m-%dT%H:%M:%fZ', $__to / 1000.0, 'unixepoch')";
const DAY = (col) => `strftime('%Y-%m-%dT00:00:00Z', ${col})`;

// The same rows `claude-metrics report` sums (src/report/queries.ts): every API call in range,
// plus one pseudo-call per session the old hook wrote without calls (its cost, at its start).
const CALLS = `WITH calls AS (
  SELECT t.session_id, t.timestamp AS ts, COALESCE(t.model, 'unknown') AS model, 1 AS calls,
         COALESCE(t.input_tokens, 0) AS input_tokens, COALESCE(t.output_tokens, 0) AS output_tokens,
         COALESCE(t.cache_creation_tokens, 0) AS cache_creation_tokens, COALESCE(t.cache_read_tokens, 0) AS cache_read_tokens,
         COALESCE(t.cost_usd, 0) AS cost_usd
  FROM token_usage t
  WHERE t.timestamp >= ${FROM} AND t.timestamp < ${TO}
  UNION ALL
  SELECT s.session_id, COALESCE(s.start_time, s.end_time), 'unknown', 0,
         COALESCE(s.input_tokens, 0), COALESCE(s.output_tokens, 0), COALESCE(s.cache_creation_tokens, 0), COALESCE(s.cache_read_tokens, 0),
         COALESCE(s.total_cost_usd, 0)
  FROM sessions s
  WHERE COALESCE(s.start_time, s.end_time) >= ${FROM} AND COALESCE(s.start_time, s.end_time) < ${TO}
    AND NOT EXISTS (SELECT 1 FROM token_usage u WHERE u.session_id = s.session_id)
)`;

const SESSIONS_IN_RANGE = `COALESCE(s.start_time, s.end_time) >= ${FROM} AND COALESCE(s.start_time, s.end_time) < ${TO}`;
const SESSION_COLUMNS = `COALESCE(s.start_time, s.end_time) AS start,
  COALESCE(s.cwd, '') AS project,
  COALESCE((SELECT group_concat(m.model, ', ') FROM session_models m WHERE m.session_id = s.session_id), '') AS models,
  COALESCE(s.total_cost_usd, 0) AS cost_usd,
  CASE WHEN s.start_time IS NOT NULL AND s.end_time IS NOT NULL THEN round((julianday(s.end_time) - julianday(s.start_time)) * 86400) END AS duration_s,
  COALESCE(s.input_tokens, 0) + COALESCE(s.output_tokens, 0) + COALESCE(s.cache_creation_tokens, 0) + COALESCE(s.cache_read_tokens, 0) AS tokens,
  COALESCE(s.tool_calls, 0) AS tool_calls, COALESCE(s.commits, 0) AS commits,
  COALESCE(s.lines_added, 0) AS lines_added, COALESCE(s.lines_removed, 0) AS lines_removed,
  s.session_id`;

// Payload ids start with the hook's time in epoch ms (13 digits), so the primary key is the range filter.
const PAYLOADS_IN_RANGE = "id >= printf('%013d', $__from) AND id < printf('%013d', $__to)";
// Hook payloads only: the ledger keeps just each session's newest status line snapshot (the
// others are pruned as newer ones apply), so counting those would count sessions, not payloads.
// A snapshot is known by its id's kind, as the worker knows it.
const HOOK_PAYLOADS_IN_RANGE = `${PAYLOADS_IN_RANGE} AND id NOT GLOB '*-statusline'`;

function target(sql, queryType, timeColumns = []) {
  const text = sql.trim();
  return { refId: 'A', datasource: DS, queryType, rawQueryText: text, queryText: text, timeColumns };
}

let nextId = 1;
function panel(type, title, gridPos, sql, { queryType = 'table', timeColumns = [], description, fieldConfig, options } = {}) {
  return {
    id: nextId++,
    type,
    title,
    ...(description ? { description } : {}),
    gridPos,
    datasource: DS,
    targets: [target(sql, queryType, timeColumns)],
    fieldConfig: fieldConfig ?? { defaults: {}, overrides: [] },
    options: options ?? {},
  };
}

const stat = (title, x, sql, unit, description) =>
  panel('stat', title, { x, y: 0, w: 4, h: 4 }, sql, {
    description,
    fieldConfig: { defaults: { unit, decimals: unit === 'currencyUSD' ? 2 : undefined, color: { mode: 'fixed', fixedColor: 'blue' } }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value' },
  });

const bars = { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1, stacking: { mode: 'normal', group: 'A' }, showPoints: 'never', barAlignment: 0 };
const daily = (title, gridPos, sql, unit, description, extra = {}) =>
  panel('timeseries', title, gridPos, sql, {
    queryType: 'time series',
    timeColumns: ['time'],
    description,
    fieldConfig: { defaults: { unit, custom: { ...bars, ...(extra.custom ?? {}) }, ...(extra.defaults ?? {}) }, overrides: extra.overrides ?? [] },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
  });

const table = (title, gridPos, sql, description) =>
  panel('table', title, gridPos, sql, {
    timeColumns: ['start'],
    description,
    fieldConfig: {
      defaults: {},
      overrides: [
        { matcher: { id: 'byName', options: 'cost_usd' }, properties: [{ id: 'unit', value: 'currencyUSD' }, { id: 'decimals', value: 4 }] },
        { matcher: { id: 'byName', options: 'duration_s' }, properties: [{ id: 'unit', value: 's' }] },
        { matcher: { id: 'byName', options: 'tokens' }, properties: [{ id: 'unit', value: 'short' }] },
      ],
    },
    options: { showHeader: true, cellHeight: 'sm' },
  });

const panels = [
  stat('Cost', 0, `${CALLS}\nSELECT COALESCE(sum(cost_usd), 0) AS cost_usd FROM calls`, 'currencyUSD', 'List-price cost of the API calls made in the time range.'),
  stat('Sessions', 4, `${CALLS}\nSELECT count(DISTINCT session_id) AS sessions FROM calls`, 'short', 'Sessions with at least one API call in the time range.'),
  stat('API calls', 8, `${CALLS}\nSELECT COALESCE(sum(calls), 0) AS api_calls FROM calls`, 'short'),
  stat('Tokens', 12, `${CALLS}\nSELECT COALESCE(sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens), 0) AS tokens FROM calls`, 'short', 'Input, output, cache write and cache read tokens.'),
  stat(
    'Cache hit ratio',
    16,
    `${CALLS}\nSELECT CAST(sum(cache_read_tokens) AS REAL) / NULLIF(sum(input_tokens + cache_creation_tokens + cache_read_tokens), 0) AS cache_hit_ratio FROM calls`,
    'percentunit',
    'Cache read tokens / all input-side tokens (input + cache write + cache read).',
  ),
  stat('Payloads applied', 20, `SELECT count(*) AS payloads FROM payloads WHERE ${HOOK_PAYLOADS_IN_RANGE}`, 'short', 'Hook payloads the worker applied, by the time the hook ran (status line snapshots aside).'),

  daily(
    'Cost per day, by model',
    { x: 0, y: 4, w: 12, h: 9 },
    `${CALLS}\nSELECT ${DAY('ts')} AS time, model, sum(cost_usd) AS cost_usd FROM calls GROUP BY 1, 2 ORDER BY 1, 2`,
    'currencyUSD',
    'Each API call counts on the UTC day it was made.',
    { defaults: { displayName: '${__field.labels.model}' } },
  ),
  daily(
    'Tokens per day, by kind',
    { x: 12, y: 4, w: 12, h: 9 },
    `${CALLS}\nSELECT ${DAY('ts')} AS time, sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cache_creation_tokens) AS cache_write, sum(cache_read_tokens) AS cache_read FROM calls GROUP BY 1 ORDER BY 1`,
    'short',
  ),
  daily(
    'Cache hit ratio per day',
    { x: 0, y: 13, w: 8, h: 8 },
    `${CALLS}\nSELECT ${DAY('ts')} AS time, CAST(sum(cache_read_tokens) AS REAL) / NULLIF(sum(input_tokens + cache_creation_tokens + cache_read_tokens), 0) AS cache_hit_ratio FROM calls GROUP BY 1 ORDER BY 1`,
    'percentunit',
    'Cache read tokens / (input + cache write + cache read tokens).',
    { custom: { drawStyle: 'line', fillOpacity: 10, showPoints: 'always', stacking: { mode: 'none' } }, defaults: { min: 0, max: 1 } },
  ),
  daily(
    'Sessions per day',
    { x: 8, y: 13, w: 8, h: 8 },
    `${CALLS}\nSELECT ${DAY('ts')} AS time, count(DISTINCT session_id) AS sessions FROM calls GROUP BY 1 ORDER BY 1`,
    'short',
    'Sessions with at least one API call that UTC day.',
  ),
  panel(
    'barchart',
    'Cost by project',
    { x: 16, y: 13, w: 8, h: 8 },
    `${CALLS}\nSELECT COALESCE(s.cwd, '(unknown)') AS project, sum(c.cost_usd) AS cost_usd FROM calls c LEFT JOIN sessions s ON s.session_id = c.session_id GROUP BY 1 ORDER BY 2 DESC LIMIT 15`,
    {
      fieldConfig: { defaults: { unit: 'currencyUSD', custom: { fillOpacity: 80 } }, overrides: [] },
      options: { orientation: 'horizontal', xField: 'project', showValue: 'auto', legend: { showLegend: false, displayMode: 'list', placement: 'bottom' } },
    },
  ),
  table(
    'Recent sessions',
    { x: 0, y: 21, w: 24, h: 10 },
    `SELECT ${SESSION_COLUMNS}\nFROM sessions s WHERE ${SESSIONS_IN_RANGE}\nORDER BY start DESC LIMIT 100`,
    'Sessions that started in the time range, newest first; figures are the whole session.',
  ),
  table(
    'Most expensive sessions',
    { x: 0, y: 31, w: 14, h: 9 },
    `SELECT ${SESSION_COLUMNS}\nFROM sessions s WHERE ${SESSIONS_IN_RANGE}\nORDER BY cost_usd DESC, start DESC LIMIT 10`,
    'Sessions that started in the time range, by cost.',
  ),
  panel(
    'table',
    'Cost by model',
    { x: 14, y: 31, w: 10, h: 9 },
    `${CALLS}\nSELECT model, count(DISTINCT session_id) AS sessions, sum(calls) AS api_calls, sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens) AS tokens, sum(cost_usd) AS cost_usd FROM calls GROUP BY model ORDER BY cost_usd DESC`,
    { fieldConfig: { defaults: {}, overrides: [{ matcher: { id: 'byName', options: 'cost_usd' }, properties: [{ id: 'unit', value: 'currencyUSD' }, { id: 'decimals', value: 4 }] }] } },
  ),
  daily(
    'Pipeline: payloads applied per day, by event',
    { x: 0, y: 40, w: 14, h: 8 },
    `SELECT ${DAY('received_at')} AS time, event, count(*) AS payloads FROM payloads WHERE ${HOOK_PAYLOADS_IN_RANGE} GROUP BY 1, 2 ORDER BY 1, 2`,
    'short',
    'Hook payloads applied by the worker (the payloads ledger), by the UTC day the hook ran. Status line snapshots are not counted: the ledger keeps only each session\'s newest.',
    { defaults: { displayName: '${__field.labels.event}' } },
  ),
  panel(
    'table',
    'Pipeline: latest payloads',
    { x: 14, y: 40, w: 10, h: 8 },
    `SELECT received_at, applied_at, event, session_id, round((julianday(applied_at) - julianday(received_at)) * 86400, 3) AS delay_s FROM payloads WHERE ${HOOK_PAYLOADS_IN_RANGE} ORDER BY id DESC LIMIT 20`,
    {
      timeColumns: ['received_at', 'applied_at'],
      description: 'The last hook payloads applied, and how long after the hook ran (status line snapshots aside: an idle session refreshes one every second).',
    },
  ),
];

// Dead letters: the worker records each one in `dead_letters` (migration 0004) as it moves the
// file to spool/dead/; an id that is also in `payloads` was retried and applied since.
const DEAD_IN_RANGE = "d.id >= printf('%013d', $__from) AND d.id < printf('%013d', $__to)";
panels.push(
  daily(
    'Pipeline: dead letters per day',
    { x: 0, y: 48, w: 8, h: 8 },
    `SELECT ${DAY('d.received_at')} AS time, sum(p.id IS NULL) AS still_dead, sum(p.id IS NOT NULL) AS retried_and_applied FROM dead_letters d LEFT JOIN payloads p ON p.id = d.id WHERE ${DEAD_IN_RANGE} GROUP BY 1 ORDER BY 1`,
    'short',
    'Payloads the worker could never apply (not JSON, no session id, …), by the UTC day the hook ran: still in spool/dead/, or retried (claude-metrics dead retry) and applied since.',
  ),
  panel(
    'table',
    'Pipeline: dead letters',
    { x: 8, y: 48, w: 16, h: 8 },
    `SELECT d.dead_lettered_at, d.received_at, d.id, d.reason, CASE WHEN p.id IS NULL THEN 'in spool/dead' ELSE 'retried, applied' END AS state FROM dead_letters d LEFT JOIN payloads p ON p.id = d.id WHERE ${DEAD_IN_RANGE} ORDER BY d.id DESC LIMIT 50`,
    {
      timeColumns: ['dead_lettered_at', 'received_at'],
      description: 'The latest dead letters and why. See them with `claude-metrics dead list` / `dead show ID`; fix and `dead retry ID`, or `dead purge ID`.',
    },
  ),
);

const dashboard = {
  uid: 'claude-metrics',
  title: 'Claude Code metrics',
  description: 'Cost, tokens, sessions and the pipeline of claude-metrics (SQLite via frser-sqlite-datasource).',
  tags: ['claude-code', 'claude-metrics'],
  timezone: 'utc',
  editable: true,
  graphTooltip: 1,
  schemaVersion: 39,
  version: 1,
  time: { from: 'now-30d', to: 'now' },
  refresh: '',
  templating: {
    list: [
      {
        name: 'datasource',
        label: 'Database',
        type: 'datasource',
        query: 'frser-sqlite-datasource',
        current: { text: 'claude-metrics', value: DATASOURCE_UID },
        hide: 0,
        refresh: 1,
        regex: '',
        options: [],
      },
    ],
  },
  annotations: { list: [] },
  links: [],
  panels,
};

fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, `${JSON.stringify(dashboard, null, 2)}\n`);
console.log(`wrote ${path.relative(ROOT, OUT)}: ${panels.length} panels`);
