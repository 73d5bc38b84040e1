import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertStrictEquals,
} from "../../_rig/assert.ts";
import { commonDirPrefix, StateIndex } from "../../../lib/hash/state.ts";
import { hashDir } from "../../../lib/hash/hash_path.ts";

const stamp = (ino: number, mtimeMs = 1000, size = 3) => ({ ino, mtimeMs, size });

Deno.test("state: hit only while (inode, mtime, size) match", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const s = StateIndex.open(`${dir}/tmp/state.db`);
    s.save("/a/b", stamp(1), "m1");
    assertStrictEquals(s.lookup("/a/b", stamp(1)), "m1");
    assertStrictEquals(s.lookup("/a/b", stamp(2)), undefined);
    assertStrictEquals(s.lookup("/a/b", stamp(1, 1001)), undefined);
    assertStrictEquals(s.lookup("/a/b", stamp(1, 1000, 4)), undefined);
    // racy guard: modified within the window before hashing -> not recorded
    s.save("/a/c", stamp(3, 5000), "m3", { hashedAt: 5010 });
    assertStrictEquals(s.lookup("/a/c", stamp(3, 5000)), undefined);
    // batch lookups, both the point-query and the range-scan paths
    const paths = Array.from({ length: 200 }, (_, i) => `/a/d/${i}`);
    s.saveMany(paths.map((p, i) => ({ path: p, stamp: stamp(i), md5: `h${i}` })));
    s.save("/a/d0", stamp(9), "outside-range");
    const got = s.lookupMany(paths, paths.map((_, i) => stamp(i === 7 ? 99 : i)));
    assertStrictEquals(got[0], "h0");
    assertStrictEquals(got[7], undefined);
    assertStrictEquals(got[199], "h199");
    // range scan: a path asked twice gets an answer for each stamp; unknown paths miss
    const twice = [...paths, "/a/d/3", "/a/d/3", "/a/d/none"];
    const stamps2 = twice.map((_, i) => stamp(i < 200 ? i : i === 200 ? 3 : i === 201 ? 4 : 0));
    const got2 = s.lookupMany(twice, stamps2);
    assertEquals(Array.from(got2.slice(198)), ["h198", "h199", "h3", undefined, undefined]);
    assert(s.hasAnyUnder("/a/d") && s.hasAnyUnder("/a") && s.hasAnyUnder("/"));
    assert(!s.hasAnyUnder("/a/e") && !s.hasAnyUnder("/a/d/1") && !s.hasAnyUnder("/b"));
    // an empty subtree (a first add): nothing found
    const fresh = paths.map((p) => p.replace("/a/d/", "/a/e/"));
    assertEquals(s.lookupMany(fresh, fresh.map((_, i) => stamp(i))).filter(Boolean), []);
    assertEquals(s.lookupMany(["/a/b", "/a/d0"], [stamp(1), stamp(9)]), [
      "m1",
      "outside-range",
    ]);
    s.remove(["/a/b"]);
    assertStrictEquals(s.lookup("/a/b", stamp(1)), undefined);
    s.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("state: corrupt or deleted database is rebuilt silently", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/state.db`;
    Deno.writeTextFileSync(path, "this is not a database".repeat(200));
    const s = StateIndex.open(path);
    assert(s.usable);
    s.save("/x", stamp(1), "m");
    assertStrictEquals(s.lookup("/x", stamp(1)), "m");
    s.close();
    Deno.removeSync(path);
    const t = StateIndex.open(path);
    assertStrictEquals(t.lookup("/x", stamp(1)), undefined);
    t.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("state: two connections (processes) share it", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const a = StateIndex.open(`${dir}/s.db`);
    const b = StateIndex.open(`${dir}/s.db`);
    a.save("/p", stamp(1), "ma");
    assertStrictEquals(b.lookup("/p", stamp(1)), "ma");
    b.save("/q", stamp(2), "mb");
    assertStrictEquals(a.lookup("/q", stamp(2)), "mb");
    a.close();
    b.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("state: unchanged files are never read again", async () => {
  const dir = Deno.makeTempDirSync();
  const db = Deno.makeTempDirSync();
  try {
    for (let i = 0; i < 100; i++) Deno.writeTextFileSync(`${dir}/f${i}`, `${i}`);
    // Backdate so the racy-write guard lets the hashes be recorded.
    for (let i = 0; i < 100; i++) Deno.utimeSync(`${dir}/f${i}`, 1e6, 1e6);
    const s = StateIndex.open(`${db}/state.db`);
    const first = await hashDir(dir, { state: s });
    assertStrictEquals(first.fromState, 0);
    const second = await hashDir(dir, { state: s });
    assertStrictEquals(second.fromState, 100);
    assertStrictEquals(second.hash.md5, first.hash.md5);
    // A rewrite with the same size but a new mtime is noticed.
    Deno.writeTextFileSync(`${dir}/f5`, "x");
    const third = await hashDir(dir, { state: s });
    assertStrictEquals(third.fromState, 99);
    assertNotStrictEquals(third.hash.md5, first.hash.md5);
    s.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(db, { recursive: true });
  }
});

Deno.test("commonDirPrefix", () => {
  assertStrictEquals(commonDirPrefix(["/a/b/c", "/a/b/d"]), "/a/b");
  assertStrictEquals(commonDirPrefix(["/a/bc/x", "/a/b/y"]), "/a");
  assertStrictEquals(commonDirPrefix(["/a/x", "/b/y"]), "");
});
