// The dashboard's API answers, as types only: the server (src/dashboard/server/api.ts) returns
// them from the queries in src/report/dashboard-*.ts, and the web UI (src/dashboard/web) reads
// them. No imports and no code, so the browser bundle can share it without pulling in Node or
// better-sqlite3. Times are RFC 3339 UTC text; days are local days 'YYYY-MM-DD' in `tz`.

export interface Figures {
  sessions: number;
  api_calls: number;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  total_tokens: number;
  cost_usd: number;
}

/** The range an answer covers: local days `from`..`to` (both included, null = open) in `tz`. */
export interface RangeInfo {
  tz: string;
  from: string | null;
  to: string | null;
  /** The UTC instants they mean, [from_utc, to_utc). */
  from_utc: string | null;
  to_utc: string | null;
}

/** Overview, part 1: the range's figures and its days. Series are per day, aligned with `days`. */
export interface OverviewAnswer {
  range: RangeInfo;
  totals: Figures & { cache_hit_ratio: number | null };
  days: string[];
  models: string[];
  /** cost_by_model[m][d]: the cost of model `models[m]` on day `days[d]`. */
  cost_by_model: number[][];
  calls: number[];
  tokens: { input: number[]; output: number[]; cache_write: number[]; cache_read: number[] };
}

export type BudgetLevel = 'ok' | 'warn' | 'over';

export interface PeriodSpend {
  period: 'day' | 'week' | 'month';
  /** The period's first local day. */
  date: string;
  start: string;
  end: string;
  cost_usd: number;
  api_calls: number;
  budget_usd: number | null;
  used_pct: number | null;
  level: BudgetLevel | null;
}

export interface ActiveBlockInfo {
  start: string;
  end: string;
  calls: number;
  cost_usd: number;
  unpriced_calls: number;
  burn_usd_per_hour: number;
  projected_cost_usd: number;
  ms_left: number;
  five_hour_used_pct: number | null;
  five_hour_resets_at: string | null;
  seven_day_used_pct: number | null;
  limit_reached: boolean;
  budget_usd: number | null;
  used_pct: number | null;
  level: BudgetLevel | null;
}

/** Official limits as the status line saw them over time (samples carrying rate limits). */
export interface LimitsSeries {
  t: string[];
  five_hour: Array<number | null>;
  seven_day: Array<number | null>;
}

/** Overview, part 2: what is being spent now (today, this week, this month, the 5-hour block). */
export interface NowAnswer {
  now: string;
  tz: string;
  periods: PeriodSpend[];
  block: ActiveBlockInfo | null;
  limits: LimitsSeries;
  /** The config file, and why it cannot be used when it cannot (budgets then absent). */
  config: { file: string | null; error: string | null };
}

export interface SessionRow {
  session_id: string;
  project: string | null;
  /** Who pushed it and from where (the team database's mirror only; null on a local database). */
  developer: string | null;
  machine: string | null;
  /** The git branch its calls name most recently (null before per-call branches were recorded). */
  branch: string | null;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number | null;
  models: string[];
  api_calls: number;
  unpriced_calls: number;
  tool_calls: number;
  commits: number;
  lines_added: number;
  lines_removed: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  total_tokens: number;
  cost_usd: number;
  reported_cost_usd: number | null;
  cost_differs: boolean | null;
}

export const SESSION_SORTS = ['start', 'project', 'duration', 'calls', 'tools', 'commits', 'lines', 'tokens', 'cost', 'reported'] as const;
export type SessionSort = (typeof SESSION_SORTS)[number];

export interface SessionsAnswer {
  range: RangeInfo;
  rows: SessionRow[];
  /** Sessions matching the range and filter, all pages. */
  total: number;
  page: number;
  per_page: number;
  sort: SessionSort;
  dir: 'asc' | 'desc';
  q: string;
}

/** Overview, part 3: the range's most expensive projects and sessions. */
export interface TopAnswer {
  range: RangeInfo;
  projects: Array<{ project: string } & Figures>;
  sessions: SessionRow[];
}

export interface ToolFigures {
  /** '(unknown)' for uses recorded before schema 8 (no name). */
  name: string;
  uses: number;
  /** Uses whose result was an error. */
  errors: number;
  /** Uses whose result has been read (errors / with_result is the error rate). */
  with_result: number;
  sessions: number;
}

/** Tool uses over the range (by the time of the line that used them), per tool name. */
export interface ToolsAnswer {
  range: RangeInfo;
  /** false before schema 8: tool uses then have no name, time or result. */
  available: boolean;
  rows: ToolFigures[];
  /** Per-day uses of the top tools, aligned with `days` ('other' gathers the rest). */
  days: string[];
  series: Array<{ name: string; uses: number[] }>;
  /** Uses by the main agent and by subagents. */
  by_agent: { main: number; subagents: number };
  /** Tool uses recorded without a time (before schema 8, transcript gone): in no range. */
  undated: number;
}

export interface BranchRow extends Figures {
  project: string;
  branch: string;
  models: string[];
  last_call: string;
}

/** API calls over the range per project and git branch (the branch each call's line names). */
export interface BranchesAnswer {
  range: RangeInfo;
  /** false before schema 8: calls then have no branch. */
  available: boolean;
  rows: BranchRow[];
}

export interface SessionDetail {
  session: SessionRow & {
    cwd: string | null;
    end_reason: string | null;
    cost_complete: boolean | null;
    cost_source: string | null;
    reported_source: string | null;
    reported_at: string | null;
    total_duration_ms: number | null;
    total_api_duration_ms: number | null;
  };
  models: Array<{ model: string } & Omit<Figures, 'sessions'>>;
  /** Its API calls in time order (columns), at most `limit` of them (the latest). */
  calls: {
    t: string[];
    model: string[];
    agent: Array<string | null>;
    input: number[];
    output: number[];
    cache_write: number[];
    cache_read: number[];
    cost: Array<number | null>;
    total: number;
    limit: number;
  };
  /** Tool uses by name when the database records names (schema 8), else only the count. */
  tools: { by_name: ToolFigures[] | null; total: number };
  /** Status line snapshots over time: context use and Claude Code's own cost. */
  context: { t: string[]; used_pct: Array<number | null>; window: Array<number | null>; reported_cost: Array<number | null> };
  events: Array<{ event: string; received_at: string; applied_at: string }>;
}

export interface GroupRow extends Figures {
  key: string;
  models: string[];
}

/** Projects or models over the range (the `report project` / `report model` rows). */
export interface GroupsAnswer {
  range: RangeInfo;
  rows: GroupRow[];
  totals: Figures;
}

/** 5-hour blocks starting in the range (the `report blocks` rows); the limits over it are in NowAnswer. */
export interface BlocksAnswer {
  range: RangeInfo;
  now: string;
  rows: Array<Figures & {
    start: string;
    end: string;
    first_call: string;
    last_call: string;
    active: boolean;
    models: string[];
    burn_usd_per_hour: number;
    ms_left: number | null;
    projected_cost_usd: number | null;
    five_hour_used_pct: number | null;
    five_hour_resets_at: string | null;
    limit_reached: boolean | null;
    seven_day_used_pct: number | null;
  }>;
  totals: Figures & { blocks: number };
}

/** The pipeline of this machine: the spool, the worker, the database, dead letters, payloads applied, the push to a team database. */
export interface LocalPipelineAnswer {
  mode: 'local';
  range: RangeInfo;
  now: string;
  spool: {
    path: string;
    exists: boolean;
    incoming: number;
    processing: number;
    dead: number;
    oldest_waiting: { id: string; received_at: string; age_seconds: number } | null;
    waiting_too_long: number;
    max_wait_seconds: number;
  };
  worker: { running: boolean; pid: number | null; since: string | null };
  database: {
    path: string;
    size_bytes: number;
    schema_version: number | null;
    sessions: number;
    last_applied: { id: string; event: string; session_id: string; applied_at: string } | null;
    last_statusline: { id: string; session_id: string; applied_at: string } | null;
  };
  /** The files in dead/ (the truth: what waits for a person), newest first, at most 100. */
  dead_letters: Array<{ id: string; received_at: string; reason: string | null; dead_lettered_at: string | null; attempts: number | null; payload: string | null }>;
  /** The dead_letters table's latest rows, and whether each was retried and applied since. */
  dead_history: Array<{ id: string; reason: string; received_at: string; dead_lettered_at: string; retried: boolean }>;
  /** Hook payloads received per local day, by event (status line snapshots aside). */
  days: string[];
  events: Array<{ event: string; counts: number[] }>;
  /** The latest hook payloads applied, with the time from the hook to the commit. */
  recent: Array<{ id: string; event: string; session_id: string; received_at: string; applied_at: string; delay_ms: number }>;
  /** The push of this database to a team database, when this machine pushes (a state file beside the database); null otherwise. */
  sync: SyncInfo | null;
}

/** The push to a team database as `status` sees it: what the pusher (the worker with --postgres, or `sync`) last recorded, and the changes not yet pushed. */
export interface SyncInfo {
  /** The team database set in the environment or config file, its password hidden (null: none). */
  configured: string | null;
  /** The team database the pusher last pushed to, its password hidden ('' when it never ran). */
  target: string;
  machine: string;
  developer: string;
  /** Whether the process that wrote the state is alive (a worker or `sync`). */
  pusher_running: boolean;
  pid: number | null;
  acked_seq: number;
  last_success_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  consecutive_failures: number;
  /** Changes after acked_seq (rows to push), and when the oldest of them was made; null when the outbox cannot be read. */
  lag_rows: number | null;
  oldest_unpushed_at: string | null;
  oldest_unpushed_age_seconds: number | null;
  /** Why the setting, the state file or the outbox could not be used. */
  error: string | null;
  /** What needs a person, as `status` words it (a failing push, one never run, a lag of 15 minutes). */
  problems: string[];
}

/** One machine that pushes to the team database (claude_metrics.replicas). */
export interface ReplicaRow {
  replica_id: string;
  machine: string;
  developer: string;
  /** The outbox sequence number of its last change applied centrally. */
  cursor: number;
  rows_applied: number;
  created_at: string | null;
  last_push_at: string | null;
  client_version: string | null;
}

/** The team database a `dashboard --postgres` mirrors, and how its mirror fares. */
export interface TeamInfo {
  /** The URL, its password hidden. */
  postgres: string;
  /** The filters (empty: everyone). */
  developers: string[];
  machines: string[];
  interval_ms: number;
  /** The last pull that succeeded, the last tried. */
  last_pull_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  /** The last pull failed: what is shown is as of last_pull_at. */
  stale: boolean;
  pulls: number;
  rows_pulled: number;
  /** The highest row_version mirrored. */
  row_version: number;
  replicas: ReplicaRow[];
}

/** GET /api/team: the team database when the dashboard shows one, else null. */
export interface TeamAnswer {
  team: TeamInfo | null;
}

/** The pipeline of a `dashboard --postgres`: the machines pushing to the team database, and the mirror. */
export interface TeamPipelineAnswer {
  mode: 'team';
  range: RangeInfo;
  now: string;
  team: TeamInfo;
  mirror: { sessions: number; api_calls: number; size_bytes: number };
}

export type PipelineAnswer = LocalPipelineAnswer | TeamPipelineAnswer;

export interface DeveloperRow extends Figures {
  developer: string;
  /** The machines of the developer's sessions with calls in the range. */
  machines: string[];
  models: string[];
  last_call: string | null;
}

/** Developers over the range (the `report developer` rows), with their cost per day. Team database only. */
export interface DevelopersAnswer {
  range: RangeInfo;
  /** false on a local database (no developers). */
  available: boolean;
  rows: DeveloperRow[];
  totals: Figures & { machines: number };
  days: string[];
  /** Cost per day of the top developers ('other' gathers the rest), aligned with `days`. */
  series: Array<{ developer: string; cost: number[] }>;
}
