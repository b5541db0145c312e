// Small readers for untrusted JSON (transcript lines): typed field access that never throws, and
// own-property writes that are safe for any key (even "__proto__"). Pure.

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A non-empty string, else null. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
/** A token count: a finite positive number, else 0. */
export const tokens = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
export const has = (o: object, k: string): boolean => Object.hasOwn(o, k);

/** Sets o[k] as an own property even for a key like "__proto__". */
export function put<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
