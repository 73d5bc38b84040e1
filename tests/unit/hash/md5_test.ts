import { assertEquals, assertStrictEquals } from "../../_rig/assert.ts";
import {
  dos2unix,
  isTextBlock,
  md5Bytes,
  md5BytesDos2Unix,
  md5File,
  md5FileDos2Unix,
} from "../../../lib/hash/md5.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("md5 of raw bytes (spec §5.1 vectors)", () => {
  assertStrictEquals(md5Bytes(enc("hello\n")), "b1946ac92492d2347c6235b4d2611184");
  assertStrictEquals(md5Bytes(enc("hello\r\n")), "af5597c29467a96523a70787c319f4db");
});

Deno.test("legacy md5-dos2unix folds CRLF in text, not binary", () => {
  assertStrictEquals(md5BytesDos2Unix(enc("hello\r\n")), md5Bytes(enc("hello\n")));
  const bin = enc("a\0b\r\n");
  assertStrictEquals(md5BytesDos2Unix(bin), md5Bytes(bin));
  assertEquals(dos2unix(enc("\r\r\n\r")), enc("\r\n\r"));
  assertStrictEquals(isTextBlock(new Uint8Array()), true);
  assertStrictEquals(isTextBlock(new Uint8Array([0x80, 0x81, 0x41, 0x41])), false);
  assertStrictEquals(isTextBlock(new Uint8Array([0x80, 0x41, 0x41, 0x41])), true);
});

Deno.test("file md5: whole-read, streamed and legacy agree with buffers", () => {
  const dir = Deno.makeTempDirSync();
  try {
    // > 1 MiB so streaming and per-chunk dos2unix are exercised; text with CRLF.
    const text = enc("line\r\n".repeat(400_000));
    Deno.writeFileSync(`${dir}/t`, text);
    assertStrictEquals(md5File(`${dir}/t`), md5Bytes(text));
    assertStrictEquals(md5File(`${dir}/t`, { size: text.length }), md5Bytes(text));
    assertStrictEquals(md5FileDos2Unix(`${dir}/t`), md5BytesDos2Unix(text));
    let seen = 0;
    md5File(`${dir}/t`, { onBytes: (n) => seen += n });
    assertStrictEquals(seen, text.length);
    Deno.writeFileSync(`${dir}/e`, new Uint8Array());
    assertStrictEquals(md5File(`${dir}/e`), "d41d8cd98f00b204e9800998ecf8427e");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
