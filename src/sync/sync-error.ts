// A failure talking to the team database, as a person reads it: node-postgres and net errors
// named (unreachable, login refused, no TLS, certificate refused, connection cut) and the URL's
// password never in the text. Pure; the pusher, `sync`, the team report and dashboard use it.

/** A failure's text for a person: what went wrong, then the client's own message, without the password of `url`. */
export function describeSyncError(err: unknown, url: string): string {
  let message: string;
  if (err instanceof AggregateError && err.errors.length) message = (err.errors[0] as Error).message; // localhost's two addresses
  else message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED') message = `cannot reach the team database (connection refused): ${message}`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') message = `cannot resolve the team database's host: ${message}`;
  else if (code === 'ETIMEDOUT' || /timeout/i.test(message)) message = `the team database did not answer in time: ${message}`;
  else if (code === '28P01' || code === '28000') message = `the team database refused the login: ${message}`;
  else if (/does not support SSL/i.test(message)) message = `the team database has no TLS, and the URL requires it (sslmode): ${message}`;
  else if (/certificate|self[- ]signed|altnames|SSL/i.test(message)) message = `TLS: the team database's certificate was not accepted: ${message}`;
  else if (code === 'ECONNRESET' || code === 'EPIPE' || /Connection terminated/i.test(message)) message = `the connection to the team database was cut (a restart, a network failure): ${message}`;
  else if (code === '57P01') message = `the team database ended the connection (terminated by an administrator or a restart): ${message}`;
  const password = passwordOf(url);
  return password ? message.split(password).join('***') : message;
}

function passwordOf(url: string): string | null {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : null;
  } catch (err) {
    // checkPostgresUrl refused such a URL already; nothing to hide in a URL that does not parse.
    void err;
    return null;
  }
}
