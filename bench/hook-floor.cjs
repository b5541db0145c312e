// The hook's floor: only what the spool protocol requires of any hook written in Node, with no
// module of ours or of npm and no checks: read stdin to its end without blocking (libuv's bare
// pipe handle, as the hook reads a socket or FIFO, since a time bound needs the event loop free),
// write a temp file in incoming/, fsync it, rename it into place, fsync the folder, print {}.
// `node bench/hook-floor.cjs SPOOL`. For bench section 1 only, never for users.
'use strict';
const fs = require('fs');
const path = require('path');
const incoming = path.join(process.argv[2], 'incoming');
const { Pipe, constants } = process.binding('pipe_wrap');
const { streamBaseState, kReadBytesOrError, kArrayBufferOffset } = process.binding('stream_wrap');
const chunks = [];
const stdin = new Pipe(constants.SOCKET);
stdin.open(0);
stdin.onread = (buffer) => {
  const nread = streamBaseState[kReadBytesOrError];
  if (nread > 0) return void chunks.push(Buffer.from(buffer, streamBaseState[kArrayBufferOffset], nread));
  stdin.close();
  const id = `${Date.now()}-${process.pid}-${Math.floor(Math.random() * 0xffffff).toString(16)}`;
  const final = path.join(incoming, `${id}.json`);
  const temp = `${final}.1`;
  const fd = fs.openSync(temp, 'wx', 0o600);
  fs.writeSync(fd, Buffer.concat(chunks));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(temp, final);
  const dir = fs.openSync(incoming, 'r');
  fs.fsyncSync(dir);
  fs.closeSync(dir);
  fs.writeSync(1, '{}\n');
};
stdin.readStart();
