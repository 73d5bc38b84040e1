import assert from "node:assert/strict";
import { commonDirPrefix, StateIndex } from "../../../lib/hash/state.ts";
import { hashDir } from "../../../lib/hash/hash_path.ts";

const stamp = (ino: number, mtimeMs = 1000, size = 3) => ({ ino, mtimeMs, size });

Deno.test("state: hit only while (inode, mtime, size) match", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const s = StateIndex.open(`${dir}/tmp/state.db`);
    s.save("/a/b", stamp(1), "m1");
    assert.equal(s.lookup("/a/b", stamp(1)), "m1");
    assert.equal(s.lookup("/a/b", stamp(2)), undefined);
    assert.equal(s.lookup("/a/b", stamp(1, 1001)), undefined);
    assert.equal(s.lookup("/a/b", stamp(1, 1000, 4)), undefined);
    // racy guard: modified within the window before hashing -> not recorded
    s.save("/a/c", stamp(3, 5000), "m3", { hashedAt: 5010 });
    assert.equal(s.lookup("/a/c", stamp(3, 5000)), undefined);
    // batch lookups, both the point-query and the range-scan paths
    const paths = Array.from({ length: 200 }, (_, i) => `/a/d/${i}`);
    s.saveMany(paths.map((p, i) => ({ path: p, stamp: stamp(i), md5: `h${i}` })));
    s.save("/a/d0", stamp(9), "outside-range");
    const got = s.lookupMany(paths, paths.map((_, i) => stamp(i === 7 ? 99 : i)));
    assert.equal(got[0], "h0");
    assert.equal(got[7], undefined);
    assert.equal(got[199], "h199");
    assert.deepEqual(s.lookupMany(["/a/b", "/a/d0"], [stamp(1), stamp(9)]), [
      "m1",
      "outside-range",
    ]);
    s.remove(["/a/b"]);
    assert.equal(s.lookup("/a/b", stamp(1)), undefined);
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
    assert.ok(s.usable);
    s.save("/x", stamp(1), "m");
    assert.equal(s.lookup("/x", stamp(1)), "m");
    s.close();
    Deno.removeSync(path);
    const t = StateIndex.open(path);
    assert.equal(t.lookup("/x", stamp(1)), undefined);
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
    assert.equal(b.lookup("/p", stamp(1)), "ma");
    b.save("/q", stamp(2), "mb");
    assert.equal(a.lookup("/q", stamp(2)), "mb");
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
    assert.equal(first.fromState, 0);
    const second = await hashDir(dir, { state: s });
    assert.equal(second.fromState, 100);
    assert.equal(second.hash.md5, first.hash.md5);
    // A rewrite with the same size but a new mtime is noticed.
    Deno.writeTextFileSync(`${dir}/f5`, "x");
    const third = await hashDir(dir, { state: s });
    assert.equal(third.fromState, 99);
    assert.notEqual(third.hash.md5, first.hash.md5);
    s.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(db, { recursive: true });
  }
});

Deno.test("commonDirPrefix", () => {
  assert.equal(commonDirPrefix(["/a/b/c", "/a/b/d"]), "/a/b");
  assert.equal(commonDirPrefix(["/a/bc/x", "/a/b/y"]), "/a");
  assert.equal(commonDirPrefix(["/a/x", "/b/y"]), "");
});
