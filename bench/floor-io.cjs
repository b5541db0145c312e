// What the two floors (bench/hook-floor.cjs, bench/statusline-floor.cjs) do alike, with no module
// of ours or of npm: read stdin to its end on the event loop through libuv's bare pipe handle (as
// the hook reads a socket or FIFO: a time bound needs the event loop free), and spool bytes by the
// protocol (a temp file in incoming/, fsync, rename, fsync of the folder). For the bench only.
'use strict';
const fs = require('fs');
const path = require('path');

/** Calls `done(bytes)` once stdin has ended. */
function readStdin(done) {
  const { Pipe, constants } = process.binding('pipe_wrap');
  const { streamBaseState, kReadBytesOrError, kArrayBufferOffset } = process.binding('stream_wrap');
  const chunks = [];
  const stdin = new Pipe(constants.SOCKET);
  stdin.open(0);
  stdin.onread = (buffer) => {
    const nread = streamBaseState[kReadBytesOrError];
    if (nread > 0) return void chunks.push(Buffer.from(buffer, streamBaseState[kArrayBufferOffset], nread));
    stdin.close();
    done(Buffer.concat(chunks));
  };
  stdin.readStart();
}

/** Writes `bytes` as spool/incoming/<id><suffix>.json, durably. */
function spool(root, bytes, suffix = '') {
  const incoming = path.join(root, 'incoming');
  const final = path.join(incoming, `${Date.now()}-${process.pid}-${Math.floor(Math.random() * 0xffffff).toString(16)}${suffix}.json`);
  const temp = `${final}.1`;
  const fd = fs.openSync(temp, 'wx', 0o600);
  fs.writeSync(fd, bytes);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(temp, final);
  const dir = fs.openSync(incoming, 'r');
  fs.fsyncSync(dir);
  fs.closeSync(dir);
}

module.exports = { readStdin, spool };
