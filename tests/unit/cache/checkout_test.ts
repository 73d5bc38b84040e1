import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../../_rig/assert.ts";
import { checkoutOutput, commitOutput, ConfirmRemoveError } from "../../../lib/cache/checkout.ts";
import { ObjectStore } from "../../../lib/cache/object_store.ts";
import type { CacheContext, LinkType } from "../../../lib/cache/types.ts";
import { DvcIgnore } from "../../../lib/fs/dvcignore.ts";
import { md5BytesDos2Unix } from "../../../lib/hash/md5.ts";
import { StateIndex } from "../../../lib/hash/state.ts";
import { parseTempName } from "../../../lib/fs/temp_files.ts";

interface Repo {
  root: string;
  ctx: CacheContext;
  close(): void;
}

function repo(linkTypes: LinkType[] = ["reflink", "copy"]): Repo {
  const root = Deno.makeTempDirSync({ prefix: "cairn-co-" });
  Deno.mkdirSync(`${root}/.dvc/tmp`, { recursive: true });
  const state = StateIndex.forRepo(`${root}/.dvc`);
  return {
    root,
    ctx: {
      rootDir: root,
      cacheDir: `${root}/.dvc/cache`,
      linkTypes,
      state,
      ignore: new DvcIgnore(root),
    },
    close() {
      state.close();
      Deno.removeSync(root, { recursive: true });
    },
  };
}

function write(root: string, files: Record<string, string>) {
  for (const [p, c] of Object.entries(files)) {
    const full = `${root}/${p}`;
    Deno.mkdirSync(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(full, c);
  }
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of Deno.readDirSync(d)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(`${d}/${e.name}`, r);
      else out[r] = Deno.readTextFileSync(`${d}/${e.name}`);
    }
  };
  walk(dir, "");
  return out;
}

const DATA = { "data/a": "A", "data/sub/b": "B", "data/sub/deep/c": "C" };

Deno.test("commit a directory, rm -rf, checkout restores it", async () => {
  const r = repo();
  try {
    write(r.root, DATA);
    const c = await commitOutput(r.ctx, `${r.root}/data`);
    assertStrictEquals(c.kind, "dir");
    assertStrictEquals(c.hash.nfiles, 3);
    assertStrictEquals(c.hash.size, 3);
    assertStrictEquals(c.hash.hashName, "md5");
    assertStrictEquals(c.stored, 4); // 3 files + .dir
    // default link types keep the workspace copy as is
    assertStrictEquals(c.relinked, 0);
    const again = await commitOutput(r.ctx, `${r.root}/data`);
    assertStrictEquals(again.stored, 0);
    assertStrictEquals(again.hash.md5, c.hash.md5);

    Deno.removeSync(`${r.root}/data`, { recursive: true });
    const co = await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash });
    assertStrictEquals(co.status, "added");
    assertEquals(co.changes.map((x) => `${x.change} ${x.relpath}`), [
      "added a",
      "added sub/b",
      "added sub/deep/c",
    ]);
    assertStrictEquals(co.linkType, "copy");
    assertEquals(tree(`${r.root}/data`), { a: "A", "sub/b": "B", "sub/deep/c": "C" });
    assert((Deno.statSync(`${r.root}/data/a`).mode! & 0o200) !== 0);

    const noop = await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash });
    assertStrictEquals(noop.status, "unchanged");
    assertStrictEquals(noop.unchanged, 3);
    assertEquals(noop.changes, []);
  } finally {
    r.close();
  }
});

Deno.test("no-op checkout trusts the state index (reads nothing)", async () => {
  const r = repo();
  try {
    write(r.root, DATA);
    const c = await commitOutput(r.ctx, `${r.root}/data`);
    Deno.removeSync(`${r.root}/data`, { recursive: true });
    await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash });
    // Just-written stamps are inside the racy window and not trusted yet; a
    // later status (here a no-op checkout) records them once they are older.
    await new Promise((res) => setTimeout(res, 30));
    await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash });
    // Same size, same inode, same mtime, other bytes: only a read could tell.
    const p = `${r.root}/data/a`;
    const before = Deno.statSync(p);
    const f = Deno.openSync(p, { write: true });
    f.writeSync(new TextEncoder().encode("Z"));
    f.close();
    Deno.utimeSync(p, before.atime!, before.mtime!);
    const co = await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash });
    assertStrictEquals(co.status, "unchanged");
    assertStrictEquals(Deno.readTextFileSync(p), "Z");
  } finally {
    r.close();
  }
});

Deno.test("uncached changes need confirmation; force/confirm apply M/A/D", async () => {
  const r = repo();
  try {
    write(r.root, DATA);
    const c = await commitOutput(r.ctx, `${r.root}/data`);
    write(r.root, { "data/a": "changed", "data/extra/x": "new" });
    Deno.removeSync(`${r.root}/data/sub/deep/c`);
    const out = { path: `${r.root}/data`, hash: c.hash };
    await assertRejects(() => checkoutOutput(r.ctx, out), ConfirmRemoveError);
    assertStrictEquals(Deno.readTextFileSync(`${r.root}/data/a`), "changed", "untouched");
    let asked: string[] = [];
    const co = await checkoutOutput(r.ctx, out, {
      confirmRemove: (paths) => {
        asked = paths;
        return true;
      },
    });
    assertEquals(asked.sort(), [`${r.root}/data/a`, `${r.root}/data/extra/x`]);
    assertStrictEquals(co.status, "modified");
    assertEquals(co.changes.map((x) => `${x.change} ${x.relpath}`), [
      "modified a",
      "deleted extra/x",
      "added sub/deep/c",
    ]);
    assertEquals(tree(`${r.root}/data`), { a: "A", "sub/b": "B", "sub/deep/c": "C" });
    assertThrows(() => Deno.statSync(`${r.root}/data/extra`), "emptied dir pruned");
    // cached content is replaced without asking (same size, written at once:
    // the racy-window rule must notice it)
    write(r.root, { "data/a": "B" }); // == content of sub/b, which is cached
    const co2 = await checkoutOutput(r.ctx, out);
    assertEquals(co2.changes, [{ relpath: "a", change: "modified" }]);
    // force
    write(r.root, { "data/a": "zzz" });
    const co3 = await checkoutOutput(r.ctx, out, { force: true });
    assertEquals(co3.changes, [{ relpath: "a", change: "modified" }]);
  } finally {
    r.close();
  }
});

Deno.test("missing objects are reported, the rest checked out", async () => {
  const r = repo();
  try {
    write(r.root, DATA);
    const c = await commitOutput(r.ctx, `${r.root}/data`);
    const store = new ObjectStore(r.ctx.cacheDir);
    store.remove("7fc56270e7a70fa81a5935b72eacbe29"); // md5("A")
    Deno.removeSync(`${r.root}/data`, { recursive: true });
    const co = await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash });
    assertStrictEquals(co.status, "missing");
    assertEquals(co.missing, ["a"]);
    assertEquals(Object.keys(tree(`${r.root}/data`)).sort(), ["sub/b", "sub/deep/c"]);
    store.remove(c.hash.md5);
    const co2 = await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash });
    assertEquals(co2.missing, [""]);
    const co3 = await checkoutOutput(r.ctx, {
      path: `${r.root}/nofile`,
      hash: { md5: "0123456789abcdef0123456789abcdef", hashName: "md5" },
    });
    assertStrictEquals(co3.status, "missing");
  } finally {
    r.close();
  }
});

Deno.test("file output: checkout, isexec, unchanged, modified", async () => {
  const r = repo();
  try {
    write(r.root, { "run.sh": "#!/bin/sh\n" });
    Deno.chmodSync(`${r.root}/run.sh`, 0o755);
    const c = await commitOutput(r.ctx, `${r.root}/run.sh`);
    assertStrictEquals(c.hash.isexec, true);
    assertStrictEquals(c.stored, 1);
    Deno.removeSync(`${r.root}/run.sh`);
    const out = { path: `${r.root}/run.sh`, hash: c.hash };
    const co = await checkoutOutput(r.ctx, out);
    assertStrictEquals(co.status, "added");
    assertEquals(co.changes, [{ relpath: "", change: "added" }]);
    assert((Deno.statSync(`${r.root}/run.sh`).mode! & 0o111) !== 0);
    assertStrictEquals((await checkoutOutput(r.ctx, out)).status, "unchanged");
    write(r.root, { "run.sh": "other" });
    const co2 = await checkoutOutput(r.ctx, out, { force: true });
    assertStrictEquals(co2.status, "modified");
    assertStrictEquals(Deno.readTextFileSync(`${r.root}/run.sh`), "#!/bin/sh\n");
  } finally {
    r.close();
  }
});

Deno.test("hardlink / symlink cache types and relink", async () => {
  const r = repo(["hardlink", "copy"]);
  try {
    write(r.root, DATA);
    const c = await commitOutput(r.ctx, `${r.root}/data`);
    const store = new ObjectStore(r.ctx.cacheDir);
    const obj = store.pathFor("7fc56270e7a70fa81a5935b72eacbe29");
    assertStrictEquals(Deno.statSync(`${r.root}/data/a`).ino, Deno.statSync(obj).ino);
    assertStrictEquals(Deno.statSync(obj).mode! & 0o777, 0o444);
    // relink to symlinks
    const sym: CacheContext = { ...r.ctx, linkTypes: ["symlink"] };
    const out = { path: `${r.root}/data`, hash: c.hash };
    const co = await checkoutOutput(sym, out, { relink: true });
    assertStrictEquals(co.relinked, 3);
    assertStrictEquals(Deno.readLinkSync(`${r.root}/data/a`), obj);
    assertStrictEquals((await checkoutOutput(sym, out, { relink: true })).relinked, 0);
    // and back to independent copies
    const copy: CacheContext = { ...r.ctx, linkTypes: ["copy"] };
    const co2 = await checkoutOutput(copy, out, { relink: true });
    assertStrictEquals(co2.relinked, 3);
    assertStrictEquals(Deno.lstatSync(`${r.root}/data/a`).isSymlink, false);
    assertNotStrictEquals(Deno.statSync(`${r.root}/data/a`).ino, Deno.statSync(obj).ino);
    assertEquals(tree(`${r.root}/data`), { a: "A", "sub/b": "B", "sub/deep/c": "C" });
  } finally {
    r.close();
  }
});

Deno.test("legacy (DVC 2) objects check out; output replacing a file/dir", async () => {
  const r = repo();
  try {
    const text = new TextEncoder().encode("a\r\nb\r\n");
    const legacyMd5 = md5BytesDos2Unix(text);
    const store = new ObjectStore(r.ctx.cacheDir);
    store.addBytes(text, legacyMd5, { legacy: true });
    const hash = { md5: legacyMd5, size: 6 }; // no hashName: legacy entry
    const out = { path: `${r.root}/legacy.txt`, hash };
    assertStrictEquals((await checkoutOutput(r.ctx, out)).status, "added");
    assertStrictEquals((await checkoutOutput(r.ctx, out)).status, "unchanged");
    // a directory sits where a file output goes (its data is cached: no prompt)
    write(r.root, { "d/x": "A" });
    const cx = await commitOutput(r.ctx, `${r.root}/d/x`);
    Deno.renameSync(`${r.root}/legacy.txt`, `${r.root}/tmp.txt`);
    Deno.mkdirSync(`${r.root}/legacy.txt`);
    Deno.copyFileSync(`${r.root}/d/x`, `${r.root}/legacy.txt/inner`);
    const co = await checkoutOutput(r.ctx, out);
    assertStrictEquals(co.status, "modified");
    assert(Deno.statSync(`${r.root}/legacy.txt`).isFile);
    assertStrictEquals(cx.hash.md5, "7fc56270e7a70fa81a5935b72eacbe29");
  } finally {
    r.close();
  }
});

Deno.test("commit with hardlink first: objects share the workspace inodes, nothing relinked", async () => {
  const r = repo(["hardlink", "copy"]);
  try {
    write(r.root, DATA);
    const inoBefore = Deno.statSync(`${r.root}/data/a`).ino;
    const c = await commitOutput(r.ctx, `${r.root}/data`);
    assertStrictEquals(c.relinked, 0);
    assertStrictEquals(Deno.statSync(`${r.root}/data/a`).ino, inoBefore);
    // a file output whose content is already cached gets hardlinked to it
    write(r.root, { "copy_of_a": "A" });
    const f = await commitOutput(r.ctx, `${r.root}/copy_of_a`);
    assertStrictEquals(f.stored, 0);
    assertStrictEquals(f.relinked, 1);
    assertStrictEquals(Deno.statSync(`${r.root}/copy_of_a`).ino, inoBefore);
  } finally {
    r.close();
  }
});

Deno.test("commit with symlink cache type replaces workspace files by links", async () => {
  const r = repo(["symlink"]);
  try {
    write(r.root, DATA);
    const c = await commitOutput(r.ctx, `${r.root}/data`);
    assertStrictEquals(c.relinked, 3);
    assertStrictEquals(c.linkType, "symlink");
    const store = new ObjectStore(r.ctx.cacheDir);
    assertStrictEquals(
      Deno.readLinkSync(`${r.root}/data/sub/b`),
      store.pathFor("9d5ed678fe57bcca610140957afab571"), // md5("B")
    );
    // re-committing the linked tree gives the same hash and relinks nothing
    const again = await commitOutput(r.ctx, `${r.root}/data`);
    assertStrictEquals(again.hash.md5, c.hash.md5);
    assertStrictEquals(again.relinked, 0);
    assertStrictEquals(again.stored, 0);
  } finally {
    r.close();
  }
});

Deno.test("a missing output folder: written in a staging folder on both cores; missing and untrusted objects found while linking", async () => {
  const r = repo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`d${i % 6}/f${i}`] = `content ${i}`;
    files["gone/x"] = "only in a folder whose objects go missing";
    write(r.root, {
      ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`data/${k}`, v])),
    });
    const c = await commitOutput(r.ctx, `${r.root}/data`);
    const store = new ObjectStore(r.ctx.cacheDir);
    const md5 = (s: string) => md5BytesDos2Unix(new TextEncoder().encode(s));
    store.remove(md5("content 7"));
    store.remove(md5(files["gone/x"]));
    // an object made writable (it may have been edited through a link): verified before use
    Deno.chmodSync(store.pathFor(md5("content 8")), 0o644);
    Deno.removeSync(`${r.root}/data`, { recursive: true });
    const parallel = { minFiles: 4, batchFiles: 5 };
    const co = await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash }, { parallel });
    assertStrictEquals(co.status, "missing");
    assertEquals([...co.missing].sort(), ["d1/f7", "gone/x"]);
    const want = { ...files };
    delete want["d1/f7"];
    delete want["gone/x"];
    assertEquals(tree(`${r.root}/data`), want);
    // no folder left for files that could not be written, no staging folder left behind
    assertThrows(() => Deno.lstatSync(`${r.root}/data/gone`));
    const temps = [...Deno.readDirSync(`${r.root}/.dvc/tmp`)].filter((e) => parseTempName(e.name));
    assertEquals(temps, []);
    assertStrictEquals(Deno.statSync(`${r.root}/data/d2/f8`).mode! & 0o222, 0o200);
    assertStrictEquals(co.changes.length, 59);
    // everything there: a plain added checkout, files as written for the caller
    Deno.removeSync(`${r.root}/data`, { recursive: true });
    Deno.writeTextFileSync(`${r.root}/content7`, "content 7");
    Deno.writeTextFileSync(`${r.root}/gonex`, files["gone/x"]);
    await commitOutput(r.ctx, `${r.root}/content7`);
    await commitOutput(r.ctx, `${r.root}/gonex`);
    const co2 = await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash }, { parallel });
    assertStrictEquals(co2.status, "added");
    assertEquals(tree(`${r.root}/data`), files);
    assertStrictEquals(co2.files?.length, 61);
    for (const f of co2.files!) {
      const st = Deno.statSync(f.abs);
      assertEquals([f.ino, f.mtimeMs, f.size], [st.ino, st.mtime!.getTime(), st.size]);
    }
    const again = await checkoutOutput(r.ctx, { path: `${r.root}/data`, hash: c.hash }, {
      parallel,
    });
    assertStrictEquals(again.status, "unchanged");
  } finally {
    r.close();
  }
});
