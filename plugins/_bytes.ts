/** Byte helpers shared by the HTTP-based remotes. */

/** `parts` joined into one array of `total` bytes (a single part is returned as it is). */
export function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
