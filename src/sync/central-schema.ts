// The team database's schema: numbered SQL files in ./central-migrations, applied in order, each
// in its own transaction with the version it reaches recorded in claude_metrics.schema_version
// (PostgreSQL has no PRAGMA user_version; this one-row table plays its part). A transaction-level
// advisory lock makes two machines starting on a new server at once apply each file once. A
// writer role that may not create tables can still push to a server already up to date.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { packageRoot } from '../shared/config.js';

export interface CentralMigration {
  version: number;
  name: string;
  sql: string;
}

export function centralMigrationsDir(): string {
  return path.join(packageRoot(), 'src', 'sync', 'central-migrations');
}

/** `NNNN_name.sql` in order; numbers must run 1, 2, 3… with no gap. */
export function loadCentralMigrations(dir = centralMigrationsDir()): CentralMigration[] {
  const list = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`central migration ${m.name} is out of sequence (expected ${i + 1})`);
  });
  return list;
}

/** An arbitrary constant: the key of the advisory lock migrations hold. */
const MIGRATION_LOCK = 7_226_115_001;

export async function centralSchemaVersion(client: pg.ClientBase): Promise<number> {
  // A scan of pg_class under this statement's snapshot, not to_regclass: that reads the catalog
  // cache, which an advisory lock does not refresh, and would miss a schema another machine
  // created while this one waited for the lock (seen: "relation replicas already exists").
  const exists = await client.query(
    `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'claude_metrics' AND c.relname = 'schema_version'`,
  );
  if (exists.rowCount === 0) return 0;
  const r = await client.query<{ version: number }>('SELECT version FROM claude_metrics.schema_version');
  return r.rows[0]?.version ?? 0;
}

/** A central schema this version cannot use (newer than it knows): an error for the operator. */
export class CentralSchemaError extends Error {}

/** Brings the central schema up to date; returns how many files it applied. */
export async function migrateCentral(client: pg.ClientBase, migrations = loadCentralMigrations()): Promise<number> {
  const current = await centralSchemaVersion(client);
  if (current > migrations.length) {
    throw new CentralSchemaError(`the team database's schema is version ${current}, newer than this claude-metrics knows (${migrations.length}): upgrade claude-metrics`);
  }
  if (current === migrations.length) return 0;
  let applied = 0;
  for (const m of migrations) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Read again under the lock: another machine may have migrated meanwhile.
      const now = await centralSchemaVersion(client);
      if (now < m.version) {
        await client.query(m.sql);
        await client.query('CREATE TABLE IF NOT EXISTS claude_metrics.schema_version (version integer NOT NULL)');
        await client.query('DELETE FROM claude_metrics.schema_version');
        await client.query('INSERT INTO claude_metrics.schema_version (version) VALUES ($1)', [m.version]);
        applied++;
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined); // the connection may be the thing that failed
      const code = (err as { code?: string }).code;
      if (code === '42501') {
        throw new CentralSchemaError(
          `the team database needs schema version ${migrations.length} (it has ${current}) and this role may not create it (${(err as Error).message}): run \`claude-metrics sync --postgres <owner's URL> --once\` once as the schema's owner (docs/TEAM.md)`,
        );
      }
      throw err;
    }
  }
  return applied;
}
