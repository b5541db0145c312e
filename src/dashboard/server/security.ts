// The dashboard's gate, checked on every request before anything else runs: the Host header
// must name the address served (a DNS-rebinding page names its own), API requests must come
// from the dashboard's own origin (Origin, Sec-Fetch-Site), and when a token is set it must come
// with the request (Authorization: Bearer, or the cookie a first `?token=` visit sets). Also the
// headers every answer carries (a strict Content-Security-Policy among them). Pure functions of
// the request's headers; the token is compared in constant time and never echoed or logged.
import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type Refusal = { status: number; message: string };

export function checkHost(headers: IncomingHttpHeaders, allowed: Set<string>): Refusal | null {
  const host = headers.host?.toLowerCase();
  if (host === undefined || !allowed.has(host)) {
    return { status: 421, message: `this dashboard does not answer for Host ${JSON.stringify(headers.host ?? '')}` };
  }
  return null;
}

/**
 * An API request must come from a page of this dashboard: an Origin, when sent, must be ours (the
 * Host was checked already), and Sec-Fetch-Site, when sent, same-origin or none (typed in the
 * address bar). 'same-site' is refused too: another port of localhost is same-site.
 */
export function checkSameOrigin(headers: IncomingHttpHeaders): Refusal | null {
  const origin = headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${headers.host?.toLowerCase()}`) {
    return { status: 403, message: 'cross-origin request refused' };
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, message: `cross-site request refused (${site})` };
  return null;
}

/** The cookie that carries the token after a first `?token=` visit; per port, as cookies ignore ports. */
export function tokenCookieName(port: number): string {
  return `cm_dashboard_${port}`;
}

function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

/** Constant-time comparison (of digests, so lengths do not show). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  return given !== undefined && crypto.timingSafeEqual(digest(given), digest(token));
}

/** Whether the request carries the token, in an Authorization: Bearer header or the cookie. */
export function hasToken(headers: IncomingHttpHeaders, token: string, port: number): boolean {
  const auth = headers.authorization;
  if (auth !== undefined && /^Bearer /i.test(auth) && tokenMatches(auth.slice(7).trim(), token)) return true;
  return tokenMatches(cookieValue(headers, tokenCookieName(port)), token);
}

/** The Set-Cookie header that keeps the token for later requests (not readable by scripts). */
export function tokenCookie(token: string, port: number): string {
  return `${tokenCookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** Scripts, styles, data and images from this origin only; no inline script or style element, no frames. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer, pages, files, API and refusals alike. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};
