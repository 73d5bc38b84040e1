import { assertStrictEquals, assertThrows } from "../../_rig/assert.ts";
import { createHash } from "node:crypto";
import { Md5Js, md5Js } from "../../../lib/hash/_md5_js.ts";
import { md5Bytes, md5Hasher } from "../../../lib/hash/md5.ts";

const nodeMd5 = (b: Uint8Array | string) => createHash("md5").update(b).digest("hex");

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

Deno.test("TypeScript md5: RFC 1321 test suite", () => {
  const suite: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    [
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "d174ab98d277d9f5a5611c2c9f419d9f",
    ],
    [
      "1234567890".repeat(8),
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ];
  for (const [text, want] of suite) assertStrictEquals(md5Js(text), want, JSON.stringify(text));
});

Deno.test("TypeScript md5 equals node:crypto's at every padding boundary and in any chunking", () => {
  const sizes = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 4097, 100_003];
  for (const n of sizes) {
    const data = bytes(n, n + 5);
    const want = nodeMd5(data);
    assertStrictEquals(md5Js(data), want, `length ${n}`);
    for (const chunk of [1, 7, 64, 100]) {
      const h = new Md5Js();
      for (let off = 0; off < n; off += chunk) h.update(data.subarray(off, off + chunk));
      assertStrictEquals(h.digest(), want, `length ${n} in chunks of ${chunk}`);
    }
  }
  assertStrictEquals(md5Js("héllo ☃"), nodeMd5("héllo ☃")); // strings as UTF-8
  const h = new Md5Js();
  h.digest();
  assertThrows(() => h.update("x"));
});

Deno.test("md5Bytes and md5Hasher (native or TypeScript) equal node:crypto's", () => {
  for (const n of [0, 3, 64, 5000]) {
    const data = bytes(n, 99);
    assertStrictEquals(md5Bytes(data), nodeMd5(data));
    assertStrictEquals(
      md5Hasher().update(data.subarray(0, 2)).update(data.subarray(2)).digest(),
      nodeMd5(data),
    );
  }
  assertStrictEquals(md5Bytes("a\u00e9"), nodeMd5("a\u00e9"));
  assertStrictEquals(md5Hasher().update("a").update("\u00e9").digest(), nodeMd5("a\u00e9"));
});
