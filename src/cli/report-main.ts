// dist/report.cjs: `claude-metrics report …` in one CommonJS file, which dist/cli.js runs instead
// of dist/main.js when the first argument is `report`, from V8's code cache (src/shared/code-cache.ts):
// nine ES modules (main.js, the report's chunk and the chunks they share) took ~8 ms of a report
// to resolve, load and link. Exit codes and usage errors as main.ts gives them.
import { reportCommand, useTeamMirrorImport } from './report.js';
import { exitWith, usageExit } from './usage.js';

export function runReport(importTeamMirror: Parameters<typeof useTeamMirrorImport>[0]): void {
  useTeamMirrorImport(importTeamMirror);
  exitWith(reportCommand(process.argv.slice(3)).catch((err: unknown) => usageExit(err, 'report')));
}
