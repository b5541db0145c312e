// The database connection: opened with the pragmas that make every commit durable (WAL,
// synchronous=FULL on every open, a busy timeout) and brought up to date by the numbered
// migrations in ./migrations, recorded in PRAGMA user_version.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { packageRoot } from '../shared/config.js';

export type Db = Database.Database;

/** How long one statement waits for another writer before we back off (without blocking long). */
export const BUSY_TIMEOUT_MS = 200;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function migrationsDir(): string {
  return path.join(packageRoot(), 'src', 'worker', 'migrations');
}

/** Reads `NNNN_name.sql` files in order; numbers must run 1, 2, 3… with no gap. */
export function loadMigrations(dir = migrationsDir()): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} is out of sequence (expected ${i + 1})`);
  });
  return migrations;
}

export function openDatabase(file: string, migrations = loadMigrations()): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // Create it 0600 ourselves: SQLite would use 0644, and gives -wal/-shm the main file's mode.
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Statement journals in memory: token_usage's triggers (migration 0009) make every write of a
    // call a statement that may need one, and in a temp file that cost ~20 µs a call (4x a write).
    db.pragma('temp_store = MEMORY');
    migrate(db, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Applies every migration above user_version, each with its version bump in one transaction. */
export function migrate(db: Db, migrations: Migration[]): number {
  // Up to date (the usual case): no write lock needed, so a busy database does not delay start.
  if ((db.pragma('user_version', { simple: true }) as number) === migrations.length) return 0;
  let applied = 0;
  for (const m of migrations) {
    // Read the version inside the write lock: two workers may start on a new database at once.
    db.exec('BEGIN IMMEDIATE');
    try {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current > migrations.length) {
        throw new Error(`database schema version ${current} is newer than this claude-metrics knows (${migrations.length}); upgrade claude-metrics`);
      }
      if (current < m.version) {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
        applied++;
      }
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }
  return applied;
}
