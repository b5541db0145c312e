// Pricing: model id → USD prices per million tokens, user overrides, and the cost of one API call.
// Pure: no I/O. The transcript step asks `priceFor(model)`; an unknown model gets null (cost unknown,
// never guessed).

/** Prices of one model, USD per million tokens. */
export interface ModelPrices {
  input: number;
  /** Cache write with the default 5-minute lifetime. */
  cache_write_5m: number;
  /** Cache write with the 1-hour lifetime. */
  cache_write_1h: number;
  cache_read: number;
  output: number;
}

/** Model id (lower case, without date or `[1m]` suffix) → prices. */
export type PriceTable = Readonly<Record<string, ModelPrices>>;

/** Where DEFAULT_PRICES comes from; shown next to any figure computed with it. */
export const PRICES_SOURCE = {
  source: 'Anthropic pricing page, as recorded in docs/claude-code-facts.md (Prices table)',
  asOf: '2026',
} as const;

// Written out from the table rather than derived from input (0.1 × 3 is 0.30000000000000004),
// so each figure is exactly the pricing page's.
const OPUS_45: ModelPrices = { input: 5, cache_write_5m: 6.25, cache_write_1h: 10, cache_read: 0.5, output: 25 };
const OPUS_4: ModelPrices = { input: 15, cache_write_5m: 18.75, cache_write_1h: 30, cache_read: 1.5, output: 75 };
const SONNET_4: ModelPrices = { input: 3, cache_write_5m: 3.75, cache_write_1h: 6, cache_read: 0.3, output: 15 };
const SONNET_5: ModelPrices = { input: 2, cache_write_5m: 2.5, cache_write_1h: 4, cache_read: 0.2, output: 10 };
const HAIKU_45: ModelPrices = { input: 1, cache_write_5m: 1.25, cache_write_1h: 2, cache_read: 0.1, output: 5 };
const HAIKU_35: ModelPrices = { input: 0.8, cache_write_5m: 1, cache_write_1h: 1.6, cache_read: 0.08, output: 4 };

/**
 * The built-in table. Keys are exact normalised ids (see normaliseModelId): lookups never match
 * by prefix, so `claude-opus-4-5` can never fall into the `claude-opus-4` (15/75) family.
 */
export const DEFAULT_PRICES: PriceTable = Object.freeze({
  // Opus 4.5, 4.6, 4.7, 4.8
  'claude-opus-4-5': OPUS_45,
  'claude-opus-4-6': OPUS_45,
  'claude-opus-4-7': OPUS_45,
  'claude-opus-4-8': OPUS_45,
  // Opus 4, 4.1 (`claude-opus-4-0` is the API's alias of `claude-opus-4-20250514`)
  'claude-opus-4': OPUS_4,
  'claude-opus-4-0': OPUS_4,
  'claude-opus-4-1': OPUS_4,
  // Sonnet 4, 4.5, 4.6
  'claude-sonnet-4': SONNET_4,
  'claude-sonnet-4-0': SONNET_4,
  'claude-sonnet-4-5': SONNET_4,
  'claude-sonnet-4-6': SONNET_4,
  // Sonnet 5
  'claude-sonnet-5': SONNET_5,
  'claude-sonnet-5-0': SONNET_5,
  // Haiku 4.5
  'claude-haiku-4-5': HAIKU_45,
  // Haiku 3.5
  'claude-3-5-haiku': HAIKU_35,
});

/**
 * Candidate table keys for a model id, most specific first:
 * the id as written (trimmed, lower case), then without a `[1m]`-style suffix, then also without
 * a `-YYYYMMDD` / `@YYYYMMDD` date, then also without a Bedrock-style `anthropic.` prefix and
 * `-v1:0` suffix. An override keyed by a dated id therefore applies to that id only; one keyed by
 * the bare id applies to every dated variant.
 */
export function modelIdCandidates(modelId: string): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (s !== '' && !out.includes(s)) out.push(s);
  };
  let id = modelId.trim().toLowerCase();
  add(id);
  id = id.replace(/\[[^\]]*\]$/, '');
  add(id);
  id = id.replace(/^(?:[a-z]{2,4}\.)?anthropic\./, '').replace(/-v\d+(?::\d+)?$/, '');
  add(id);
  id = id.replace(/[-@]\d{8}$/, '');
  add(id);
  return out;
}

/** The bare id a model is priced under (`claude-sonnet-4-5-20250929[1m]` → `claude-sonnet-4-5`). */
export function normaliseModelId(modelId: string): string {
  const c = modelIdCandidates(modelId);
  return c[c.length - 1] ?? '';
}

/** Prices of a model, or null when unknown (including `<synthetic>`, Claude Code's local messages). */
export function resolvePrices(table: PriceTable, modelId: string | null | undefined): ModelPrices | null {
  if (typeof modelId !== 'string' || modelId.trim() === '' || modelId.trim() === '<synthetic>') return null;
  for (const key of modelIdCandidates(modelId)) {
    if (Object.hasOwn(table, key)) return table[key] ?? null;
  }
  return null;
}

/** `priceFor` for the transcript step, over a table (the built-in one by default). */
export function priceResolver(table: PriceTable = DEFAULT_PRICES): (modelId: string | null) => ModelPrices | null {
  return (modelId) => resolvePrices(table, modelId);
}

const OVERRIDE_FIELDS = ['input', 'output', 'cache_write_5m', 'cache_write_1h', 'cache_read'] as const;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * Applies a user's price overrides on top of `base` and returns the new table (base is not modified).
 * `json` is the parsed user object:
 *   { "model-id": { "input": n, "output": n, "cache_write_5m": n, "cache_write_1h": n, "cache_read": n } }
 * all in USD per million tokens. `input` and `output` are required; a missing cache field is derived
 * from input (5 min write 1.25 ×, 1 h write 2 ×, read 0.1 ×). Keys are stored trimmed and lower case,
 * and an override replaces the whole entry for that key. Throws an Error naming the offending key on
 * anything else (not an object, empty key, unknown field, missing or non-finite or negative number).
 */
export function mergePriceOverrides(base: PriceTable, json: unknown): PriceTable {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`price overrides: expected a JSON object of model id → prices, got ${describe(json)}`);
  }
  const out: Record<string, ModelPrices> = { ...base };
  for (const [rawKey, entry] of Object.entries(json)) {
    const key = rawKey.trim().toLowerCase();
    const where = `price overrides: model ${JSON.stringify(rawKey)}`;
    if (key === '') throw new Error(`${where}: the model id is empty`);
    if (key === '<synthetic>') throw new Error(`${where}: <synthetic> marks local messages and is never priced`);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new Error(`${where}: expected an object of prices, got ${describe(entry)}`);
    }
    const fields = entry as Record<string, unknown>;
    for (const f of Object.keys(fields)) {
      if (!(OVERRIDE_FIELDS as readonly string[]).includes(f)) {
        throw new Error(`${where}: unknown field ${JSON.stringify(f)} (expected ${OVERRIDE_FIELDS.join(', ')})`);
      }
    }
    const num = (f: (typeof OVERRIDE_FIELDS)[number], required: boolean): number | undefined => {
      const v = fields[f];
      if (v === undefined) {
        if (required) throw new Error(`${where}: "${f}" is required (USD per million tokens)`);
        return undefined;
      }
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new Error(`${where}: "${f}" must be a finite number ≥ 0 (USD per million tokens), got ${JSON.stringify(v) ?? describe(v)}`);
      }
      return v;
    };
    const input = num('input', true) as number;
    const output = num('output', true) as number;
    const prices: ModelPrices = {
      input,
      cache_write_5m: num('cache_write_5m', false) ?? input * 1.25,
      cache_write_1h: num('cache_write_1h', false) ?? input * 2,
      cache_read: num('cache_read', false) ?? input / 10, // not × 0.1: 3 / 10 is exactly the double 0.3
      output,
    };
    Object.defineProperty(out, key, { value: prices, enumerable: true, writable: true, configurable: true });
  }
  return Object.freeze(out);
}

/** Token counts of one call as the API reports them; missing counts are 0. */
export interface UsageLike {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_1h_input_tokens?: number | null; ephemeral_5m_input_tokens?: number | null } | null;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** 1-hour cache write tokens of a call: `cache_creation.ephemeral_1h_input_tokens`, clamped to [0, cache_creation]. */
export function cache1hTokens(usage: UsageLike): number {
  return Math.min(count(usage.cache_creation?.ephemeral_1h_input_tokens), count(usage.cache_creation_input_tokens));
}

/**
 * Cost of one API call in USD, as docs/metrics-spec.md defines it:
 * (input × in + output × out + (cache_creation − h1) × w5m + h1 × w1h + cache_read × read) / 1e6.
 */
export function callCostUsd(prices: ModelPrices, usage: UsageLike): number {
  const cacheCreation = count(usage.cache_creation_input_tokens);
  const h1 = cache1hTokens(usage);
  return (
    (count(usage.input_tokens) * prices.input +
      count(usage.output_tokens) * prices.output +
      (cacheCreation - h1) * prices.cache_write_5m +
      h1 * prices.cache_write_1h +
      count(usage.cache_read_input_tokens) * prices.cache_read) /
    1e6
  );
}
