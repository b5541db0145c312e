// The `claude-metrics` executable (dist/cli.js): refuses a Node older than 22 with a message
// before anything native loads (better-sqlite3 13's binary crashes Node 20 with a segfault),
// then runs the command line (dist/main.js, from src/cli/main.ts).
const MIN_NODE_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (major < MIN_NODE_MAJOR) {
  process.stderr.write(
    `claude-metrics: needs Node ${MIN_NODE_MAJOR} or newer; this is Node ${process.version} (${process.execPath}).\n` +
      "Install Node 22 or 24, or run 'npm start' in the package folder: it takes Node 24 from the npm registry.\n",
  );
  process.exit(1);
}
// @ts-ignore: dist/main.js exists only after the build; the source is src/cli/main.ts.
await import('./main.js');
