import { assertStrictEquals } from "../../_rig/assert.ts";
import { createHash } from "node:crypto";
import { sha256Hex, sha256Js } from "../../../lib/hash/sha256.ts";
import { nativeDigestBytes } from "../../../lib/hash/_native_md5.ts";

const nodeSha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

Deno.test("sha256: FIPS 180-4 examples", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assertStrictEquals(
    sha256Js(enc("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertStrictEquals(
    sha256Js(enc("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assertStrictEquals(
    sha256Js(new Uint8Array(0)),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("sha256: TypeScript, native and sha256Hex equal node:crypto's at every padding boundary", () => {
  for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 1000, 70_001]) {
    const data = bytes(n, n + 3);
    const want = nodeSha(data);
    assertStrictEquals(sha256Js(data), want, `length ${n}`);
    assertStrictEquals(sha256Hex(data), want, `length ${n}`);
    const native = nativeDigestBytes("sha256", data);
    if (native !== undefined) assertStrictEquals(native, want, `native, length ${n}`);
  }
  assertStrictEquals(sha256Hex("päräms ☃"), nodeSha("päräms ☃"));
});
