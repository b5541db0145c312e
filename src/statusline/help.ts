// The status line's --help text (the same for `claude-metrics statusline` and
// `claude-metrics-statusline`), its field list taken from the fields themselves.
import { DEFAULT_TEMPLATE, FIELDS } from './fields.js';

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join(`\n${indent}`);
}

export function statuslineHelp(name: string): string {
  const pad = 20;
  const fields = Object.entries(FIELDS)
    .map(([field, spec]) => `  ${field.padEnd(pad)}${wrap(spec.help, 96 - pad - 2, ' '.repeat(pad + 2))}`)
    .join('\n');
  return `Usage: ${name} [--format TEMPLATE] [--color auto|always|never] [--spool DIR] [--db FILE] [--debug]

Claude Code's status line command: reads the status line JSON on stdin, copies it unchanged into
the spool (the worker records it), and prints one line: model, this session's cost, today's cost,
the current 5-hour block's cost and time left, Claude Code's official 5-hour and 7-day limits
used (Pro/Max plans), context used, lines added/removed. Costs come from the database, read-only;
a cost marked ~ is Claude Code's own estimate (the worker has not recorded the session yet).
Set it up with 'claude-metrics install --statusline'.

  --format TEMPLATE      fields in braces, optional groups in brackets: a group shows only when
                         all its fields have a value; text before a field or group shows with it;
                         \\ makes the next character text (default: below)
  --color WHEN           auto (default: when stdout is a terminal or TERM is set and not 'dumb',
                         and NO_COLOR is not set), always, never
  --spool DIR            spool directory (default: $CLAUDE_METRICS_SPOOL, else <package>/spool)
  --db FILE              database (default: $CLAUDE_METRICS_DB, else ~/.claude/claude_metrics.db)
  --debug                say on stderr what could not be read or written (also with
                         CLAUDE_METRICS_STATUSLINE_DEBUG=1)
  --help, -h             show this help

Fields:
${fields}

Default template:
  ${DEFAULT_TEMPLATE}

The line fits $COLUMNS: fields of least value go first, and it never wraps. Budgets (USD per
day, week, month, 5-hour block) come from $CLAUDE_METRICS_CONFIG, else
~/.config/claude-metrics/config.json, e.g. {"budgets": {"day": 10, "block": 5}}: a cost at 80 %
of its budget is yellow, past 100 % red and marked '!'.
It always prints a line and exits 0: no database, a locked one, bad stdin (read for at most
1 s, $CLAUDE_METRICS_STATUSLINE_TIMEOUT_MS; over 8 MiB or not closed in time: not spooled) or
an unwritable spool only leave figures out.
`;
}
