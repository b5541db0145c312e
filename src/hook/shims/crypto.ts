// The hook bundle's stand-in for node:crypto (scripts/build.mjs maps the import to this file for
// dist/hook.cjs and dist/statusline.cjs only). write-file-atomic needs crypto for one thing: hashing its own file name,
// pid, thread id and a counter into the number that names its temp file beside the target. That
// number only has to differ between writes in flight, and loading OpenSSL costs the hook ~4 ms of
// a ~25 ms budget on Node 24, so FNV-1a (32-bit) does the hashing here. Any other use throws.
class Fnv1a {
  private hash = 0x811c9dc5;

  update(data: string | Uint8Array): this {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (const byte of bytes) this.hash = Math.imul(this.hash ^ byte, 0x01000193) >>> 0;
    return this;
  }

  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.hash >>> 0, 0);
    return out;
  }
}

export function createHash(algorithm: string): Fnv1a {
  if (algorithm !== 'sha1') throw new Error(`the hook's crypto stand-in hashes temp-file names only (asked for ${algorithm})`);
  return new Fnv1a();
}

export default { createHash };
