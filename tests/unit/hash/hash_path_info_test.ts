import { assertEquals, assertNotStrictEquals, assertStrictEquals } from "../../_rig/assert.ts";
import { hashDir, hashPathInfo, treeDigest } from "../../../lib/hash/hash_path.ts";
import { RACY_WINDOW_MS, StateIndex } from "../../../lib/hash/state.ts";
import { type WalkFile, walkFiles } from "../../../lib/fs/walk.ts";
import { md5Hasher } from "../../../lib/hash/md5.ts";
import { ObjectStore } from "../../../lib/cache/object_store.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeTree(dir: string) {
  Deno.mkdirSync(`${dir}/data/sub`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/data/a`, "aaa");
  Deno.writeTextFileSync(`${dir}/data/sub/b`, "bbb");
}

Deno.test("hashPathInfo: a directory's hash comes from its tree digest once recorded", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    makeTree(dir);
    await sleep(RACY_WINDOW_MS + 10);
    const state = StateIndex.open(`${dir}/state.db`);
    const full = await hashDir(`${dir}/data`, { state });
    const digest = treeDigest(walkFiles(`${dir}/data`).files);
    assertEquals(state.lookupDir(`${dir}/data`, digest), {
      md5: full.hash.md5,
      size: 6,
      nfiles: 2,
    });
    assertEquals(await hashPathInfo(`${dir}/data`, { state }), full.hash);
    // Same size, new content, later mtime: digest misses, the file is re-read.
    await sleep(5);
    Deno.writeTextFileSync(`${dir}/data/sub/b`, "ccc");
    const t = new Date(Date.now() - 1000);
    Deno.utimeSync(`${dir}/data/sub/b`, t, t);
    const changed = await hashPathInfo(`${dir}/data`, { state });
    assertNotStrictEquals(changed.md5, full.hash.md5);
    assertStrictEquals(changed.md5, (await hashDir(`${dir}/data`)).hash.md5);
    // exec bit is part of the digest (it is part of the listing)
    Deno.chmodSync(`${dir}/data/a`, 0o755);
    assertNotStrictEquals(treeDigest(walkFiles(`${dir}/data`).files), digest);
    // a file: same as hashFile
    const f = await hashPathInfo(`${dir}/data/a`, { state });
    assertStrictEquals(f.md5, "47bce5c74f589f4867dbd57e9ca9f808");
    assertStrictEquals(f.isexec, true);
    state.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("hashPathInfo: a tree modified within the racy window is not recorded", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    makeTree(dir);
    const state = StateIndex.open(`${dir}/state.db`);
    // "just written" as seen by a hash that starts now (mtimes are in the window)
    const t = new Date(Date.now() + 5);
    Deno.utimeSync(`${dir}/data/a`, t, t);
    await hashDir(`${dir}/data`, { state });
    const digest = treeDigest(walkFiles(`${dir}/data`).files);
    assertStrictEquals(state.lookupDir(`${dir}/data`, digest), undefined);
    state.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ObjectStore.hasAllObjects: remembered until an object is added or removed", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const store = new ObjectStore(`${dir}/cache`);
    const state = StateIndex.open(`${dir}/state.db`);
    const a = store.addBytes(new TextEncoder().encode("a"));
    const b = store.addBytes(new TextEncoder().encode("b"));
    const md5 = (p: string) => p.split("/").slice(-2).join("");
    const obj = store.addDirObject([
      { relpath: "a", md5: md5(a.path) },
      { relpath: "b", md5: md5(b.path) },
    ]);
    await sleep(RACY_WINDOW_MS + 10);
    assertStrictEquals(store.hasAllObjects(obj.md5, { state }), true);
    assertStrictEquals(store.hasAllObjects(obj.md5, { state }), true); // from the state
    Deno.chmodSync(b.path, 0o644);
    Deno.removeSync(b.path);
    assertStrictEquals(store.hasAllObjects(obj.md5, { state }), false);
    assertStrictEquals(store.hasAllObjects(obj.md5), false);
    assertStrictEquals(store.hasAllObjects("0".repeat(32) + ".dir", { state }), false);
    state.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("treeDigest: all stamps then all names, the same digest across its chunks", () => {
  // What the state's dir records were keyed by before the digest was chunked.
  const whole = (files: WalkFile[]) => {
    const nums = new Float64Array(files.length * 4);
    files.forEach((f, i) => nums.set([f.ino, f.mtimeMs, f.size, f.mode & 0o111 ? 1 : 0], i * 4));
    return md5Hasher().update(new Uint8Array(nums.buffer)).update(
      files.map((f) => f.rel).join("\0"),
    ).digest();
  };
  for (const n of [0, 1, 65536, 150_001]) {
    const files: WalkFile[] = Array.from({ length: n }, (_, i) => ({
      rel: `d${i % 7}/f${i}`,
      abs: `/r/d${i % 7}/f${i}`,
      ino: 1000 + i,
      mtimeMs: 1.7e12 + i * 1.5,
      size: i % 4096,
      mode: i % 3 ? 0o100644 : 0o100755,
    }));
    assertStrictEquals(treeDigest(files), whole(files));
  }
});
