// The web app's files (dist/dashboard/, built by scripts/build.mjs), served from a table made
// once at start: every regular file under the folder, read without following symlinks
// (regular-file.ts), with its type, ETag and gzip form. A request can only name a key of that
// table, so nothing outside the folder (a `..`, an encoded one, a symlink pointing out) is ever
// opened; a path with such a segment is refused outright. Client routes get index.html.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { readRegularFile } from '../../shared/regular-file.js';

export interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The web app's client-side routes: their first path segment (index.html answers them). */
export const CLIENT_ROUTES = new Set(['', 'sessions', 'projects', 'branches', 'models', 'tools', 'blocks', 'pipeline', 'developers']);

const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Every servable file under `dir`, keyed by its URL path ('/app.js'). Symlinks and other non-files are left out. */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (folder: string, prefix: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}/${entry.name}`);
      if (!entry.isFile()) continue; // symlinks (to anywhere), FIFOs, sockets: never served
      const type = TYPES[path.extname(entry.name).toLowerCase()];
      if (type === undefined) continue;
      const read = readRegularFile(full, MAX_FILE_BYTES, { skipLarger: true });
      if (read.kind !== 'file' || read.cut > 0) continue;
      const body = Buffer.from(read.bytes);
      const gzip = body.length > 1024 && !type.startsWith('image/png') ? zlib.gzipSync(body, { level: 9 }) : null;
      const etag = `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      files.set(`${prefix}/${entry.name}`, { body, gzip, type, etag });
    }
  };
  walk(dir, '');
  return files;
}

export type StaticLookup = { file: StaticFile; key: string } | { status: 400 | 404 };

/**
 * The file a request path names: its segments decoded one by one; a segment that is `.`, `..`,
 * empty inside the path, or holds a slash, backslash or NUL once decoded is refused (400). A path
 * that is no file but a client route is index.html; anything else 404.
 */
export function lookupStatic(files: Map<string, StaticFile>, pathname: string): StaticLookup {
  const raw = pathname.split('/').slice(1);
  const segments: string[] = [];
  for (const [i, part] of raw.entries()) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch (err) {
      if (!(err instanceof URIError)) throw err;
      return { status: 400 }; // not valid percent-encoding: a malformed path, refused
    }
    if (decoded === '.' || decoded === '..' || /[/\\\0]/.test(decoded)) return { status: 400 };
    if (decoded === '' && i < raw.length - 1) return { status: 400 };
    segments.push(decoded);
  }
  const key = `/${segments.join('/')}`;
  const direct = files.get(key === '/' ? '/index.html' : key);
  if (direct) return { file: direct, key };
  if (CLIENT_ROUTES.has(segments[0] ?? '') && !path.extname(key)) {
    const index = files.get('/index.html');
    if (index) return { file: index, key: '/index.html' };
  }
  return { status: 404 };
}
