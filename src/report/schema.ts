// The oldest database schema the readers (report, status's budgets, the status line) can read.
// A module of its own so that the status line's bundle can know it without loading queries.ts,
// whose imports format numbers with Intl at load time (~5 ms of the status line's start).

/** sessions.cwd and cost_source, token_usage.cost_usd, session_models: migration 0003. */
export const MIN_SCHEMA_VERSION = 3;
