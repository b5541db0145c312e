// dist/report.js: `claude-metrics report …` in one file, which dist/cli.js imports instead of
// dist/main.js when the first argument is `report`. Nine modules (main.js, the report's chunk and
// the chunks they share) took ~8 ms of a report to resolve, load and link; one takes ~3. Exit
// codes and usage errors as main.ts gives them.
import { reportCommand } from './report.js';
import { exitWith, usageExit } from './usage.js';

exitWith(reportCommand(process.argv.slice(3)).catch((err: unknown) => usageExit(err, 'report')));
