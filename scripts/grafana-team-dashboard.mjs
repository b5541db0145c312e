// Writes grafana/team/dashboards/claude-metrics-team.json, the dashboard of the team database
// (the central PostgreSQL every machine pushes to: docs/TEAM.md), from the readable SQL below:
// run it after changing a panel (`node scripts/grafana-team-dashboard.mjs`) and commit both.
// test/grafana-postgres.test.ts checks that the committed JSON is what this script builds, and
// runs every query of it, as Grafana would expand it, against a real PostgreSQL holding three
// machines' pushes, as the read-only role docs/TEAM.md creates.
//
// The data source is Grafana's built-in PostgreSQL one (plugin id grafana-postgresql-datasource;
// `postgres` is its alias), referenced by uid through the `datasource` variable. What Grafana does
// to a query before PostgreSQL sees it (its source, pkg/tsdb/grafana-postgresql-datasource and
// public/app/features/plugins/sql), and so the rules for the SQL below:
// - Template variables first, in the browser: a multi-value or All variable becomes its values,
//   each quoted as a literal ('' for a quote) and joined by commas. All with no value at all (an
//   empty team database) becomes the empty string, and `developer IN ()` is a syntax error; so
//   every filter is `developer = ANY (ARRAY[$developer]::text[])`, which is the same test for one
//   value or many and matches nothing for none.
// - Then the data source's macros, found by the regex \$(\w+)\(([^)]*)\): a macro's argument
//   ends at the first `)`, so it may not hold a call (`$__timeFilter(COALESCE(a, b))` breaks).
//   `$__timeFilter(col)` is `col BETWEEN '<from>' AND '<to>'` (RFC 3339 UTC, both ends
//   included), `$__timeFrom()`/`$__timeTo()` the quoted bounds, `$__interval_ms` the panel's
//   interval in milliseconds.
// - A column of a timestamptz (or timestamp, date) type is a time, int2/4/8 an integer,
//   float4/8 and numeric a float, anything else (text, uuid, interval) a string. Costs are
//   float8 (COALESCE(cost_usd, 0)::float8: nothing cut to whole dollars), token sums bigint (a
//   sum of bigint is numeric), durations seconds as numbers, never intervals (text).
// - A "time series" query needs a column named `time`, ascending. Its string columns become
//   labels (long format, converted to wide by Grafana); zero rows is an empty frame, never an
//   error (processFrame returns before the conversion). Days are UTC days: date_trunc('day', ts,
//   'UTC'), whatever the session's TimeZone.
// - Every table read keeps only live rows: `deleted_at IS NULL` (a row deleted on its machine is
//   marked, never removed).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = path.join(ROOT, 'grafana', 'team', 'dashboards', 'claude-metrics-team.json');

export const DATASOURCE_UID = 'claude-metrics-team';
export const DATASOURCE_TYPE = 'grafana-postgresql-datasource';
const DS = { type: DATASOURCE_TYPE, uid: '${datasource}' };

/** The developer and machine variables, as a filter on the rows of table alias `a`. */
const WHO = (a) => `${a}.developer = ANY (ARRAY[$developer]::text[]) AND ${a}.machine = ANY (ARRAY[$machine]::text[])`;
const DAY = (col) => `date_trunc('day', ${col}, 'UTC')`;

// The same rows `claude-metrics report` sums: every live API call in range, plus one pseudo-call
// per session the old hook wrote without calls (its cost, at its start).
const CALLS = `WITH calls AS (
  SELECT t.session_id, t.developer, t.machine, t."timestamp" AS ts, COALESCE(t.model, 'unknown') AS model, 1 AS calls,
         COALESCE(t.input_tokens, 0) AS input_tokens, COALESCE(t.output_tokens, 0) AS output_tokens,
         COALESCE(t.cache_creation_tokens, 0) AS cache_creation_tokens, COALESCE(t.cache_read_tokens, 0) AS cache_read_tokens,
         COALESCE(t.cost_usd, 0)::float8 AS cost_usd
  FROM claude_metrics.token_usage t
  WHERE t.deleted_at IS NULL AND $__timeFilter(t."timestamp") AND ${WHO('t')}
  UNION ALL
  SELECT s.session_id, s.developer, s.machine, COALESCE(s.start_time, s.end_time), 'unknown', 0,
         COALESCE(s.input_tokens, 0), COALESCE(s.output_tokens, 0), COALESCE(s.cache_creation_tokens, 0), COALESCE(s.cache_read_tokens, 0),
         COALESCE(s.total_cost_usd, 0)::float8
  FROM claude_metrics.sessions s
  WHERE s.deleted_at IS NULL AND COALESCE(s.start_time, s.end_time) BETWEEN $__timeFrom() AND $__timeTo() AND ${WHO('s')}
    AND NOT EXISTS (SELECT 1 FROM claude_metrics.token_usage u WHERE u.session_id = s.session_id AND u.deleted_at IS NULL)
)`;

const TOKENS = 'input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens';

const SESSIONS_IN_RANGE = `s.deleted_at IS NULL AND COALESCE(s.start_time, s.end_time) BETWEEN $__timeFrom() AND $__timeTo() AND ${WHO('s')}`;
const SESSION_COLUMNS = `COALESCE(s.start_time, s.end_time) AS start,
  s.developer, s.machine,
  COALESCE(s.cwd, '') AS project,
  COALESCE((SELECT string_agg(m.model, ', ' ORDER BY m.model) FROM claude_metrics.session_models m WHERE m.session_id = s.session_id AND m.deleted_at IS NULL), '') AS models,
  COALESCE(s.total_cost_usd, 0)::float8 AS cost_usd,
  extract(epoch FROM s.end_time - s.start_time)::float8 AS duration_s,
  (COALESCE(s.input_tokens, 0) + COALESCE(s.output_tokens, 0) + COALESCE(s.cache_creation_tokens, 0) + COALESCE(s.cache_read_tokens, 0))::bigint AS tokens,
  COALESCE(s.tool_calls, 0)::bigint AS tool_calls, COALESCE(s.commits, 0)::bigint AS commits,
  COALESCE(s.lines_added, 0)::bigint AS lines_added, COALESCE(s.lines_removed, 0)::bigint AS lines_removed,
  s.session_id`;

const TOOL_USES = `FROM claude_metrics.tool_uses u
WHERE u.deleted_at IS NULL AND $__timeFilter(u.used_at) AND ${WHO('u')}`;

// Rate limits are per account: each developer's highest reading in each interval.
const LIMITS = `SELECT to_timestamp(floor(extract(epoch FROM l.sampled_at) * 1000 / $__interval_ms) * $__interval_ms / 1000.0) AS time,
  l.developer,
  max(l.five_hour_used_pct)::float8 AS five_hour_pct, max(l.seven_day_used_pct)::float8 AS seven_day_pct
FROM claude_metrics.statusline_samples l
WHERE l.deleted_at IS NULL AND $__timeFilter(l.sampled_at) AND ${WHO('l')}
  AND (l.five_hour_used_pct IS NOT NULL OR l.seven_day_used_pct IS NOT NULL)
GROUP BY 1, 2 ORDER BY 1, 2`;

// The pipeline is the state now, not a time range: a machine that stopped pushing is what it must
// show. last_push_at is the last push that applied rows, so an idle machine ages as a broken one does.
const REPLICAS = `SELECT r.developer, r.machine, r.last_push_at,
  extract(epoch FROM now() - r.last_push_at)::float8 AS since_last_push_s,
  r.cursor, r.rows_applied, r.created_at AS first_push, r.client_version, r.replica_id::text AS replica_id
FROM claude_metrics.replicas r
WHERE ${WHO('r')}
ORDER BY r.last_push_at ASC NULLS FIRST, r.developer, r.machine`;

function target(sql, format) {
  return { refId: 'A', datasource: DS, editorMode: 'code', format, rawQuery: true, rawSql: sql.trim() };
}

const money = (name) => ({ matcher: { id: 'byName', options: name }, properties: [{ id: 'unit', value: 'currencyUSD' }, { id: 'decimals', value: 4 }] });
const unit = (name, value) => ({ matcher: { id: 'byName', options: name }, properties: [{ id: 'unit', value }] });

function panels() {
  let nextId = 1;
  const panel = (type, title, gridPos, sql, { format = 'table', description, fieldConfig, options } = {}) => ({
    id: nextId++,
    type,
    title,
    ...(description ? { description } : {}),
    gridPos,
    datasource: DS,
    targets: [target(sql, format)],
    fieldConfig: fieldConfig ?? { defaults: {}, overrides: [] },
    options: options ?? {},
  });

  const stat = (title, x, sql, unitName, description) =>
    panel('stat', title, { x, y: 0, w: 4, h: 4 }, sql, {
      description,
      fieldConfig: { defaults: { unit: unitName, decimals: unitName === 'currencyUSD' ? 2 : undefined, color: { mode: 'fixed', fixedColor: 'blue' } }, overrides: [] },
      options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value' },
    });

  const bars = { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1, stacking: { mode: 'normal', group: 'A' }, showPoints: 'never', barAlignment: 0 };
  const series = (title, gridPos, sql, unitName, description, extra = {}) =>
    panel('timeseries', title, gridPos, sql, {
      format: 'time_series',
      description,
      fieldConfig: { defaults: { unit: unitName, custom: { ...bars, ...(extra.custom ?? {}) }, ...(extra.defaults ?? {}) }, overrides: extra.overrides ?? [] },
      options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    });

  const table = (title, gridPos, sql, description, overrides = []) =>
    panel('table', title, gridPos, sql, { description, fieldConfig: { defaults: {}, overrides }, options: { showHeader: true, cellHeight: 'sm' } });

  const sessionOverrides = [money('cost_usd'), unit('duration_s', 's'), unit('tokens', 'short')];

  return [
    stat('Cost', 0, `${CALLS}\nSELECT COALESCE(sum(cost_usd), 0)::float8 AS cost_usd FROM calls`, 'currencyUSD', 'List-price cost of the API calls made in the time range by the chosen developers and machines.'),
    stat('Sessions', 4, `${CALLS}\nSELECT count(DISTINCT session_id) AS sessions FROM calls`, 'short', 'Sessions with at least one API call in the time range.'),
    stat('API calls', 8, `${CALLS}\nSELECT COALESCE(sum(calls), 0)::bigint AS api_calls FROM calls`, 'short'),
    stat('Tokens', 12, `${CALLS}\nSELECT COALESCE(sum(${TOKENS}), 0)::bigint AS tokens FROM calls`, 'short', 'Input, output, cache write and cache read tokens.'),
    stat(
      'Cache hit ratio',
      16,
      `${CALLS}\nSELECT (sum(cache_read_tokens)::float8 / NULLIF(sum(input_tokens + cache_creation_tokens + cache_read_tokens), 0)::float8) AS cache_hit_ratio FROM calls`,
      'percentunit',
      'Cache read tokens / all input-side tokens (input + cache write + cache read).',
    ),
    stat('Developers', 20, `${CALLS}\nSELECT count(DISTINCT developer) AS developers FROM calls`, 'short', 'Developers with at least one API call in the time range.'),

    series(
      'Cost per day, by developer',
      { x: 0, y: 4, w: 12, h: 9 },
      `${CALLS}\nSELECT ${DAY('ts')} AS time, developer, sum(cost_usd)::float8 AS cost_usd FROM calls GROUP BY 1, 2 ORDER BY 1, 2`,
      'currencyUSD',
      'Each API call counts on the UTC day it was made, for the developer whose machine made it.',
      { defaults: { displayName: '${__field.labels.developer}' } },
    ),
    series(
      'Cost per day, by model',
      { x: 12, y: 4, w: 12, h: 9 },
      `${CALLS}\nSELECT ${DAY('ts')} AS time, model, sum(cost_usd)::float8 AS cost_usd FROM calls GROUP BY 1, 2 ORDER BY 1, 2`,
      'currencyUSD',
      'Each API call counts on the UTC day it was made.',
      { defaults: { displayName: '${__field.labels.model}' } },
    ),
    table(
      'Per developer',
      { x: 0, y: 13, w: 12, h: 8 },
      `${CALLS}\nSELECT developer, count(DISTINCT machine) AS machines, count(DISTINCT session_id) AS sessions, sum(calls)::bigint AS api_calls,
  sum(${TOKENS})::bigint AS tokens, sum(cost_usd)::float8 AS cost_usd, max(ts) AS last_call
FROM calls GROUP BY developer ORDER BY cost_usd DESC, developer`,
      'Per developer over the time range: machines and sessions with calls, calls, tokens, cost, and the latest call.',
      [money('cost_usd'), unit('tokens', 'short')],
    ),
    series(
      'Tokens per day, by kind',
      { x: 12, y: 13, w: 12, h: 8 },
      `${CALLS}\nSELECT ${DAY('ts')} AS time, sum(input_tokens)::bigint AS input, sum(output_tokens)::bigint AS output,
  sum(cache_creation_tokens)::bigint AS cache_write, sum(cache_read_tokens)::bigint AS cache_read
FROM calls GROUP BY 1 ORDER BY 1`,
      'short',
    ),
    series(
      'Cache hit ratio per day',
      { x: 0, y: 21, w: 8, h: 8 },
      `${CALLS}\nSELECT ${DAY('ts')} AS time, (sum(cache_read_tokens)::float8 / NULLIF(sum(input_tokens + cache_creation_tokens + cache_read_tokens), 0)::float8) AS cache_hit_ratio
FROM calls GROUP BY 1 ORDER BY 1`,
      'percentunit',
      'Cache read tokens / (input + cache write + cache read tokens).',
      { custom: { drawStyle: 'line', fillOpacity: 10, showPoints: 'always', stacking: { mode: 'none' } }, defaults: { min: 0, max: 1 } },
    ),
    series(
      'Sessions per day',
      { x: 8, y: 21, w: 8, h: 8 },
      `${CALLS}\nSELECT ${DAY('ts')} AS time, count(DISTINCT session_id) AS sessions FROM calls GROUP BY 1 ORDER BY 1`,
      'short',
      'Sessions with at least one API call that UTC day.',
    ),
    panel(
      'barchart',
      'Cost by project',
      { x: 16, y: 21, w: 8, h: 8 },
      `${CALLS}\nSELECT COALESCE(s.cwd, '(unknown)') AS project, sum(c.cost_usd)::float8 AS cost_usd
FROM calls c LEFT JOIN claude_metrics.sessions s ON s.session_id = c.session_id AND s.deleted_at IS NULL
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15`,
      {
        description: 'By the session\'s working folder: the same path on two machines is one project.',
        fieldConfig: { defaults: { unit: 'currencyUSD', custom: { fillOpacity: 80 } }, overrides: [] },
        options: { orientation: 'horizontal', xField: 'project', showValue: 'auto', legend: { showLegend: false, displayMode: 'list', placement: 'bottom' } },
      },
    ),
    table(
      'Recent sessions',
      { x: 0, y: 29, w: 24, h: 10 },
      `SELECT ${SESSION_COLUMNS}\nFROM claude_metrics.sessions s WHERE ${SESSIONS_IN_RANGE}\nORDER BY start DESC, s.session_id LIMIT 100`,
      'Sessions that started in the time range, newest first; figures are the whole session.',
      sessionOverrides,
    ),
    table(
      'Most expensive sessions',
      { x: 0, y: 39, w: 14, h: 9 },
      `SELECT ${SESSION_COLUMNS}\nFROM claude_metrics.sessions s WHERE ${SESSIONS_IN_RANGE}\nORDER BY cost_usd DESC, start DESC, s.session_id LIMIT 10`,
      'Sessions that started in the time range, by cost.',
      sessionOverrides,
    ),
    table(
      'Cost by model',
      { x: 14, y: 39, w: 10, h: 9 },
      `${CALLS}\nSELECT model, count(DISTINCT session_id) AS sessions, sum(calls)::bigint AS api_calls, sum(${TOKENS})::bigint AS tokens, sum(cost_usd)::float8 AS cost_usd
FROM calls GROUP BY model ORDER BY cost_usd DESC, model`,
      undefined,
      [money('cost_usd'), unit('tokens', 'short')],
    ),
    series(
      'Tool uses per day',
      { x: 0, y: 48, w: 12, h: 8 },
      `SELECT ${DAY('u.used_at')} AS time, count(*) AS uses, count(*) FILTER (WHERE u.is_error = 1) AS errors\n${TOOL_USES}\nGROUP BY 1 ORDER BY 1`,
      'short',
      'Tool uses (subagents\' included) by the UTC day they were made, and those whose result was an error.',
    ),
    table(
      'Tool uses by tool',
      { x: 12, y: 48, w: 12, h: 8 },
      `SELECT COALESCE(u.name, '(unknown)') AS tool, count(*) AS uses, count(*) FILTER (WHERE u.is_error = 1) AS errors,
  (count(*) FILTER (WHERE u.is_error = 1))::float8 / count(*) AS error_rate
${TOOL_USES}
GROUP BY 1 ORDER BY uses DESC, tool`,
      'Tool uses in the time range by tool, and the share whose result was an error.',
      [unit('error_rate', 'percentunit')],
    ),
    series(
      'Official usage limits (5-hour and 7-day)',
      { x: 0, y: 56, w: 24, h: 8 },
      LIMITS,
      'percent',
      'The plan\'s own 5-hour and 7-day usage, as Claude Code\'s status line reported it (Pro and Max plans; the status line must be installed): each developer\'s highest reading in each interval.',
      { custom: { drawStyle: 'line', fillOpacity: 0, showPoints: 'always', stacking: { mode: 'none' }, spanNulls: true }, defaults: { min: 0, max: 100, displayName: '${__field.name} ${__field.labels.developer}' } },
    ),
    table(
      'Pipeline: machines and their last push',
      { x: 0, y: 64, w: 24, h: 8 },
      REPLICAS,
      'Each machine\'s database (a replica) as the team database knows it now, whatever the time range: its last push that applied rows and how long ago, its cursor (the last local change applied here) and the rows applied in all. The longest silent come first: a machine that stopped pushing, or one with nothing new to push (an idle machine ages here too). `claude-metrics status` on that machine tells which.',
      [unit('since_last_push_s', 's'), unit('rows_applied', 'short')],
    ),
  ];
}

const DEVELOPERS = `SELECT developer FROM claude_metrics.sessions WHERE deleted_at IS NULL
UNION
SELECT developer FROM claude_metrics.replicas
ORDER BY 1`;
const MACHINES = `SELECT machine FROM claude_metrics.sessions WHERE deleted_at IS NULL AND developer = ANY (ARRAY[$developer]::text[])
UNION
SELECT machine FROM claude_metrics.replicas WHERE developer = ANY (ARRAY[$developer]::text[])
ORDER BY 1`;

const queryVariable = (name, label, sql) => ({
  name,
  label,
  type: 'query',
  datasource: DS,
  query: sql,
  definition: sql,
  refresh: 1,
  multi: true,
  includeAll: true,
  current: { selected: true, text: ['All'], value: ['$__all'] },
  options: [],
  regex: '',
  sort: 0,
  hide: 0,
});

export function buildDashboard() {
  return {
    uid: 'claude-metrics-team',
    title: 'Claude Code metrics: team',
    description: 'Cost, tokens, sessions, tools and limits of every developer and machine pushing to the team database (PostgreSQL), and the push pipeline.',
    tags: ['claude-code', 'claude-metrics', 'team'],
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
          label: 'Team database',
          type: 'datasource',
          query: DATASOURCE_TYPE,
          current: { text: DATASOURCE_UID, value: DATASOURCE_UID },
          hide: 0,
          refresh: 1,
          regex: '',
          options: [],
        },
        queryVariable('developer', 'Developer', DEVELOPERS),
        queryVariable('machine', 'Machine', MACHINES),
      ],
    },
    annotations: { list: [] },
    links: [],
    panels: panels(),
  };
}

export function dashboardJson() {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, dashboardJson());
  console.log(`wrote ${path.relative(ROOT, OUT)}: ${buildDashboard().panels.length} panels`);
}
