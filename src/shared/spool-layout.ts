// Spool layout and payload naming: the one place that knows the folder names and the
// `<13-digit epoch ms>-<pid>-<hex>[-<kind>].json` id format (see ../shared/docs/spool-protocol.md).
// A kind says what the bytes are when their content cannot: `-statusline` marks a status line
// snapshot (Claude Code's status line stdin, which has no hook_event_name). No kind = a hook payload.
// Imported by the hook, so it must stay free of anything heavier than node:path.
import path from 'node:path';

export const INCOMING = 'incoming';
export const PROCESSING = 'processing';
export const DEAD = 'dead';

/** Kinds of payload a spool file name may carry; none = a hook event's stdin. */
export const PAYLOAD_KINDS = ['statusline'] as const;
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];
/** An id: `<ms>-<pid>-<hex>` or `<ms>-<pid>-<hex>-<kind>`. */
export const PAYLOAD_ID_PATTERN = '\\d{13}-\\d+-[0-9a-f]+(?:-statusline)?';
/** A finished payload: `<id>.json`. Temp files (`….json.<digits>`) never match. */
export const PAYLOAD_FILE_RE = new RegExp(`^${PAYLOAD_ID_PATTERN}\\.json$`);
/** write-file-atomic's temp file beside its target: `<name>.json.<digits>`. */
export const TEMP_FILE_RE = /\.json\.\d+$/;

export interface SpoolDirs {
  root: string;
  incoming: string;
  processing: string;
  dead: string;
}

export function spoolDirs(root: string): SpoolDirs {
  return {
    root,
    incoming: path.join(root, INCOMING),
    processing: path.join(root, PROCESSING),
    dead: path.join(root, DEAD),
  };
}

/** Builds a payload id; `randomHex` comes from the caller so this stays pure. */
export function formatPayloadId(epochMs: number, pid: number, randomHex: string, kind?: PayloadKind): string {
  return `${String(Math.trunc(epochMs)).padStart(13, '0')}-${pid}-${randomHex}${kind ? `-${kind}` : ''}`;
}

/** The kind an id carries, or null for a hook payload. */
export function payloadKindOf(id: string): PayloadKind | null {
  return id.endsWith('-statusline') ? 'statusline' : null;
}

/** The file name's id (`name` without `.json`), or null when it is not a payload file. */
export function payloadIdOf(fileName: string): string | null {
  return PAYLOAD_FILE_RE.test(fileName) ? fileName.slice(0, -'.json'.length) : null;
}

/** The time the hook received the payload, read from its id. */
export function receivedAtOf(id: string): Date {
  return new Date(Number(id.slice(0, 13)));
}
