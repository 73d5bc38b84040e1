import { assertEquals, assertMatch, assertStrictEquals, assertThrows } from "../../_rig/assert.ts";
import {
  CorruptObjectError,
  MAX_LISTING_BYTES,
  MissingObjectError,
  ObjectStore,
} from "../../../lib/cache/object_store.ts";
import { DirListingError } from "../../../lib/hash/dir_listing.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";
import { CairnError } from "../../../lib/errors.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const H_FOO = "acbd18db4cc2f85cedef654fccc4a4d8";

function withDir(fn: (dir: string) => void | Promise<void>) {
  return async () => {
    const dir = Deno.makeTempDirSync({ prefix: "cairn-odb-" });
    try {
      await fn(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

function listAll(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of Deno.readDirSync(d)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(`${d}/${e.name}`, r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

Deno.test("layout: files/md5/xx/rest and legacy xx/rest", () => {
  const s = new ObjectStore("/c/cache");
  assertStrictEquals(s.pathFor(H_FOO), `/c/cache/files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8`);
  assertStrictEquals(
    s.pathFor(H_FOO + ".dir"),
    `/c/cache/files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8.dir`,
  );
  assertStrictEquals(
    s.pathFor(H_FOO, { legacy: true }),
    `/c/cache/ac/bd18db4cc2f85cedef654fccc4a4d8`,
  );
  assertThrows(() => s.pathFor("../etc/passwd"), CairnError);
});

Deno.test(
  "addFile: atomic, read-only, idempotent, no temp left",
  withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/foo`, "foo");
    const s = new ObjectStore(`${dir}/cache`);
    const a = s.addFile(`${dir}/foo`, H_FOO);
    assertStrictEquals(a.added, true);
    assertStrictEquals(Deno.readTextFileSync(a.path), "foo");
    assertStrictEquals(Deno.statSync(a.path).mode! & 0o777, 0o444);
    assertStrictEquals(s.has(H_FOO), true);
    assertStrictEquals(s.has(H_FOO, { legacy: true }), false);
    assertStrictEquals(s.addFile(`${dir}/foo`, H_FOO).added, false);
    assertEquals(listAll(`${dir}/cache`), ["files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8"]);
    // hardlink mode shares the inode with the source
    Deno.writeTextFileSync(`${dir}/bar`, "bar");
    const h = md5Bytes(enc("bar"));
    const b = s.addFile(`${dir}/bar`, h, { hardlink: true });
    assertStrictEquals(Deno.statSync(b.path).ino, Deno.statSync(`${dir}/bar`).ino);
  }),
);

Deno.test(
  ".dir objects round-trip; a corrupt one is removed, never used",
  withDir((dir) => {
    const s = new ObjectStore(`${dir}/cache`);
    const r = s.addDirObject([
      { relpath: "foo", md5: H_FOO },
      { relpath: "bar", md5: "37b51d194a7513e45b56f6524f2d51f2" },
    ]);
    assertStrictEquals(r.md5, "5ea40360f5b4ec688df672a4db9c17d1.dir");
    assertEquals(s.readDirObject(r.md5).map((e) => e.relpath), ["bar", "foo"]);
    Deno.chmodSync(r.path, 0o644);
    Deno.writeTextFileSync(r.path, "[]");
    assertThrows(() => s.readDirObject(r.md5), CorruptObjectError);
    assertStrictEquals(s.has(r.md5), false);
    assertThrows(() => s.readDirObject(r.md5), MissingObjectError);
  }),
);

Deno.test(
  "verify: 0444 trusted, strict rehashes, corrupt removed",
  withDir((dir) => {
    const s = new ObjectStore(`${dir}/cache`);
    const { path } = s.addBytes(enc("foo"), H_FOO);
    assertStrictEquals(s.verify(H_FOO), "ok");
    Deno.chmodSync(path, 0o644);
    Deno.writeTextFileSync(path, "bad");
    Deno.chmodSync(path, 0o444);
    assertStrictEquals(s.verify(H_FOO), "ok", "0444 is trusted as DVC does");
    assertStrictEquals(s.verify(H_FOO, { strict: true }), "corrupt");
    assertStrictEquals(s.has(H_FOO), false);
    assertStrictEquals(s.verify(H_FOO), "missing");
    // not 0444 -> always re-hashed; a good one gets its mode back
    const p2 = s.addBytes(enc("foo"), H_FOO).path;
    Deno.chmodSync(p2, 0o644);
    assertStrictEquals(s.verify(H_FOO), "ok");
    assertStrictEquals(Deno.statSync(p2).mode! & 0o777, 0o444);
    // addFile over a corrupt unprotected object replaces it
    Deno.chmodSync(p2, 0o644);
    Deno.writeTextFileSync(p2, "xyz");
    Deno.writeTextFileSync(`${dir}/foo`, "foo");
    assertStrictEquals(s.addFile(`${dir}/foo`, H_FOO).added, true);
    assertStrictEquals(Deno.readTextFileSync(p2), "foo");
  }),
);

Deno.test(
  "list both namespaces, ignoring runs/ and temp files; remove",
  withDir((dir) => {
    const s = new ObjectStore(`${dir}/cache`);
    s.addBytes(enc("foo"), H_FOO);
    s.addBytes(enc("bar"), undefined, { legacy: true });
    const d = s.addDirObject([{ relpath: "foo", md5: H_FOO }]);
    Deno.mkdirSync(`${dir}/cache/runs/ab/abcd`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/cache/runs/ab/abcd/ef`, "x");
    Deno.writeTextFileSync(`${dir}/cache/files/md5/ac/.tmp123`, "x");
    const got = [...s.list()].map((o) => `${o.legacy ? "L" : "3"}:${o.md5}`).sort();
    assertEquals(
      got,
      [
        `3:${d.md5}`,
        `3:${H_FOO}`,
        `L:37b51d194a7513e45b56f6524f2d51f2`,
      ].sort(),
    );
    assertStrictEquals([...s.list({ legacy: true })].length, 1);
    assertStrictEquals(s.remove(H_FOO), true);
    assertStrictEquals(s.remove(H_FOO), false);
    assertStrictEquals(s.has(H_FOO), false);
  }),
);

Deno.test(
  "cache.shared=group: fan-out dirs 02775",
  withDir((dir) => {
    const s = new ObjectStore(`${dir}/cache`, { shared: "group" });
    const { path } = s.addBytes(enc("foo"), H_FOO);
    const fan = path.slice(0, path.lastIndexOf("/"));
    assertStrictEquals(Deno.statSync(fan).mode! & 0o7777, 0o2775);
    assertStrictEquals(Deno.statSync(`${dir}/cache/files`).mode! & 0o7777, 0o2775);
  }),
);

Deno.test(
  "ENOSPC: clean CairnError, nothing left behind",
  withDir(async (dir) => {
    // A 64 KiB tmpfs in a private mount namespace (works unprivileged via userns).
    const script = new URL("./_enospc_scenario.ts", import.meta.url).pathname;
    const mnt = `${dir}/mnt`;
    Deno.mkdirSync(mnt);
    const cmd = new Deno.Command("unshare", {
      args: [
        "-rm",
        "sh",
        "-c",
        `mount -t tmpfs -o size=64k tmpfs "$1" && "$2" run -A "$3" "$1"`,
        "sh",
        mnt,
        Deno.execPath(),
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const out = await cmd.output();
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    assertStrictEquals(out.code, 0, text);
    assertMatch(text, /OK no space left on device/);
    assertMatch(text, /OK commit no space left on device/);
  }),
);

Deno.test(
  "hasMany agrees with has (stat and listing paths)",
  withDir((dir) => {
    const s = new ObjectStore(`${dir}/cache`);
    const present: string[] = [];
    for (let i = 0; i < 300; i++) present.push(s.addBytes(enc(`x${i}`)).path);
    const md5s = Array.from({ length: 300 }, (_, i) => md5Bytes(enc(`x${i}`)));
    const absent = Array.from({ length: 300 }, (_, i) => md5Bytes(enc(`y${i}`)));
    const all = [...md5s, ...absent, "not-a-hash"];
    const got = s.hasMany(all);
    assertEquals(got, all.map((m) => m.length === 32 && md5s.includes(m)));
    assertEquals(s.hasMany(md5s.slice(0, 3)), [true, true, true]);
  }),
);

Deno.test("a .dir listing over MAX_LISTING_BYTES is refused before it is read", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const store = new ObjectStore(dir);
    const md5 = "0123456789abcdef0123456789abcdef.dir";
    const path = store.pathFor(md5);
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    // sparse: no disk used, and not read (the size decides)
    const f = Deno.openSync(path, { write: true, create: true });
    f.truncateSync(MAX_LISTING_BYTES + 1);
    f.close();
    const err = assertThrows(() => store.readDirObject(md5), DirListingError) as DirListingError;
    assertMatch(err.message, /is a listing of 536870913 bytes: over 512 MiB/);
    assertEquals(Deno.statSync(path).size, MAX_LISTING_BYTES + 1, "left as it was");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
