// What Grafana does to a query of its built-in PostgreSQL data source before PostgreSQL sees it,
// and how it types the columns of the answer: the stand-in the team dashboard's tests use, since
// Grafana cannot run here. Every rule below is read from Grafana's source (grafana/grafana as of
// 2026, the Grafana 12 line; @grafana/scenes for the variables):
//
// 1. Template variables, in the browser (public/app/features/plugins/sql/datasource/
//    SqlDatasource.ts, interpolateVariable; PostgresQueryModel.quoteLiteral): the value of a
//    multi-value or All variable is a list, each element quoted as a literal ('…', a quote
//    doubled) and the elements joined by ','. All stands for every option the variable's query
//    returned (@grafana/scenes MultiValueVariable.getValue), so All over no option at all (an
//    empty database) is the empty list, which becomes the empty string.
// 2. Grafana's global SQL macros, on the server (pkg/tsdb/grafana-postgresql-datasource/sqleng/
//    sql_engine.go, Interpolate): plain text replacements of $__interval_ms (the panel's interval
//    in ms), $__interval, $__unixEpochFrom() and $__unixEpochTo().
// 3. The data source's macros (pkg/tsdb/grafana-postgresql-datasource/macros.go): every match of
//    \$([_a-zA-Z0-9]+)\(([^)]*)\) (the arguments end at the first ')'), the arguments split at
//    ',' and trimmed of spaces; an unknown name is an error. $__timeFilter(col) is
//    `col BETWEEN '<from>' AND '<to>'`, $__timeFrom()/$__timeTo() the quoted bound, each bound
//    Go's time.RFC3339Nano of the UTC time (trailing zeros of the fraction dropped).
// 4. The answer (sql_engine.go, getFieldTypesFromDescriptions, processFrame): a column's type
//    comes from its PostgreSQL type alone: int2/int4/int8 integers, float4/float8/numeric
//    floats, bool, timestamptz/timestamp/date times, json/jsonb JSON, anything else a string.
//    No rows: an empty frame, never an error. A "time_series" query needs a column named
//    `time`; with a string column it is long format and goes through the SDK's LongToWide, which
//    fails on a NULL time or times out of order.
import type pg from 'pg';

/** What a panel's query is run with: the dashboard's time range, the panel's interval, and the variables' values. */
export interface GrafanaQueryContext {
  fromMs: number;
  toMs: number;
  /** $__interval_ms: Grafana derives it from the range and the panel's width; the tests choose it. */
  intervalMs: number;
  /** Multi-value variables (All = every option): name → values. */
  variables: Record<string, string[]>;
}

/** PostgresQueryModel.quoteLiteral. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The variable syntaxes of Grafana's template service ($name, [[name]], ${name}, ${name:format}). */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Step 1: the dashboard's multi-value variables; anything else (a macro) is left as it is. */
export function interpolateVariables(sql: string, variables: Record<string, string[]>): string {
  return sql.replace(VARIABLE, (match, plain?: string, bracket?: string, bracketFormat?: string, braced?: string, _path?: string, bracedFormat?: string) => {
    const name = plain ?? bracket ?? braced!;
    if (!Object.hasOwn(variables, name)) return match;
    if (bracketFormat !== undefined || bracedFormat !== undefined) throw new Error(`variable format ${match} is not emulated`);
    return variables[name]!.map(quoteLiteral).join(',');
  });
}

/** Go's time.Time.UTC().Format(time.RFC3339Nano) of an epoch in ms. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** Steps 2 and 3, as the server does them. */
export function interpolateMacros(sql: string, ctx: Pick<GrafanaQueryContext, 'fromMs' | 'toMs' | 'intervalMs'>): string {
  const from = rfc3339Nano(ctx.fromMs);
  const to = rfc3339Nano(ctx.toMs);
  let out = sql
    .replaceAll('$__interval_ms', String(ctx.intervalMs))
    .replaceAll('$__unixEpochFrom()', String(Math.floor(ctx.fromMs / 1000)))
    .replaceAll('$__unixEpochTo()', String(Math.floor(ctx.toMs / 1000)));
  if (out.includes('$__interval')) throw new Error('$__interval (the formatted interval) is not emulated: use $__interval_ms');
  out = out.replace(/\$([_a-zA-Z0-9]+)\(([^)]*)\)/g, (_m, name: string, rawArgs: string) => {
    const args = rawArgs.split(',').map((a) => a.replace(/^ +| +$/g, ''));
    switch (name) {
      case '__timeFilter':
        if (!args[0]) throw new Error(`missing time column argument for macro ${name}`);
        return `${args[0]} BETWEEN '${from}' AND '${to}'`;
      case '__timeFrom':
        return `'${from}'`;
      case '__timeTo':
        return `'${to}'`;
      default:
        // Grafana knows more (__time, __timeGroup, __unixEpochFilter…); the dashboard uses none of them.
        throw new Error(`macro $${name} is not emulated (Grafana: "unknown macro" unless it is one of its own)`);
    }
  });
  return out;
}

/** Steps 1 to 3: the SQL PostgreSQL receives. Fails if anything that looks like a variable or macro is left. */
export function expandForGrafana(sql: string, ctx: GrafanaQueryContext): string {
  const out = interpolateMacros(interpolateVariables(sql, ctx.variables), ctx);
  if (/\$/.test(out)) throw new Error(`a variable or macro left unexpanded in:\n${out}`);
  return out;
}

export type GrafanaFieldType = 'int' | 'float' | 'bool' | 'time' | 'json' | 'string';

// PostgreSQL type OIDs (pg_type).
const OID: Record<number, GrafanaFieldType> = {
  21: 'int', // int2
  23: 'int', // int4
  20: 'int', // int8
  700: 'float', // float4
  701: 'float', // float8
  1700: 'float', // numeric
  16: 'bool',
  1184: 'time', // timestamptz
  1114: 'time', // timestamp
  1082: 'time', // date
  114: 'json',
  3802: 'json', // jsonb
};

/** The field type Grafana gives a column of this PostgreSQL type. */
export function grafanaFieldType(dataTypeId: number): GrafanaFieldType {
  return OID[dataTypeId] ?? 'string';
}

export const PG_TYPE = { int8: 20, int4: 23, float8: 701, numeric: 1700, text: 25, timestamptz: 1184 } as const;

/** Whatever Grafana would refuse in a "time_series" answer (nothing for zero rows: an empty frame). */
export function timeSeriesDefects(result: pg.QueryResult): string[] {
  if (result.rows.length === 0) return [];
  const defects: string[] = [];
  const time = result.fields.find((f) => f.name === 'time');
  if (!time) return ['time column is missing'];
  const strings = result.fields.filter((f) => f.name !== 'time' && grafanaFieldType(f.dataTypeID) === 'string');
  const numbers = result.fields.filter((f) => f.name !== 'time' && grafanaFieldType(f.dataTypeID) !== 'string');
  if (numbers.length === 0) defects.push('no value column');
  let last = -Infinity;
  result.rows.forEach((row: Record<string, unknown>, i: number) => {
    const t = row.time instanceof Date ? row.time.getTime() : row.time === null ? null : Number(row.time);
    if (t === null) defects.push(`row ${i + 1}: NULL time`);
    else {
      if (t < last) defects.push(`row ${i + 1}: times out of order (LongToWide: series unsorted)`);
      last = t;
    }
    for (const f of strings) if (row[f.name] === null) defects.push(`row ${i + 1}: label ${f.name} is NULL`);
  });
  return defects;
}
