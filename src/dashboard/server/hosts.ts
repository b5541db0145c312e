// Which hosts the dashboard is reached by: whether a bind address is loopback (only this machine
// can connect), how an address is written in a URL, and the Host header values the server
// accepts (security.ts refuses the rest: a DNS-rebinding page names its own host). Pure, and
// light enough for the command line to load before the server (no node:net, no node:crypto).
import os from 'node:os';

const bare = (host: string): string => host.toLowerCase().replace(/^\[|\]$/g, '');

/** Whether an address to bind is a loopback one: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = bare(host);
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** How a host is written in a URL or a Host header: an IPv6 address in brackets. */
export function urlHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  return h.includes(':') ? `[${h}]` : h;
}

/** 0.0.0.0 and ::, which listen on every interface. */
export function isUnspecifiedHost(host: string): boolean {
  const h = bare(host);
  return h === '0.0.0.0' || h === '::';
}

/**
 * The Host header values accepted: the bound address with its port; for a loopback address also
 * localhost, 127.0.0.1 and [::1]; for an unspecified one (0.0.0.0, ::) every interface address and
 * the machine's name. Lower case; the bare name too on port 80 (browsers omit it there).
 */
export function allowedHosts(bindHost: string, port: number): Set<string> {
  const names = new Set<string>();
  if (isUnspecifiedHost(bindHost)) {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(urlHost(a.address.replace(/%.*$/, '')));
    names.add(os.hostname());
    names.add('localhost');
  } else names.add(urlHost(bindHost));
  if (isLoopbackHost(bindHost)) for (const n of ['localhost', '127.0.0.1', '[::1]']) names.add(n);
  const out = new Set<string>();
  for (const n of names) {
    out.add(`${n.toLowerCase()}:${port}`);
    if (port === 80) out.add(n.toLowerCase());
  }
  return out;
}
