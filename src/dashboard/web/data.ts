// Fetching the API and staying live: one EventSource on /api/live for the whole page, whose
// `change` events bump a version every view's data hook depends on, so what is shown is fetched
// again (no reload) within a poll of the server's (500 ms) after the worker commits. `useApi`
// keeps the last answer on screen while the next one loads.
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
let version = 0;
let connected = false;
let everConnected = false;
const listeners = new Set<Listener>();
const notify = (): void => {
  for (const l of listeners) l();
};

let source: EventSource | null = null;
function ensureLive(): void {
  if (source !== null) return;
  source = new EventSource('/api/live');
  source.addEventListener('change', () => {
    version++;
    notify();
  });
  // After a reconnect, what changed while disconnected is fetched again.
  source.addEventListener('hello', () => {
    if (everConnected && !connected) version++;
    connected = true;
    everConnected = true;
    notify();
  });
  source.onerror = () => {
    connected = false;
    notify();
  };
}

/** The live version (bumped on each change) and whether the stream is connected. */
export function useLive(): { version: number; connected: boolean } {
  const [, setTick] = useState(0);
  useEffect(() => {
    ensureLive();
    const l = (): void => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return { version, connected };
}

export interface ApiState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** The URL `data` answers (the previous one's while the next loads). */
  url: string | null;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** Whether every answer is in and answers the URL asked (what tests and the bench wait for). */
export function allReady(...states: Array<ApiState<unknown>>): boolean {
  return states.every((s) => s.data !== null && !s.loading && s.error === null);
}

/** GET `url` now, again whenever it or the live version changes, and every `everyMs` if given. */
export function useApi<T>(url: string | null, everyMs = 0): ApiState<T> {
  const { version: live } = useLive();
  const [state, setState] = useState<ApiState<T>>({ data: null, error: null, loading: true, url: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (everyMs <= 0) return undefined;
    const t = setInterval(() => setTick((n) => n + 1), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  useEffect(() => {
    if (url === null) return undefined;
    let stale = false;
    setState((s) => ({ ...s, loading: true }));
    getJson<T>(url).then(
      (data) => !stale && setState({ data, error: null, loading: false, url }),
      (err: Error) => !stale && setState((s) => ({ ...s, error: err.message, loading: false })),
    );
    return () => {
      stale = true;
    };
  }, [url, live, tick]);
  return state;
}
