// A loopback stand-in for the Anthropic Messages API, for driving the real Claude Code client
// (`claude -p` with ANTHROPIC_BASE_URL pointing here). It plays a script: each prompt the test
// sends carries a marker like `[e2e:shop]`; a request whose latest marked user message names a
// script gets that script's next turn (text and tool_use blocks, parallel tool calls included),
// streamed as the real API streams it, with token usage chosen here and different for every
// response, so that the totals a transcript gives can be checked against what was handed out.
//
// Turn selection: the turn to play is the number of answers (assistant messages) the conversation
// already holds after the marked prompt, so a retried request replays the same turn instead of
// skipping ahead. (Until Claude Code 2.1.197 every turn but the last ended in tool calls, and
// counting the turns whose tool results came back was enough; 2.1.332 runs an Agent in the
// background and, when the agent ends, sends the conversation again with a task notification
// after a text-only answer, which must get the next turn.) A turn may be held until a condition
// the test chooses holds (`hold`), to pin the order of two conversations the client runs at once.
// Requests without tools (titles, summaries, the client's own side calls) or without a known
// marker get a short text answer and small usage, and are recorded as `aux`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

export type ScriptBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown> };

export interface ScriptTurn {
  content: ScriptBlock[];
  /** Part of this response's cache writes that are 1-hour writes (0..1); default 0 (all 5-minute). */
  cache1hShare?: number;
  /** Exact usage for this response instead of the generated one. */
  usage?: Omit<ServedUsage, 'cache_creation'> & { cache_creation?: ServedUsage['cache_creation'] };
  /**
   * Hold this response until `ready()` returns true (polled, at most HOLD_LIMIT_MS; past it the
   * response goes out anyway, marked `hold_timed_out`). `until` says what it waits for, in the log.
   */
  hold?: { until: string; ready: () => boolean };
}

export interface Script {
  /** Free label the test uses to group responses (e.g. the session it belongs to). */
  label: string;
  turns: ScriptTurn[];
}

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
}

export interface ServedResponse {
  kind: 'script' | 'aux' | 'overflow';
  /** The script's marker ('' for aux responses). */
  marker: string;
  label: string;
  /** Turn index in the script (-1 for aux). */
  turn: number;
  stream: boolean;
  model: string;
  message_id: string;
  request_id: string;
  usage: ServedUsage;
  tool_use_ids: string[];
  /** The client's `X-Claude-Code-Session-Id` header. */
  session_header: string | null;
  /** The client's `x-claude-code-agent-id` header (subagent requests). */
  agent_header: string | null;
  /** First characters of the system prompt, to tell requests apart when reading a log. */
  system_head: string;
  request_index: number;
  /** The turn's `hold` was not ready within HOLD_LIMIT_MS. */
  hold_timed_out: boolean;
}

export interface MessagesApiOptions {
  /** marker name (the NAME in `[e2e:NAME]`) → script. */
  scripts: Record<string, Script>;
  /** Called with one line per request (for debugging); default: nothing. */
  log?: (line: string) => void;
}

export interface MessagesApi {
  url: string;
  port: number;
  requests: RecordedRequest[];
  responses: ServedResponse[];
  /** Requests to paths this server does not know (answered 404). */
  unknown: RecordedRequest[];
  close(): Promise<void>;
}

export const MARKER = /\[e2e:([a-z0-9-]+)\]/g;

const HOLD_LIMIT_MS = 20_000;

interface ApiMessage {
  role?: string;
  content?: unknown;
}

/** Text of a message's content (string or the text blocks of an array). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b: { type?: string; text?: unknown }) => (b && b.type === 'text' && typeof b.text === 'string' ? b.text : ''))
    .join('\n');
}

function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((b: { text?: unknown }) => (typeof b?.text === 'string' ? b.text : '')).join('\n');
  return '';
}

export async function startMessagesApi(options: MessagesApiOptions): Promise<MessagesApi> {
  const log = options.log ?? (() => {});
  const requests: RecordedRequest[] = [];
  const responses: ServedResponse[] = [];
  const unknown: RecordedRequest[] = [];
  let seq = 0;

  /** Resolves true once `ready()` holds, false after HOLD_LIMIT_MS. */
  async function held(ready: () => boolean): Promise<boolean> {
    const deadline = Date.now() + HOLD_LIMIT_MS;
    while (!ready()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  function nextIds(): { message_id: string; request_id: string } {
    seq++;
    const n = String(seq).padStart(4, '0');
    return { message_id: `msg_e2e${Date.now().toString(36)}${n}`, request_id: `req_e2e${Date.now().toString(36)}${n}` };
  }

  /** Usage for the n-th response: every count different from every other response's. */
  function usageFor(n: number, turn: ScriptTurn | null): ServedUsage {
    if (turn?.usage) {
      const u = turn.usage;
      return { ...u, cache_creation: u.cache_creation ?? { ephemeral_5m_input_tokens: u.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 } };
    }
    if (!turn) {
      // Side calls: small and recognisable.
      return {
        input_tokens: 40 + n,
        output_tokens: 5 + (n % 7),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      };
    }
    const cacheCreation = 1500 + 113 * n;
    const h1 = Math.round(cacheCreation * Math.min(1, Math.max(0, turn.cache1hShare ?? 0)));
    return {
      input_tokens: 1000 + 37 * n,
      output_tokens: 20 + 9 * n,
      cache_creation_input_tokens: cacheCreation,
      cache_read_input_tokens: 12000 + 1009 * n,
      cache_creation: { ephemeral_5m_input_tokens: cacheCreation - h1, ephemeral_1h_input_tokens: h1 },
    };
  }

  /** Which script and turn a /v1/messages body asks for (null: an aux request). */
  function pick(body: { messages?: ApiMessage[]; tools?: unknown[] }): { marker: string; turn: number } | null {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    if (!Array.isArray(body.tools) || body.tools.length === 0) return null;
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      if (m.role !== 'user') continue;
      const found = [...textOf(m.content).matchAll(MARKER)].map((x) => x[1]!).filter((name) => name in options.scripts);
      if (found.length === 0) continue;
      const marker = found[found.length - 1]!;
      return { marker, turn: messages.slice(i + 1).filter((m) => m.role === 'assistant').length };
    }
    return null;
  }

  function sse(res: http.ServerResponse, event: string, data: unknown): void {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  async function answerMessages(req: http.IncomingMessage, res: http.ServerResponse, body: Record<string, unknown>, requestIndex: number): Promise<void> {
    const picked = pick(body as { messages?: ApiMessage[]; tools?: unknown[] });
    const script = picked ? options.scripts[picked.marker]! : null;
    const turn = picked && script ? (script.turns[picked.turn] ?? null) : null;
    const kind: ServedResponse['kind'] = !picked ? 'aux' : turn ? 'script' : 'overflow';
    let holdTimedOut = false;
    if (turn?.hold) {
      log(`  .. ${picked!.marker}#${picked!.turn} held until ${turn.hold.until}`);
      holdTimedOut = !(await held(turn.hold.ready));
    }
    const model = typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5';
    const stream = body.stream === true;
    const { message_id, request_id } = nextIds();
    const usage = usageFor(seq, turn);
    const blocks: Array<{ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }> = [];
    for (const b of turn?.content ?? [{ type: 'text' as const, text: kind === 'overflow' ? 'Nothing more to do.' : 'Scripted side answer.' }]) {
      if (b.type === 'text') blocks.push(b);
      else {
        const id = `toolu_e2e${Date.now().toString(36)}${String(seq).padStart(4, '0')}${blocks.length}`;
        blocks.push({ type: 'tool_use', id, name: b.name, input: b.input });
      }
    }
    const toolUseIds = blocks.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []));
    const stopReason = toolUseIds.length > 0 ? 'tool_use' : 'end_turn';
    const header = (name: string): string | null => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
    };
    responses.push({
      kind,
      marker: picked?.marker ?? '',
      label: script?.label ?? '',
      turn: picked?.turn ?? -1,
      stream,
      model,
      message_id,
      request_id,
      usage,
      tool_use_ids: toolUseIds,
      session_header: header('x-claude-code-session-id'),
      agent_header: header('x-claude-code-agent-id'),
      system_head: systemText(body.system).slice(0, 120),
      request_index: requestIndex,
      hold_timed_out: holdTimedOut,
    });
    log(
      `  -> ${kind} ${picked ? `${picked.marker}#${picked.turn}` : ''} ${model} stream=${stream} ${message_id} tools=[${blocks.map((b) => (b.type === 'tool_use' ? b.name : 'text')).join(',')}]${holdTimedOut ? ` (not ${turn!.hold!.until} within ${HOLD_LIMIT_MS} ms)` : ''}`,
    );

    const fullUsage = { ...usage, server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 }, service_tier: 'standard' };
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': request_id });
      res.end(
        JSON.stringify({ id: message_id, type: 'message', role: 'assistant', model, content: blocks, stop_reason: stopReason, stop_sequence: null, usage: fullUsage }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': request_id });
    // As the real API does: message_start carries the input side and a provisional output count,
    // message_delta the final counts.
    sse(res, 'message_start', {
      type: 'message_start',
      message: { id: message_id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...fullUsage, output_tokens: 1 } },
    });
    blocks.forEach((b, index) => {
      if (b.type === 'text') {
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        const half = Math.ceil(b.text.length / 2);
        for (const part of [b.text.slice(0, half), b.text.slice(half)]) {
          if (part) sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } });
        }
      } else {
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
        const json = JSON.stringify(b.input);
        const half = Math.ceil(json.length / 2);
        for (const part of [json.slice(0, half), json.slice(half)]) {
          if (part) sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
        }
      }
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    });
    sse(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: usage.output_tokens,
        server_tool_use: fullUsage.server_tool_use,
      },
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        // keep the raw text
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const rec: RecordedRequest = { at: new Date().toISOString(), method: req.method ?? '', path, headers: req.headers, body };
      const requestIndex = requests.push(rec) - 1;
      log(`${req.method} ${req.url}`);
      try {
        if (req.method === 'POST' && path === '/v1/messages' && body && typeof body === 'object') {
          answerMessages(req, res, body as Record<string, unknown>, requestIndex).catch((err: Error) => {
            log(`  -> 500 ${err.stack}`);
            if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(err) } }));
          });
        } else if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
          const size = raw.length;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ input_tokens: Math.max(1, Math.round(size / 4)) }));
        } else if (req.method === 'GET' && path === '/v1/models') {
          const ids = ['claude-sonnet-4-5', 'claude-opus-4-5', 'claude-haiku-4-5'];
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              data: ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' })),
              has_more: false,
              first_id: ids[0],
              last_id: ids[ids.length - 1],
            }),
          );
        } else if ((req.method === 'GET' || req.method === 'HEAD') && path === '/') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        } else {
          unknown.push(rec);
          log(`  -> 404 (unknown path)`);
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `stand-in has no ${req.method} ${path}` } }));
        }
      } catch (err) {
        log(`  -> 500 ${(err as Error).stack}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(err) } }));
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    responses,
    unknown,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
