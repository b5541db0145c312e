// Build: bundles the hook (dist/hook.cjs: CommonJS, everything inlined, so Node loads one small
// file), the status line (dist/statusline.cjs: the same, with better-sqlite3 external and loaded
// only when a database exists) and the CLI (dist/cli.js: ESM; better-sqlite3 stays external
// because it is native).
import { build } from 'esbuild';
import fs from 'node:fs';

fs.rmSync('dist', { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node22', legalComments: 'none', logLevel: 'warning' };
await build({
  ...common,
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
  entryPoints: ['src/statusline/main.ts'],
  outfile: 'dist/statusline.cjs',
  format: 'cjs',
  minify: true,
  external: ['better-sqlite3'],
  banner: { js: '#!/usr/bin/env node' },
  // The status line always passes its own file (__filename) where import.meta.url would be used.
  define: { 'import.meta.url': 'undefined' },
});
await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.js',
  format: 'esm',
  external: ['better-sqlite3'],
  // Bundled CommonJS dependencies (write-file-atomic) expect require and __filename.
  banner: {
    js: [
      '#!/usr/bin/env node',
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
