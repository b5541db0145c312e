// A record (a plain object's interface) whose entries are loaded from somewhere else on first use:
// the transcript accumulator's calls and tool uses, backed by the database (figures.ts), so that a
// read looks up only the ids its new lines name. Writes are kept in memory and reported.

/**
 * A record whose entries are loaded on first use and remembered; writes are kept in memory and
 * reported. It stands in for TranscriptState.calls / tool_uses, which transcript.ts reads with
 * Object.hasOwn, [] and Object.defineProperty only (it is never enumerated here).
 */
export class LazyRecord<T> {
  /** Current value of every key looked up or written (undefined: not in the database). */
  readonly known = new Map<string, T | undefined>();
  /** A copy of each value as the database had it when first looked up. */
  readonly loaded = new Map<string, T | undefined>();
  readonly written = new Set<string>();
  readonly record: Record<string, T>;
  constructor(load: (key: string) => T | undefined, copy: (value: T) => T = (v) => v) {
    const lookup = (key: string): T | undefined => {
      if (!this.known.has(key)) {
        const value = load(key);
        this.known.set(key, value);
        this.loaded.set(key, value === undefined ? undefined : copy(value));
      }
      return this.known.get(key);
    };
    this.record = new Proxy(Object.create(null) as Record<string, T>, {
      get: (_t, key) => (typeof key === 'string' ? lookup(key) : undefined),
      has: (_t, key) => typeof key === 'string' && lookup(key) !== undefined,
      getOwnPropertyDescriptor: (_t, key) => {
        const value = typeof key === 'string' ? lookup(key) : undefined;
        return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
      },
      defineProperty: (_t, key, desc) => {
        if (typeof key !== 'string') return false;
        this.known.set(key, desc.value as T);
        this.written.add(key);
        return true;
      },
      set: (_t, key, value) => {
        if (typeof key !== 'string') return false;
        this.known.set(key, value as T);
        this.written.add(key);
        return true;
      },
      ownKeys: () => {
        throw new Error('a database-backed record is not enumerated');
      },
    });
  }
}
