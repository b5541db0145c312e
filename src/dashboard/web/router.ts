// Client-side routing: the view is the URL's path, and everything a view is asked for (time
// range, time zone, sort, filter, page) is in its query, so a URL reloads, bookmarks and shares
// as the same page. `navigate` changes the URL without a reload; `useLocation` re-renders on
// every change (links, back and forward).
import { useEffect, useState } from 'preact/hooks';

export interface Loc {
  path: string;
  params: URLSearchParams;
}

const CHANGE = 'cm:navigate';

function current(): Loc {
  return { path: window.location.pathname, params: new URLSearchParams(window.location.search) };
}

export function hrefOf(path: string, params: URLSearchParams): string {
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}

export function navigate(path: string, params: URLSearchParams, replace = false): void {
  const href = hrefOf(path, params);
  if (href === `${window.location.pathname}${window.location.search}`) return;
  if (replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(CHANGE));
  if (!replace) window.scrollTo(0, 0);
}

/** The same page with some query keys set (a null value removes the key). */
export function withParams(loc: Loc, changes: Record<string, string | null>): URLSearchParams {
  const p = new URLSearchParams(loc.params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) p.delete(k);
    else p.set(k, v);
  }
  return p;
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = (): void => setLoc(current());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return loc;
}

/** The query keys every view keeps when moving to another: the range and the time zone. */
export const SHARED_KEYS = ['range', 'from', 'to', 'tz'];

export function sharedParams(loc: Loc, extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of SHARED_KEYS) {
    const v = loc.params.get(k);
    if (v !== null) p.set(k, v);
  }
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}
