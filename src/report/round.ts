// JSON costs at a sane precision: every figure in US dollars (a key ending in `_usd`, or `usd`,
// such as cost_usd, reported_cost_usd, burn_usd_per_hour, projected_cost_usd) rounded to 6
// decimals (a millionth of a dollar), so 0.22923110000000002 prints as 0.229231. Sums are made
// unrounded and each figure is rounded on its own, so a total may differ from the sum of its
// rounded rows by a few millionths. Pure; changes the report in place and returns it.

export const COST_DECIMALS = 6;
const SCALE = 10 ** COST_DECIMALS;
const USD_KEY = /(^|_)usd(_|$)/;

export function roundCost(n: number): number {
  return Math.round(n * SCALE) / SCALE;
}

/** Whether a key names dollars, remembered per key: a report asks for the same few keys on each of thousands of rows. */
const usdKeys = new Map<string, boolean>();

function isUsdKey(k: string): boolean {
  let usd = usdKeys.get(k);
  if (usd === undefined) usdKeys.set(k, (usd = USD_KEY.test(k)));
  return usd;
}

/**
 * Rounds every dollar figure in a report (objects and arrays, any depth). for…in, not
 * Object.keys: no array of keys per row (4,000 session rows: ~2x faster cold); a report's objects
 * are plain data, with no enumerable property inherited.
 */
export function roundCosts<T>(value: T): T {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) roundCosts(value[i]);
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k in o) {
      const v = o[k];
      if (typeof v === 'number') {
        if (isUsdKey(k)) o[k] = roundCost(v);
      } else if (v !== null && typeof v === 'object') roundCosts(v);
    }
  }
  return value;
}
