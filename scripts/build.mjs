// Build: bundles the hook (dist/hook.cjs: CommonJS, everything inlined, so Node loads one small
// file), the status line (dist/statusline.cjs: the same, with better-sqlite3 external and loaded
// only when a database exists) and the CLI (dist/cli.js, a version check, then dist/main.js: ESM;
// better-sqlite3 stays external because it is native).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

fs.rmSync('dist', { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node22', legalComments: 'none', logLevel: 'warning' };
// The hook starts on every Claude Code event, the status line after every assistant message:
// node:crypto and worker_threads, which write-file-atomic loads only to name its temp file, are
// replaced in both by small stand-ins (see src/hook/shims/): together they cost ~5 ms of a ~25 ms
// Node start.
const hookShims = {
  name: 'hook-shims',
  setup(b) {
    const shims = { crypto: 'src/hook/shims/crypto.ts', worker_threads: 'src/hook/shims/worker-threads.ts' };
    b.onResolve({ filter: /^(node:)?(crypto|worker_threads)$/ }, (args) => ({ path: path.resolve(shims[args.path.replace(/^node:/, '')]) }));
  },
};
await build({
  ...common,
  plugins: [hookShims],
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
  plugins: [hookShims],
  entryPoints: ['src/statusline/main.ts'],
  outfile: 'dist/statusline.cjs',
  format: 'cjs',
  minify: true,
  external: ['better-sqlite3'],
  banner: { js: '#!/usr/bin/env node' },
  // The status line always passes its own file (__filename) where import.meta.url would be used.
  define: { 'import.meta.url': 'undefined' },
});
// The CLI: dist/cli.js is a tiny entry that checks the Node version before dist/main.js (the
// command line itself) loads better-sqlite3.
await build({
  ...common,
  entryPoints: ['src/cli/entry.ts'],
  outfile: 'dist/cli.js',
  format: 'esm',
  target: 'es2020', // parsed by any Node that might run it, so that the version check can speak
  supported: { 'top-level-await': true },
  external: ['./main.js'],
  banner: { js: '#!/usr/bin/env node' },
});
await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/main.js',
  format: 'esm',
  external: ['better-sqlite3'],
  // Bundled CommonJS dependencies (write-file-atomic) expect require and __filename.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
    ].join('\n'),
  },
});
// The claimer thread (src/worker/claimer.ts starts it from dist/claimer.js, beside dist/cli.js).
await build({
  ...common,
  entryPoints: ['src/worker/claimer-thread.ts'],
  outfile: 'dist/claimer.js',
  format: 'esm',
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
    ].join('\n'),
  },
});
fs.chmodSync('dist/hook.cjs', 0o755);
fs.chmodSync('dist/statusline.cjs', 0o755);
fs.chmodSync('dist/cli.js', 0o755);
