// The top-level help text of `claude-metrics`, on its own so that dist/cli.js (src/cli/entry.ts)
// can print it, and the version, without loading the command line (better-sqlite3, the worker).
// Pure: no imports.

export const MAIN_HELP = `Usage: claude-metrics <command> [options]

Keeps Claude Code session metrics in SQLite. The hook (claude-metrics-hook) spools each
event; the worker applies the spool to the database.

Commands:
  worker            apply spooled payloads to the database (watches; --drain: once, then exit)
  import            backfill the sessions Claude Code still keeps (~/.claude/projects)
  install           register the hook in Claude Code's settings (--service: run the worker as a service)
  uninstall         remove what install added
  status            spool, worker, database and today's cost at a glance (exit 1: needs attention)
  dead              list, show, retry or purge dead letters (payloads that could not apply)
  report            cost and tokens per day, week, month, session, model or project
  statusline        Claude Code's status line: one line of costs, block and limits (install --statusline)
  dashboard         a live local web dashboard of the same figures, in your browser

Options:
  --help, -h        show help (also: claude-metrics <command> --help)
  --version         print the version

Run 'claude-metrics <command> --help' for a command's options.
`;

/** What the first argument asks for when it is answered without loading a command. */
export function quickAnswer(argv: readonly string[]): 'version' | 'help' | 'usage' | null {
  const [first] = argv;
  if (first === '--version' || first === '-V') return 'version';
  if (first === '--help' || first === '-h' || (first === 'help' && argv.length === 1)) return 'help';
  if (first === undefined) return 'usage';
  return null;
}
