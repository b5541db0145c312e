// The status line's floor: the least any status line in Node does that spools its stdin by the
// spool protocol and shows costs from this database, with no module of npm and no checks: read
// stdin and spool it as a status line snapshot (bench/floor-io.cjs, as the hook's floor), open
// the database read-only through node:sqlite, read the session's cost and today's from the
// rollups, print one line. `node bench/statusline-floor.cjs SPOOL DB`. For bench section 5 only.
'use strict';
const fs = require('fs');
const { readStdin, spool } = require('./floor-io.cjs');

const [spoolDir, dbPath] = process.argv.slice(2);
readStdin((bytes) => {
  spool(spoolDir, bytes, '-statusline');
  const payload = JSON.parse(bytes.toString());
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {}; // node:sqlite's ExperimentalWarning on Node 22
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
  process.emitWarning = emitWarning;
  const db = new DatabaseSync(dbPath, { readOnly: true });
  const session = db.prepare('SELECT total_cost_usd FROM sessions WHERE session_id = ?').get(payload.session_id);
  const HOUR = 3_600_000;
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const today = db.prepare('SELECT total(cost_usd) AS usd FROM usage_hours WHERE hour >= ? AND hour < ?').get(Math.floor(midnight.getTime() / HOUR), Math.floor(Date.now() / HOUR) + 1);
  db.close();
  fs.writeSync(1, `${payload.model.display_name} | session $${(session?.total_cost_usd ?? 0).toFixed(2)} | today $${today.usd.toFixed(2)}\n`);
});
