/**
 * MD5 (RFC 1321) in plain TypeScript: the fallback when OpenSSL cannot be
 * used (no libcrypto, no FFI permission). It exists so that hashing never
 * needs `node:crypto`, whose import loads Deno's Node-compat layer (tens of
 * ms of start-up, issue 16) even for one small hash.
 */

// Left-rotation amounts: four per round, repeated four times (RFC 1321 §3.4).
const S = [[7, 12, 17, 22], [5, 9, 14, 20], [4, 11, 16, 23], [6, 10, 15, 21]]
  .flatMap((r) => [...r, ...r, ...r, ...r]);

// T[i] = floor(abs(sin(i + 1)) * 2^32), as the RFC defines the table.
const T = new Int32Array(64);
for (let i = 0; i < 64; i++) T[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

// Message word used by step i of each round.
const K = new Uint8Array(64);
for (let i = 0; i < 64; i++) {
  K[i] = i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

/** An incremental MD5; `digest()` returns lowercase hex and ends it. */
export class Md5Js {
  #h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  #block = new Uint8Array(64);
  #view = new DataView(this.#block.buffer);
  #words = new Int32Array(16);
  #fill = 0;
  #length = 0; // bytes hashed so far
  #done = false;

  update(data: Uint8Array | string): this {
    if (this.#done) throw new Error("md5 already digested");
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.#length += bytes.length;
    let off = 0;
    if (this.#fill > 0) {
      const n = Math.min(64 - this.#fill, bytes.length);
      this.#block.set(bytes.subarray(0, n), this.#fill);
      this.#fill += n;
      off = n;
      if (this.#fill < 64) return this;
      this.#compress(this.#view, 0);
      this.#fill = 0;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (; off + 64 <= bytes.length; off += 64) this.#compress(view, off);
    if (off < bytes.length) {
      this.#block.set(bytes.subarray(off), 0);
      this.#fill = bytes.length - off;
    }
    return this;
  }

  digest(): string {
    if (this.#done) throw new Error("md5 already digested");
    const bits = this.#length * 8;
    const pad = new Uint8Array(((this.#fill < 56 ? 56 : 120) - this.#fill) + 8);
    pad[0] = 0x80;
    const pv = new DataView(pad.buffer);
    // length in bits, little-endian 64-bit (exact below 2^53 bits)
    pv.setUint32(pad.length - 8, bits >>> 0, true);
    pv.setUint32(pad.length - 4, Math.floor(bits / 2 ** 32) >>> 0, true);
    this.update(pad);
    this.#done = true;
    let hex = "";
    for (let i = 0; i < 4; i++) {
      const w = this.#h[i];
      hex += HEX[w & 0xff] + HEX[(w >>> 8) & 0xff] + HEX[(w >>> 16) & 0xff] +
        HEX[(w >>> 24) & 0xff];
    }
    return hex;
  }

  #compress(view: DataView, off: number): void {
    const x = this.#words;
    for (let i = 0; i < 16; i++) x[i] = view.getInt32(off + 4 * i, true);
    const h = this.#h;
    let a = h[0], b = h[1], c = h[2], d = h[3];
    for (let i = 0; i < 64; i++) {
      let f: number;
      if (i < 16) f = (b & c) | (~b & d);
      else if (i < 32) f = (d & b) | (~d & c);
      else if (i < 48) f = b ^ c ^ d;
      else f = c ^ (b | ~d);
      const sum = (a + f + T[i] + x[K[i]]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << S[i]) | (sum >>> (32 - S[i])))) | 0;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
  }
}

/** MD5 hex digest of `data` (strings as UTF-8). */
export function md5Js(data: Uint8Array | string): string {
  return new Md5Js().update(data).digest();
}
