// Entry of dist/statusline.cjs, the bin `claude-metrics-statusline`: a lean CommonJS bundle (like
// the hook's) so Claude Code's status line starts about as fast as `node -e 0`; better-sqlite3
// stays external and is loaded only when there is a database to read.
import { statuslineCommand } from './command.js';

statuslineCommand(process.argv.slice(2), 'claude-metrics-statusline', typeof __filename === 'string' ? __filename : undefined);
