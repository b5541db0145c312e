// The hook's floor: only what the spool protocol requires of any hook written in Node, with no
// module of npm and no checks: read stdin to its end without blocking, spool it (temp file,
// fsync, rename, folder fsync; both in bench/floor-io.cjs, shared with the status line's floor),
// print {}. `node bench/hook-floor.cjs SPOOL`. For bench section 1 only, never for users.
'use strict';
const fs = require('fs');
const { readStdin, spool } = require('./floor-io.cjs');

readStdin((bytes) => {
  spool(process.argv[2], bytes);
  fs.writeSync(1, '{}\n');
});
