// The `claude-metrics` executable (dist/cli.js): refuses a Node older than 22 with a message
// before anything native loads (better-sqlite3 13's binary crashes Node 20 with a segfault),
// answers --version and --help itself (so they cost a Node start and no more), then runs the
// command line (dist/main.js, from src/cli/main.ts), which loads only the command asked for.
import { REPORT_KINDS } from '../report/kinds.js';
import { loadBundle } from '../shared/code-cache.js';
import { privateCacheDir } from '../shared/private-cache.js';
import { MAIN_HELP, quickAnswer } from './help.js';

/** dist/report.cjs's build id (a hash of it), set by scripts/build.mjs. */
declare const REPORT_BUILD_ID: string;

const MIN_NODE_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (major < MIN_NODE_MAJOR) {
  process.stderr.write(
    `claude-metrics: needs Node ${MIN_NODE_MAJOR} or newer; this is Node ${process.version} (${process.execPath}).\n` +
      "Install Node 22 or 24, or run 'npm start' in the package folder: it takes Node 24 from the npm registry.\n",
  );
  process.exit(1);
}
const quick = quickAnswer(process.argv.slice(2));
if (quick === 'version') {
  const { readFileSync } = await import('node:fs');
  // dist/cli.js sits one folder below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`${pkg.version}\n`);
} else if (quick !== null) {
  process.stdout.write(MAIN_HELP);
  // `claude-metrics` alone is a usage error (exit 2) that shows the help.
  if (quick === 'usage') process.exitCode = 2;
} else {
  // getBuiltinModule takes the module Node already loaded; an ESM import of node:fs costs ~3 ms.
  const fs = (process.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined) ?? (await import('node:fs'));
  const nodeModule = (process.getBuiltinModule?.('node:module') as typeof import('node:module') | undefined) ?? (await import('node:module')).default;
  if (process.argv[2] === 'report') {
    runReport(fs, nodeModule, (process.getBuiltinModule?.('node:vm') as typeof import('node:vm') | undefined) ?? (await import('node:vm')).default);
  } else {
    // V8's compiled code for our modules, kept by Node between runs (Node 22.1 and later; a Node
    // without it just compiles as before). In a folder of the user's own, not Node's default in
    // the shared temp folder: compiled code found there would be run as this user, whoever put it there.
    const cacheDir = privateCacheDir(fs, 'compile-cache');
    if (nodeModule.enableCompileCache && cacheDir !== null) nodeModule.enableCompileCache(cacheDir);
    // @ts-ignore: dist/main.js exists only after the build; the source is src/cli/main.ts.
    await import('./main.js');
  }
}

/**
 * `report`: dist/report.cjs, run from V8's code cache (src/shared/code-cache.ts), one cache per
 * report kind (each compiles its own functions); the cache, when not used, is written at exit.
 */
function runReport(fs: typeof import('node:fs'), nodeModule: typeof import('node:module'), vm: typeof import('node:vm')): void {
  const file = decodeURIComponent(new URL('./report.cjs', import.meta.url).pathname);
  // A mistyped kind ends in a usage error: it shares 'other' rather than getting a cache of its own.
  const kind = (REPORT_KINDS as readonly string[]).includes(process.argv[3] ?? '') ? process.argv[3] : 'other';
  const loaded = loadBundle(fs, vm, file, `report-${kind}`, REPORT_BUILD_ID, nodeModule.createRequire(file));
  // @ts-ignore: dist/team-mirror.js exists only after the build; the source is src/sync/team-mirror.ts.
  (loaded.exports as typeof import('./report-main.js')).runReport(() => import('./team-mirror.js'));
  const save = loaded.save;
  if (save) {
    process.once('exit', () => {
      try {
        save();
      } catch (err) {
        // A cache only saves time: a home without room or rights goes without it.
        if (!(err instanceof Error && 'code' in err)) throw err;
      }
    });
  }
}
