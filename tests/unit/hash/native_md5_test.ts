import { assert, assertStrictEquals, assertThrows } from "../../_rig/assert.ts";
import { createHash } from "node:crypto";
import { nativeMd5, nativeMd5Bytes } from "../../../lib/hash/_native_md5.ts";
import { md5File } from "../../../lib/hash/md5.ts";

const nodeMd5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

Deno.test("native md5 (OpenSSL via FFI) equals node:crypto's, in any chunking", () => {
  const probe = nativeMd5();
  // libcrypto ships with the Debian image CI uses: there it must be found.
  // Elsewhere the node:crypto fallback is what runs (tested in md5_test.ts).
  const debian = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"]
    .some((d) => {
      try {
        return Deno.statSync(`${d}/libcrypto.so.3`).isFile;
      } catch {
        return false;
      }
    });
  if (debian) assert(probe, "libcrypto.so.3 is installed but could not be loaded");
  if (!probe) return;
  probe.free();
  for (const n of [0, 1, 55, 56, 64, 1000, (1 << 20) + 7]) {
    const data = bytes(n, n + 1);
    const h = nativeMd5()!;
    for (let off = 0; off < n; off += 4099) h.update(data.subarray(off, off + 4099));
    assertStrictEquals(h.digest(), nodeMd5(data), `length ${n}`);
  }
  const h = nativeMd5()!;
  h.digest();
  assertThrows(() => h.update(new Uint8Array(1)));
});

Deno.test("md5File streams large files through either implementation", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const data = bytes(3 * (1 << 20) + 11, 3);
    Deno.writeFileSync(`${dir}/f`, data);
    assertStrictEquals(md5File(`${dir}/f`, { size: data.length }), nodeMd5(data));
    assertStrictEquals(md5File(`${dir}/f`), nodeMd5(data));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("native one-shot md5 (EVP_Digest) equals node:crypto's", () => {
  if (!nativeMd5Bytes(new Uint8Array(0))) return; // no libcrypto here: see the test above
  for (const n of [0, 1, 55, 56, 63, 64, 65, 1024, (1 << 20) + 7]) {
    const data = bytes(n, n + 11);
    assertStrictEquals(nativeMd5Bytes(data), nodeMd5(data), `length ${n}`);
  }
});
