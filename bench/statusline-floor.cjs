// The status line's floor: the least any status line in Node does that spools its stdin by the
// spool protocol and shows costs from this database, with no module of ours or of npm and no
// checks: read stdin on the event loop (libuv's bare pipe handle), write a temp file in
// incoming/, fsync it, rename it, fsync the folder, open the database read-only through
// node:sqlite, read the session's cost and today's from the rollups, print one line.
// `node bench/statusline-floor.cjs SPOOL DB`. For bench section 5 only, never for users.
'use strict';
const fs = require('fs');
const path = require('path');
const [spool, dbPath] = process.argv.slice(2);
const incoming = path.join(spool, 'incoming');
const { Pipe, constants } = process.binding('pipe_wrap');
const { streamBaseState, kReadBytesOrError, kArrayBufferOffset } = process.binding('stream_wrap');
const chunks = [];
const stdin = new Pipe(constants.SOCKET);
stdin.open(0);
stdin.onread = (buffer) => {
  const nread = streamBaseState[kReadBytesOrError];
  if (nread > 0) return void chunks.push(Buffer.from(buffer, streamBaseState[kArrayBufferOffset], nread));
  stdin.close();
  const bytes = Buffer.concat(chunks);
  const final = path.join(incoming, `${Date.now()}-${process.pid}-${Math.floor(Math.random() * 0xffffff).toString(16)}-statusline.json`);
  const fd = fs.openSync(`${final}.1`, 'wx', 0o600);
  fs.writeSync(fd, bytes);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(`${final}.1`, final);
  const dir = fs.openSync(incoming, 'r');
  fs.fsyncSync(dir);
  fs.closeSync(dir);
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
};
stdin.readStart();
