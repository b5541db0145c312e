// Build: bundles the hook (dist/hook.cjs: CommonJS, everything inlined, so Node loads one small
// file), the status line (dist/statusline.cjs: the same, with better-sqlite3 external and loaded
// only when a database exists), the CLI (dist/cli.js, a version check that answers --version
// and --help, then dist/main.js and one chunk per command: ESM; better-sqlite3 stays external
// because it is native), the dashboard's server (dist/dashboard-server.js, loaded by
// `claude-metrics dashboard` only) and its web app (dist/dashboard/: index.html, app.js, app.css;
// Preact and uPlot bundled in, nothing fetched from a CDN).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { builtinModules, createRequire } from 'node:module';

const nodeRequire = createRequire(import.meta.url);

fs.rmSync('dist', { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node22', legalComments: 'none', logLevel: 'warning' };
// The hook starts on every Claude Code event, the status line after every assistant message:
// node:crypto and worker_threads, which write-file-atomic loads only to name its temp file, and
// signal-exit, with which it deletes a temp file when a signal cuts a write short, are replaced in
// both by small stand-ins (see src/hook/shims/): together they cost ~6 ms of a ~25 ms Node start.
const hookShims = {
  name: 'hook-shims',
  setup(b) {
    const shims = { crypto: 'src/hook/shims/crypto.ts', worker_threads: 'src/hook/shims/worker-threads.ts', 'signal-exit': 'src/hook/shims/signal-exit.ts' };
    b.onResolve({ filter: /^(node:)?(crypto|worker_threads)$|^signal-exit$/ }, (args) => ({ path: path.resolve(shims[args.path.replace(/^node:/, '')]) }));
  },
};
// Node's own modules through require (the banner's createRequire) rather than ESM imports: an
// ESM import of a builtin builds a namespace of all its exports (node:fs and node:util cost
// ~3 ms each, ~5 ms for a report's six), a require takes the module Node already loaded.
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!builtins.has(args.path.replace(/^node:/, '')) || args.path === 'node:sqlite') return undefined;
      // The stand-in's own require is the real one, left to Node. A bundled CommonJS dependency's
      // require() gets a CommonJS stand-in (its module as it is), an import the ESM one below.
      if (args.namespace === 'builtin' || args.namespace === 'builtin-cjs') return { path: args.path, external: true };
      return { path: args.path, namespace: args.kind === 'require-call' ? 'builtin-cjs' : 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    // An ESM stand-in, not `module.exports = require(…)`: esbuild would wrap that in __toESM, which
    // copies every property of the module, and asking node:util for its properties' descriptors
    // loads what it keeps lazily (TextDecoder, util.diff with its colours, process.stderr's stream,
    // node:stream, worker_threads: ~6.5 ms of a report). Here each export is its own pure read,
    // which esbuild drops where nothing imports it.
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const names = Object.getOwnPropertyNames(nodeRequire(args.path)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      const lines = [`const m = require(${JSON.stringify(args.path)});`, 'const get = (k) => m[k];', 'export default m;'];
      for (const n of names) lines.push(`export const ${n} = /* @__PURE__ */ get(${JSON.stringify(n)});`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};
await build({
  ...common,
  plugins: [hookShims, builtinsViaRequire],
  entryPoints: ['src/hook/main.ts'],
  outfile: 'dist/hook.cjs',
  format: 'cjs',
  minify: true,
  banner: { js: '#!/usr/bin/env node' },
  // config.ts's packageRoot() default uses import.meta.url; the hook always passes its own file.
  define: { 'import.meta.url': 'undefined' },
});
await build({
  ...common,
  plugins: [hookShims, builtinsViaRequire],
  entryPoints: ['src/statusline/run.ts'],
  outfile: 'dist/statusline-run.cjs',
  format: 'cjs',
  minify: true,
  external: ['better-sqlite3'],
  // The status line always passes its own file (__filename) where import.meta.url would be used.
  define: { 'import.meta.url': 'undefined' },
});
// The status line's loader runs dist/statusline-run.cjs from V8's code cache, one file per build:
// V8 checks a cache's Node version and flags but not its source, so the build id names the file.
const statuslineBuildId = createHash('sha256').update(fs.readFileSync('dist/statusline-run.cjs')).digest('hex').slice(0, 16);
await build({
  ...common,
  plugins: [builtinsViaRequire],
  entryPoints: ['src/statusline/main.ts'],
  outfile: 'dist/statusline.cjs',
  format: 'cjs',
  minify: true,
  banner: { js: '#!/usr/bin/env node' },
  define: { STATUSLINE_BUILD_ID: JSON.stringify(statuslineBuildId) },
});
// The team database's mirror (--postgres: report, dashboard) is its own file too, dist/team-mirror.js:
// main.js's chunks and dist/report.cjs import it at run time, so that neither pg nor better-sqlite3
// (imported at its top) loads for a local report.
const teamMirrorExternal = {
  name: 'team-mirror-external',
  setup(b) {
    b.onResolve({ filter: /\/sync\/team-mirror\.js$/ }, () => ({ path: './team-mirror.js', external: true }));
  },
};
// `claude-metrics report` in one CommonJS file (dist/report.cjs), which dist/cli.js runs from V8's
// code cache (src/shared/code-cache.ts): no main.js and no shared chunks to resolve, load and link,
// and no function compiled twice. The team mirror stays ./team-mirror.js, imported at run time.
await build({
  ...common,
  entryPoints: ['src/cli/report-main.ts'],
  outfile: 'dist/report.cjs',
  format: 'cjs',
  external: ['better-sqlite3', 'pg', 'pg-native'],
  plugins: [builtinsViaRequire, teamMirrorExternal],
  // node:url is loaded by Node itself before any user code.
  banner: { js: 'var __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__importMetaUrl' },
});
const reportBuildId = createHash('sha256').update(fs.readFileSync('dist/report.cjs')).digest('hex').slice(0, 16);
// The CLI: dist/cli.js is a tiny entry that checks the Node version and answers --version and
// --help before dist/main.js (the command line itself) loads anything.
await build({
  ...common,
  entryPoints: ['src/cli/entry.ts'],
  outfile: 'dist/cli.js',
  format: 'esm',
  target: 'es2020', // parsed by any Node that might run it, so that the version check can speak
  supported: { 'top-level-await': true },
  external: ['./main.js', './team-mirror.js'],
  banner: { js: '#!/usr/bin/env node' },
  define: { REPORT_BUILD_ID: JSON.stringify(reportBuildId) },
});
// The dashboard's server is its own file, so that other commands never load it: main.js imports
// it at run time as ./dashboard-server.js.
const dashboardServerExternal = {
  name: 'dashboard-server-external',
  setup(b) {
    b.onResolve({ filter: /\/dashboard\/server\/server\.js$/ }, () => ({ path: './dashboard-server.js', external: true }));
  },
};
// Bundled CommonJS dependencies (write-file-atomic) expect require and __filename.
const esmBanner = {
  js: [
    "import { createRequire as __createRequire } from 'node:module';",
    "import { fileURLToPath as __fileURLToPath } from 'node:url';",
    'const require = __createRequire(import.meta.url);',
    'const __filename = __fileURLToPath(import.meta.url);',
  ].join('\n'),
};
await build({
  ...common,
  entryPoints: ['src/dashboard/server/server.ts'],
  outfile: 'dist/dashboard-server.js',
  format: 'esm',
  external: ['better-sqlite3'],
  banner: esmBanner,
});
// The web app: one script and one stylesheet for the browser, the page and its icon copied.
await build({
  bundle: true,
  entryPoints: { app: 'src/dashboard/web/main.tsx' },
  outdir: 'dist/dashboard',
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const name of ['index.html', 'favicon.svg']) fs.copyFileSync(path.join('src/dashboard/web', name), path.join('dist/dashboard', name));
// dist/main.js dispatches to each command through a dynamic import: with splitting, every
// command is its own chunk (dist/<name>-<hash>.js, beside dist/claimer.js, which the worker's
// chunk finds as ./claimer.js), so a report loads neither the worker nor chokidar.
await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: '[name]-[hash]',
  format: 'esm',
  // pg (node-postgres, for `sync` and a worker with --postgres) stays a dependency loaded from
  // node_modules, in the sync chunk only; its optional native binding is never asked for.
  external: ['better-sqlite3', 'pg', 'pg-native'],
  plugins: [builtinsViaRequire, dashboardServerExternal, teamMirrorExternal],
  banner: esmBanner,
});
await build({
  ...common,
  entryPoints: { 'team-mirror': 'src/sync/team-mirror.ts' },
  outdir: 'dist',
  format: 'esm',
  external: ['better-sqlite3', 'pg', 'pg-native'],
  plugins: [builtinsViaRequire],
  banner: esmBanner,
});
// The claimer thread (src/worker/claimer.ts starts it from dist/claimer.js, beside dist/cli.js).
await build({
  ...common,
  entryPoints: ['src/worker/claimer-thread.ts'],
  outfile: 'dist/claimer.js',
  format: 'esm',
  banner: esmBanner,
});
fs.chmodSync('dist/hook.cjs', 0o755);
fs.chmodSync('dist/statusline.cjs', 0o755);
fs.chmodSync('dist/cli.js', 0o755);
