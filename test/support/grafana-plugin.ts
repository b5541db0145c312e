// How the Grafana SQLite data source (frser-sqlite-datasource 4.0.3) turns a query's rows into a
// data frame, emulated for the tests: Grafana cannot run here, so the test cannot ask the real
// plugin. This is the only stand-in in the Grafana tests, and it is kept to the rules below, each
// read from the plugin's source (fr-ser/grafana-sqlite-datasource, tag v4.0.3, pkg/plugin/query.go),
// its SQLite driver (modernc.org/sqlite, v1.48.0 in the plugin's go.mod) and the Grafana plugin
// SDK's long-to-wide conversion (grafana-plugin-sdk-go v0.291.0, data/time_series.go):
//
// 1. A column's type comes first from its declared type (fetchData, query.go:310-326:
//    `columnTypes[idx].DatabaseTypeName()`, which the driver gives as SQLite's
//    sqlite3_column_decltype in upper case): INTEGER/INT → int64, REAL/NUMERIC/DOUBLE/FLOAT →
//    float64, NULL/TEXT/BLOB → string, anything else (an expression has none; TIMESTAMP, DATETIME…)
//    → UNKNOWN. A column named in the query's timeColumns is a time column whatever its type
//    (query.go:328-336). Here the declared type is better-sqlite3's `stmt.columns()[i].type`: the
//    same sqlite3_column_decltype.
// 2. An UNKNOWN column takes the type of its first non-NULL value (addTransformedRow,
//    query.go:118-126): the driver hands an INTEGER storage class as Go int64, REAL as float64,
//    TEXT as string, BLOB as []byte (query.go:82-116). Here the storage class is read exactly with
//    better-sqlite3's safeIntegers (INTEGER → bigint, REAL → number), not guessed from the value.
//    The driver also turns TEXT of a DATE/DATETIME/TIMESTAMP column into a Go time.Time when it
//    parses as one (modernc rows.Next); the plugin types that "UNKNOWN" (query.go:109-115), then
//    a string column, and prints it with %v.
// 3. Every later value is converted to the column's type (query.go:131-231): a float into an int64
//    column goes through int64() (0.229 → 0: a defect here), a string into a number column
//    through strconv.Parse* (NULL when it fails: a defect), a float into a string column through
//    "%f" (six decimals), a time column's value from epoch seconds or RFC 3339 text (NULL when
//    neither: a defect).
// 4. A frame's fields: time, number (int64, float64, and a column still UNKNOWN because it saw no
//    value: query.go:421-444) or string. A "time series" query (query.go:447-485, SDK
//    TimeSeriesSchema) is wide when it has a time field, a number field and no string field, and is
//    then passed through. Anything else goes to the SDK's LongToWide, which fails unless it is long
//    format (time + string + number fields) with at least one row ("input fields have no rows"),
//    its times non-NULL and ascending, and no NULL in a string field.
import Database from 'better-sqlite3';

export type FieldType = 'time' | 'number' | 'string';
type ColumnType = 'TIME' | 'INTEGER' | 'FLOAT' | 'STRING' | 'UNKNOWN';
type ValueType = 'INTEGER' | 'FLOAT' | 'STRING' | 'NULL' | 'UNKNOWN';

export interface PluginField {
  name: string;
  /** The plugin's column type (what decided the field's type). */
  columnType: ColumnType;
  type: FieldType;
  /** Values as the plugin holds them: epoch ms for times, numbers, strings; null for NULL. */
  values: Array<number | string | null>;
}

export interface PluginFrame {
  fields: PluginField[];
  rows: number;
  /** 'wide' / 'long' / 'not' for a time series query (before conversion); null for a table query. */
  timeSeries: 'wide' | 'long' | 'not' | null;
  /** Every place where the plugin would show something else than the database holds, or fail. */
  defects: string[];
}

export interface PluginQuery {
  queryType: string;
  timeColumns: string[];
}

function columnTypeOfDeclared(decltype: string | null, name: string, timeColumns: string[]): ColumnType {
  if (timeColumns.includes(name)) return 'TIME';
  switch ((decltype ?? '').toUpperCase()) {
    case 'INTEGER':
    case 'INT':
      return 'INTEGER';
    case 'REAL':
    case 'NUMERIC':
    case 'DOUBLE':
    case 'FLOAT':
      return 'FLOAT';
    case 'NULL':
    case 'TEXT':
    case 'BLOB':
      return 'STRING';
    default:
      return 'UNKNOWN';
  }
}

// modernc's parseTime formats (after trimming a trailing Z): 2006-01-02[ T]15:04[:05[.999999999][-07:00]], 2006-01-02.
const DRIVER_TIME = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2})?)?)?$/;
// Go's time.Parse(time.RFC3339, …): a fraction of a second is accepted when parsing.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
// strconv.ParseFloat / ParseInt (decimal forms; the hex and underscore forms do not occur here).
const GO_FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;
const GO_INT = /^[+-]?\d+$/;

/** A value as the driver hands it to the plugin, and the plugin's name for its type. */
function driverValue(v: unknown, decltype: string | null): { type: ValueType; value: bigint | number | string | null; goTime?: string } {
  if (v === null || v === undefined) return { type: 'NULL', value: null };
  if (typeof v === 'bigint') return { type: 'INTEGER', value: v };
  if (typeof v === 'number') return { type: 'FLOAT', value: v };
  if (Buffer.isBuffer(v)) return { type: 'STRING', value: v.toString('utf8') };
  if (typeof v === 'string') {
    const d = (decltype ?? '').toUpperCase();
    if ((d === 'DATE' || d === 'DATETIME' || d === 'TIMESTAMP') && DRIVER_TIME.test(v.replace(/Z$/, ''))) {
      // A Go time.Time: the plugin's switch has no case for it.
      return { type: 'UNKNOWN', value: null, goTime: v };
    }
    return { type: 'STRING', value: v };
  }
  throw new Error(`unexpected value from better-sqlite3: ${typeof v} ${String(v)}`);
}

/** Runs `sql` (already substituted) on `db` and builds the frame the plugin would return. */
export function runAsPlugin(db: Database.Database, sql: string, q: PluginQuery): PluginFrame {
  const stmt = db.prepare(sql);
  stmt.safeIntegers(true);
  const declared = stmt.columns().map((c) => ({ name: c.name, decltype: c.type }));
  const cols = declared.map((c) => ({ ...c, type: columnTypeOfDeclared(c.decltype, c.name, q.timeColumns), values: [] as Array<number | string | null> }));
  const defects: string[] = [];
  const rows = stmt.raw(true).all() as unknown[][];
  rows.forEach((row, r) => {
    cols.forEach((col, i) => {
      const dv = driverValue(row[i], col.decltype);
      const where = `row ${r + 1}, ${col.name}`;
      if (col.type === 'UNKNOWN' && dv.type !== 'NULL') col.type = dv.type === 'UNKNOWN' ? 'STRING' : dv.type;
      const lost = (what: string) => defects.push(`${where}: ${what}`);
      switch (col.type) {
        case 'TIME': {
          if (dv.type === 'NULL') col.values.push(null);
          else if (dv.type === 'INTEGER') col.values.push(Number(dv.value) * 1000);
          else if (dv.type === 'FLOAT') col.values.push(Math.trunc((dv.value as number) * 1000));
          else {
            const text = dv.type === 'UNKNOWN' ? `(a Go time.Time printed with %v, not ${JSON.stringify(dv.goTime)})` : String(dv.value);
            if (RFC3339.test(text) && !Number.isNaN(Date.parse(text))) col.values.push(Date.parse(text));
            else if (GO_FLOAT.test(text)) col.values.push(Math.trunc(Number(text) * 1000));
            else {
              col.values.push(null);
              lost(`time ${text} is neither RFC 3339 nor epoch seconds: NULL`);
            }
          }
          break;
        }
        case 'INTEGER': {
          if (dv.type === 'NULL') col.values.push(null);
          else if (dv.type === 'INTEGER') col.values.push(Number(dv.value));
          else if (dv.type === 'FLOAT') {
            const f = dv.value as number;
            col.values.push(Math.trunc(f));
            if (!Number.isInteger(f)) lost(`${f} into an int64 column (typed by an earlier value): ${Math.trunc(f)}`);
          } else {
            const s = dv.type === 'STRING' ? (dv.value as string) : '';
            if (GO_INT.test(s)) col.values.push(Number(s));
            else {
              col.values.push(null);
              lost(`${JSON.stringify(dv.goTime ?? s)} into an int64 column: NULL`);
            }
          }
          break;
        }
        case 'FLOAT': {
          if (dv.type === 'NULL') col.values.push(null);
          else if (dv.type === 'FLOAT') col.values.push(dv.value as number);
          else if (dv.type === 'INTEGER') {
            const n = dv.value as bigint;
            col.values.push(Number(n));
            if (BigInt(Number(n)) !== n) lost(`${n} into a float64 column: ${Number(n)}`);
          } else {
            const s = dv.type === 'STRING' ? (dv.value as string) : '';
            if (GO_FLOAT.test(s)) col.values.push(Number(s));
            else {
              col.values.push(null);
              lost(`${JSON.stringify(dv.goTime ?? s)} into a float64 column: NULL`);
            }
          }
          break;
        }
        case 'STRING': {
          if (dv.type === 'NULL') col.values.push(null);
          else if (dv.type === 'INTEGER') col.values.push(String(dv.value));
          else if (dv.type === 'FLOAT') {
            const f = dv.value as number;
            const shown = f.toFixed(6); // Go's "%f"
            col.values.push(shown);
            if (Number(shown) !== f) lost(`${f} into a string column: "${shown}"`);
          } else if (dv.type === 'UNKNOWN') {
            col.values.push(`(Go time.Time of ${dv.goTime})`);
            lost(`${JSON.stringify(dv.goTime)} (a ${String(col.decltype)} column) is read by the driver as a Go time and shown in Go's %v format`);
          } else col.values.push(dv.value as string);
          break;
        }
        case 'UNKNOWN':
          col.values.push(null);
          break;
      }
    });
  });

  const fields: PluginField[] = cols.map((c) => ({
    name: c.name,
    columnType: c.type,
    type: c.type === 'TIME' ? 'time' : c.type === 'STRING' ? 'string' : 'number',
    values: c.values,
  }));
  let timeSeries: PluginFrame['timeSeries'] = null;
  if (q.queryType === 'time series') {
    const time = fields.findIndex((f) => f.type === 'time');
    const factors = fields.filter((f) => f.type === 'string');
    const values = fields.filter((f, i) => i !== time && f.type === 'number');
    timeSeries = fields.length === 0 || time < 0 || values.length === 0 ? 'not' : factors.length === 0 ? 'wide' : 'long';
    if (timeSeries === 'not') defects.push('can not convert to wide series, expected long format series input but got not series');
    else if (timeSeries === 'long') {
      // data.LongToWide
      if (rows.length === 0) defects.push('can not convert to wide series, input fields have no rows');
      const times = fields[time]!.values;
      for (let r = 0; r < rows.length; r++) {
        if (times[r] === null) defects.push(`row ${r + 1}: null time values (LongToWide)`);
        else if (r > 0 && times[r - 1] !== null && (times[r] as number) < (times[r - 1] as number)) defects.push(`row ${r + 1}: series unsorted (LongToWide)`);
        for (const f of factors) if (f.values[r] === null) defects.push(`row ${r + 1}: ${f.name} is NULL, LongToWide wants a string`);
      }
    }
  }
  return { fields, rows: rows.length, timeSeries, defects };
}
