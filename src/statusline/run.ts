// Entry of dist/statusline-run.cjs: the status line itself (command.ts), as a lean CommonJS bundle
// (like the hook's) that main.ts's loader runs from V8's code cache; better-sqlite3 stays external
// and is loaded only where node:sqlite is missing and there is a database to read.
import { statuslineCommand } from './command.js';

export const runStatusline = statuslineCommand;
export type RunStatusline = typeof statuslineCommand;
