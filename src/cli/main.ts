// The `claude-metrics` command line: parses the command and hands it to its module, loaded only
// when that command runs (dynamic imports, split into chunks by the build), so a report never
// loads the worker and `--help` loads nothing. Exit codes: 0 success, 1 a fatal error while
// running, 2 a usage error. (dist/cli.js answers --version and --help before this loads, and
// runs `report` through report-main.ts, without this file.)
import { packageVersion } from '../shared/config.js';
import { EXIT_USAGE, UsageError, closest, exitWith, usageExit } from './usage.js';
import { MAIN_HELP } from './help.js';

/** Each command's entry point, loaded on demand. */
const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  worker: async () => (await import('./worker-command.js')).workerCommand,
  import: async () => (await import('./worker-command.js')).importCommand,
  install: async () => (await import('./install.js')).installCommand,
  uninstall: async () => (await import('./install.js')).uninstallCommand,
  status: async () => (await import('./status.js')).statusCommand,
  dead: async () => (await import('./dead.js')).deadCommand,
  report: async () => (await import('./report.js')).reportCommand,
  statusline: async () => {
    const { statuslineCommand } = await import('../statusline/command.js');
    return async (argv) => {
      // Prints its one line and ends the process itself, with exit code 0 whatever happens.
      statuslineCommand(argv, 'claude-metrics statusline', typeof __filename === 'string' ? __filename : undefined);
      return await new Promise<never>(() => {});
    };
  },
  dashboard: async () => (await import('./dashboard.js')).dashboardCommand,
  sync: async () => (await import('./sync.js')).syncCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && Object.hasOwn(COMMANDS, command)) return await (await COMMANDS[command]!())(rest);
    switch (command) {
      case '--version':
      case '-V':
        process.stdout.write(`${packageVersion()}\n`);
        return 0;
      case 'help':
        // `claude-metrics help <command>` is `claude-metrics <command> --help`.
        if (rest[0] !== undefined) return await main([rest[0], '--help']);
        process.stdout.write(MAIN_HELP);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(MAIN_HELP);
        return command === undefined ? EXIT_USAGE : 0;
      default: {
        const suggestion = closest(command, Object.keys(COMMANDS));
        throw new UsageError(`unknown command ${JSON.stringify(command)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`);
      }
    }
  } catch (err) {
    return usageExit(err, command && Object.hasOwn(COMMANDS, command) ? command : undefined);
  }
}

exitWith(main(process.argv.slice(2)));
