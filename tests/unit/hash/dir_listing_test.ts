import { assert, assertEquals, assertStrictEquals, assertThrows } from "../../_rig/assert.ts";
import {
  buildDirObject,
  compareCodePoints,
  parseListing,
  pathComparator,
  serializeListing,
  serializeListingBytes,
  sortListing,
} from "../../../lib/hash/dir_listing.ts";
import { canonicalJson } from "../../../lib/py/canonical_json.ts";

Deno.test("code point order, not UTF-16 order", () => {
  // U+FB01 (BMP, above the surrogates) sorts before U+1F600 by code point.
  assert(compareCodePoints("\ufb01", "\u{1F600}") < 0);
  assert("\ufb01" > "\u{1F600}"); // what plain JS would do
  const names = ["ab", "a_b", "a0", "a/b", "a/a-b", "a.b", "a-b", "a!", "a b", "Z"];
  assertEquals(
    sortListing(names.map((relpath) => ({ relpath }))).map((e) => e.relpath),
    ["Z", "a b", "a!", "a-b", "a.b", "a/a-b", "a/b", "a0", "a_b", "ab"],
  );
});

Deno.test("serialization matches Python json.dumps(sort_keys=True)", () => {
  const text = serializeListing([
    { md5: "9dd4e461268c8034f5c8564e155c67a6", relpath: "caf\u00e9.txt" },
    { md5: "415290769594460e2e485922904f345d", relpath: "z\u{1F600}.txt" },
    { md5: "x", relpath: 'q"\\\n\t\u007f/' },
  ]);
  assertStrictEquals(
    text,
    '[{"md5": "9dd4e461268c8034f5c8564e155c67a6", "relpath": "caf\\u00e9.txt"}, ' +
      '{"md5": "415290769594460e2e485922904f345d", "relpath": "z\\ud83d\\ude00.txt"}, ' +
      '{"md5": "x", "relpath": "q\\"\\\\\\n\\t\\u007f/"}]',
  );
});

Deno.test("spec §5.3 vectors A, D, E and empty", () => {
  const a = buildDirObject([
    { relpath: "foo", md5: "acbd18db4cc2f85cedef654fccc4a4d8", size: 3 },
    { relpath: "bar", md5: "37b51d194a7513e45b56f6524f2d51f2", size: 3 },
  ]);
  assertStrictEquals(a.md5, "5ea40360f5b4ec688df672a4db9c17d1.dir");
  assertStrictEquals(a.size, 6);
  assertStrictEquals(a.nfiles, 2);
  const e = buildDirObject([
    { relpath: "z\u{1F600}.txt", md5: "415290769594460e2e485922904f345d" },
    { relpath: "caf\u00e9.txt", md5: "9dd4e461268c8034f5c8564e155c67a6" },
  ]);
  assertStrictEquals(e.md5, "6c863dd70ceb301f75f8cf33419d6541.dir");
  assertStrictEquals(e.size, undefined);
  assertStrictEquals(buildDirObject([]).md5, "d751713988987e9331980363e24189ce.dir");
  assertEquals(parseListing(a.bytes), [
    { relpath: "bar", md5: "37b51d194a7513e45b56f6524f2d51f2" },
    { relpath: "foo", md5: "acbd18db4cc2f85cedef654fccc4a4d8" },
  ]);
  assertThrows(() => parseListing("{}"));
  assertThrows(() => parseListing('[{"md5": 1}]'));
});

Deno.test("listing bytes equal canonicalJson of the listing", () => {
  const entries = [
    { md5: "a", relpath: "\u{1F600}/x" },
    { md5: "b", relpath: "\ufb01" },
    { md5: "c", relpath: "a b\u0001" },
  ];
  sortListing(entries);
  assertStrictEquals(serializeListing(entries), canonicalJson(entries));
});

Deno.test("pathComparator: plain order without astral chars, code point order with", () => {
  const plain = pathComparator(["a", "\ufb01"]);
  assert(plain("a", "b") < 0 && plain("b", "a") > 0 && plain("a", "a") === 0);
  const astral = pathComparator(["\u{1F600}", "\ufb01"]);
  assert(astral("\ufb01", "\u{1F600}") < 0);
});

Deno.test("serializeListingBytes: the text's bytes, in a buffer of exactly that size", () => {
  const dec = new TextDecoder();
  for (const n of [0, 1, 3]) {
    const entries = Array.from(
      { length: n },
      (_, i) => ({ md5: `${i}`.repeat(32), relpath: `d/f${i}` }),
    );
    const bytes = serializeListingBytes(entries);
    assertStrictEquals(dec.decode(bytes), serializeListing(entries));
    assertStrictEquals(bytes.buffer.byteLength, bytes.length); // not a copy cut from a bigger one
  }
  // escaped names grow past the first estimate: still the same text
  const odd = [{ md5: "a".repeat(32), relpath: '\u00e9"\\\u0001'.repeat(50) }];
  assertStrictEquals(dec.decode(serializeListingBytes(odd)), serializeListing(odd));
});
