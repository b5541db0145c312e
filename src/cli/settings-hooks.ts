// Claude Code's settings.json and our place in it: validates the `hooks` shape, merges our hook
// command into SessionStart, Stop, SubagentStop and SessionEnd, and removes it again. Pure: the
// caller reads and writes the file (install.ts).
//
// Shape (claude-code-facts.md): {"hooks": {"<Event>": [{"matcher"?: "…", "hooks": [{"type":
// "command", "command": "…", "timeout": seconds}]}]}}. Every other key, event and tool's hook is
// kept as it is.

export const HOOK_EVENTS = ['SessionStart', 'Stop', 'SubagentStop', 'SessionEnd'] as const;
/**
 * Seconds Claude Code gives our hook. Explicit for every event: SessionEnd's hooks otherwise share
 * a 1.5 s budget. The hook needs ~0.1 s; 10 s matches its own bound on a stdin that never closes.
 */
export const HOOK_TIMEOUT_S = 10;

export type JsonObject = { [key: string]: unknown };

export class InvalidSettingsError extends Error {}

export interface HookChange {
  event: string;
  action: 'add' | 'remove';
  command: string;
}

/** Single-quotes a word for sh (Claude Code runs hook commands through a shell). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command we register: absolute node and hook paths, and the spool when not the default. */
export function hookCommand(nodePath: string, hookPath: string, spoolDir: string | null): string {
  const words = [nodePath, hookPath, ...(spoolDir ? ['--spool', spoolDir] : [])];
  return words.map(shellQuote).join(' ');
}

/**
 * Recognises a hook entry of ours: one naming this installation's hook file, the hook file of a
 * claude-metrics package elsewhere (`…claude-metrics…/dist/hook.cjs`: the package moved, or an
 * older install), or the `claude-metrics-hook` bin (a registration by hand).
 */
export function ourHookMatcher(hookPath: string): (command: string) => boolean {
  return (command) =>
    command.includes(hookPath) ||
    /(^|[\s'"/])claude-metrics-hook(?=$|[\s'"])/.test(command) ||
    /[^\s'"]*claude-metrics[^\s'"]*\/dist\/hook\.cjs(?=$|[\s'"])/.test(command);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses settings.json text; whitespace only counts as `{}`. Throws InvalidSettingsError. */
export function parseSettings(text: string): JsonObject {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidSettingsError(`not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) throw new InvalidSettingsError('the top level is not a JSON object');
  validateHooks(value);
  return value;
}

/** The parts of `hooks` we would read or change must have the documented shape. */
function validateHooks(settings: JsonObject): void {
  const hooks = settings.hooks;
  if (hooks === undefined) return;
  if (!isObject(hooks)) throw new InvalidSettingsError('"hooks" is not an object');
  for (const event of HOOK_EVENTS) {
    const groups = hooks[event];
    if (groups === undefined) continue;
    if (!Array.isArray(groups)) throw new InvalidSettingsError(`"hooks.${event}" is not an array`);
    groups.forEach((group, i) => {
      if (!isObject(group)) throw new InvalidSettingsError(`"hooks.${event}[${i}]" is not an object`);
      if (!Array.isArray(group.hooks)) throw new InvalidSettingsError(`"hooks.${event}[${i}].hooks" is not an array`);
    });
  }
}

interface Entry {
  type?: unknown;
  command?: unknown;
  timeout?: unknown;
}

function entriesOf(group: JsonObject): Entry[] {
  return group.hooks as Entry[];
}

function isOurEntry(entry: unknown, isOurs: (command: string) => boolean): boolean {
  return isObject(entry) && typeof entry.command === 'string' && isOurs(entry.command);
}

/** Removes our entries from one event's groups; a group we emptied goes too. */
function withoutOurs(groups: JsonObject[], isOurs: (command: string) => boolean): { groups: JsonObject[]; removed: string[] } {
  const removed: string[] = [];
  const kept: JsonObject[] = [];
  for (const group of groups) {
    const entries = entriesOf(group);
    const rest = entries.filter((e) => !isOurEntry(e, isOurs));
    for (const e of entries) if (isOurEntry(e, isOurs)) removed.push(e.command as string);
    if (rest.length === entries.length) kept.push(group);
    else if (rest.length > 0) kept.push({ ...group, hooks: rest });
  }
  return { groups: kept, removed };
}

/**
 * Settings with our command registered once per event (a copy; the input is not changed), and
 * what changed. An event already holding exactly our entry is left alone, so a second install
 * changes nothing; an older entry of ours (another spool, another node) is replaced.
 */
export function mergeOurHooks(
  settings: JsonObject,
  command: string,
  isOurs: (command: string) => boolean,
  timeout = HOOK_TIMEOUT_S,
): { settings: JsonObject; changes: HookChange[] } {
  validateHooks(settings);
  const hooks: JsonObject = isObject(settings.hooks) ? { ...settings.hooks } : {};
  const changes: HookChange[] = [];
  for (const event of HOOK_EVENTS) {
    const groups = (hooks[event] as JsonObject[] | undefined) ?? [];
    const ours = groups.flatMap((g) => entriesOf(g).filter((e) => isOurEntry(e, isOurs)));
    const current = ours.length === 1 && ours[0]!.type === 'command' && ours[0]!.command === command && ours[0]!.timeout === timeout;
    if (current) continue;
    const { groups: rest, removed } = withoutOurs(groups, isOurs);
    for (const old of removed) changes.push({ event, action: 'remove', command: old });
    hooks[event] = [...rest, { hooks: [{ type: 'command', command, timeout }] }];
    changes.push({ event, action: 'add', command });
  }
  return { settings: changes.length === 0 ? settings : { ...settings, hooks }, changes };
}

/**
 * Settings without our entries (a copy), and what was removed. An event list or the `hooks` key
 * that only our entries filled goes with them, so install then uninstall gives back the original.
 */
export function removeOurHooks(settings: JsonObject, isOurs: (command: string) => boolean): { settings: JsonObject; changes: HookChange[] } {
  validateHooks(settings);
  if (!isObject(settings.hooks)) return { settings, changes: [] };
  const hooks: JsonObject = { ...settings.hooks };
  const changes: HookChange[] = [];
  for (const event of HOOK_EVENTS) {
    const groups = hooks[event] as JsonObject[] | undefined;
    if (groups === undefined) continue;
    const { groups: rest, removed } = withoutOurs(groups, isOurs);
    if (removed.length === 0) continue;
    for (const command of removed) changes.push({ event, action: 'remove', command });
    if (rest.length === 0) delete hooks[event];
    else hooks[event] = rest;
  }
  if (changes.length === 0) return { settings, changes };
  const next: JsonObject = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete next.hooks;
  return { settings: next, changes };
}
