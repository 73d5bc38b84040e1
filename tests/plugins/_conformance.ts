/**
 * One conformance suite, run against every built-in remote on its real server
 * (local folder, moto S3, OpenSSH SFTP, nginx WebDAV + plain HTTP reads):
 * exists, list, upload, download, delete, missing object, a large object
 * (multipart on S3), 10,000 small objects through the transfer engine, and
 * unicode names.
 */
import { assert, assertEquals, assertRejects } from "../_rig/assert.ts";
import { openRemote, type Remote } from "../../lib/plugin/remote.ts";
import { ObjectStore } from "../../lib/cache/object_store.ts";
import type { DirEntry } from "../../lib/hash/dir_listing.ts";
import { md5Bytes, md5File } from "../../lib/hash/md5.ts";
import {
  fetchObjects,
  gcRemote,
  listRemoteObjects,
  pushObjects,
  remoteKey,
  type TransferProgress,
} from "../../lib/cache/transfer.ts";
import {
  pseudoRandom,
  type RemoteCase,
  remoteCase,
  type RemoteKind,
  removeTree,
  testOptions,
} from "./_remotes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A fresh cache inside `base` (the plugin's grant covers `base`). */
function tempCache(base: string): { dir: string; store: ObjectStore } {
  const dir = Deno.makeTempDirSync({ dir: base, prefix: "cache-" });
  return { dir, store: new ObjectStore(dir) };
}

async function open(c: RemoteCase, cacheDir: string, http = false): Promise<Remote> {
  return await openRemote(http ? c.httpConfig! : c.config, { name: c.kind, cacheDir });
}

async function basicOps(c: RemoteCase, remote: Remote, cacheDir: string): Promise<void> {
  const a = `${cacheDir}/a.bin`;
  const b = `${cacheDir}/b.bin`;
  Deno.writeFileSync(a, enc.encode("alpha\n"));
  Deno.writeFileSync(b, enc.encode("bravo bravo\n"));

  // upload
  const put = await remote.put([
    { src: a, key: "files/md5/aa/0000000000000000000000000000aa" },
    { src: b, key: "files/md5/bb/0000000000000000000000000000bb" },
  ]);
  assertEquals(put, [{ ok: true, bytes: 6 }, { ok: true, bytes: 12 }]);

  // exists (batch, in order)
  assertEquals(
    await remote.exists([
      "files/md5/aa/0000000000000000000000000000aa",
      "files/md5/cc/0000000000000000000000000000cc",
      "files/md5/bb/0000000000000000000000000000bb",
    ]),
    [true, false, true],
  );

  // list (whole remote and a prefix; no temp files left behind)
  assertEquals((await remote.list("")).sort(), [
    "files/md5/aa/0000000000000000000000000000aa",
    "files/md5/bb/0000000000000000000000000000bb",
  ]);
  assertEquals(await remote.list("files/md5/bb/"), [
    "files/md5/bb/0000000000000000000000000000bb",
  ]);
  assertEquals(await remote.list("files/md5/zz/"), []);

  // download
  const got = await remote.get([
    { key: "files/md5/bb/0000000000000000000000000000bb", dest: `${cacheDir}/b.out` },
  ]);
  // (a plugin may add the file's mode)
  assertEquals(got.map((r) => r.ok ? { ok: r.ok, bytes: r.bytes } : r), [{ ok: true, bytes: 12 }]);
  assertEquals(dec.decode(Deno.readFileSync(`${cacheDir}/b.out`)), "bravo bravo\n");

  // missing object: a per-item notFound, not an exception; readBytes gives null
  const miss = await remote.get([
    { key: "files/md5/cc/0000000000000000000000000000cc", dest: `${cacheDir}/c.out` },
  ]);
  assert(!miss[0].ok && miss[0].error.notFound, JSON.stringify(miss));
  assertEquals(await remote.readBytes("files/md5/cc/0000000000000000000000000000cc"), null);

  // small writes and reads through transferred buffers
  await remote.writeBytes("runs/ab/abcd/ef01", enc.encode("outs: []\n"));
  assertEquals(dec.decode((await remote.readBytes("runs/ab/abcd/ef01"))!), "outs: []\n");
  // a read with a size limit: up to it the bytes, past it an error, not the object
  assertEquals(dec.decode((await remote.readBytes("runs/ab/abcd/ef01", 9))!), "outs: []\n");
  await assertRejects(
    () => remote.readBytes("runs/ab/abcd/ef01", 8),
    Error,
    "is 9 bytes, more than the 8 accepted",
  );

  // the read-only http:// view serves the same objects
  if (c.httpConfig) {
    const http = await open(c, cacheDir, true);
    try {
      assertEquals(http.info.write, false);
      assertEquals(
        await http.exists([
          "files/md5/aa/0000000000000000000000000000aa",
          "files/md5/cc/0000000000000000000000000000cc",
        ]),
        [true, false],
      );
      const r = await http.get([
        { key: "files/md5/aa/0000000000000000000000000000aa", dest: `${cacheDir}/a.http` },
      ]);
      assertEquals(r, [{ ok: true, bytes: 6 }]);
      assertEquals(dec.decode(Deno.readFileSync(`${cacheDir}/a.http`)), "alpha\n");
    } finally {
      await http.close();
    }
  }

  // delete (present and absent keys both succeed)
  const rm = await remote.remove([
    "files/md5/aa/0000000000000000000000000000aa",
    "files/md5/cc/0000000000000000000000000000cc",
    "runs/ab/abcd/ef01",
  ]);
  assert(rm.every((r) => r.ok), JSON.stringify(rm));
  assertEquals(await remote.list(""), ["files/md5/bb/0000000000000000000000000000bb"]);
  await remote.remove(["files/md5/bb/0000000000000000000000000000bb"]);
  assertEquals(await remote.list(""), []);
}

async function unicodeNames(remote: Remote, cacheDir: string): Promise<void> {
  const keys = [
    "unicode/Ünïcødé 日本語 ✓/файл €.bin",
    "unicode/space and+plus&amp%25;semi'quote(1).txt",
    "unicode/emoji 🚀/ok.dat",
  ];
  const src = `${cacheDir}/u.bin`;
  Deno.writeFileSync(src, enc.encode("ünïcødé\n"));
  const put = await remote.put(keys.map((key) => ({ src, key })));
  assert(put.every((r) => r.ok), JSON.stringify(put));
  assertEquals(await remote.exists(keys), [true, true, true]);
  assertEquals((await remote.list("unicode/")).sort(), [...keys].sort());
  const got = await remote.get(keys.map((key, i) => ({ key, dest: `${cacheDir}/u${i}.out` })));
  assert(got.every((r) => r.ok), JSON.stringify(got));
  for (let i = 0; i < keys.length; i++) {
    assertEquals(dec.decode(Deno.readFileSync(`${cacheDir}/u${i}.out`)), "ünïcødé\n");
  }
  assertEquals(dec.decode((await remote.readBytes(keys[0]))!), "ünïcødé\n");
  await remote.remove(keys);
  assertEquals(await remote.list("unicode/"), []);
}

async function largeObject(remote: Remote, base: string): Promise<void> {
  const src = tempCache(base);
  const dst = tempCache(base);
  try {
    const data = pseudoRandom(64 << 20, 42);
    const md5 = md5Bytes(data);
    src.store.addBytes(data, md5);
    const progress: TransferProgress[] = [];
    const pushed = await pushObjects(src.store, remote, [{ md5 }], {
      onProgress: (p) => progress.push(p),
    });
    assertEquals(pushed.transferred, [{ md5, legacy: false }]);
    assertEquals(pushed.bytes, 64 << 20);
    const last = progress[progress.length - 1];
    assertEquals(last.filesDone, 1);
    assertEquals(last.bytesDone, 64 << 20);
    assertEquals(await remote.list(""), [remoteKey({ md5 })]);

    const fetched = await fetchObjects(dst.store, remote, [{ md5 }]);
    assertEquals(fetched.transferred.length, 1);
    assertEquals(fetched.failed, []);
    assertEquals(md5File(dst.store.pathFor(md5)), md5);
    assertEquals(Deno.statSync(dst.store.pathFor(md5)).mode! & 0o777, 0o444);

    // A second push and fetch move nothing.
    assertEquals((await pushObjects(src.store, remote, [{ md5 }])).transferred, []);
    assertEquals((await fetchObjects(dst.store, remote, [{ md5 }])).transferred, []);
    await remote.remove([remoteKey({ md5 })]);
  } finally {
    removeTree(src.dir);
    removeTree(dst.dir);
  }
}

async function manySmallObjects(remote: Remote, base: string, n: number): Promise<void> {
  const src = tempCache(base);
  const dst = tempCache(base);
  try {
    const entries: DirEntry[] = [];
    for (let i = 0; i < n; i++) {
      const data = enc.encode(`object ${i}\n`);
      const md5 = md5Bytes(data);
      src.store.addBytes(data, md5);
      entries.push({ relpath: `d${i % 10}/f${i}.txt`, md5 });
    }
    const dir = src.store.addDirObject(entries).md5;

    const pushed = await pushObjects(src.store, remote, [{ md5: dir }]);
    assertEquals(pushed.failed, []);
    assertEquals(pushed.transferred.length, n + 1);
    // The .dir object goes last.
    assertEquals(pushed.transferred[pushed.transferred.length - 1].md5, dir);
    const listed = await listRemoteObjects(remote);
    assertEquals(listed.length, n + 1);

    // Nothing to do the second time (the remote .dir vouches for its files).
    const again = await pushObjects(src.store, remote, [{ md5: dir }]);
    assertEquals(again.transferred.length, 0);

    const fetched = await fetchObjects(dst.store, remote, [{ md5: dir }]);
    assertEquals(fetched.failed, []);
    assertEquals(fetched.transferred.length, n + 1);
    assertEquals([...dst.store.list()].length, n + 1);

    // gc with nothing kept empties the remote (.dir first).
    const gc = await gcRemote(remote, []);
    assertEquals(gc.removed.length, n + 1);
    assertEquals(gc.removed[0].md5, dir);
    assertEquals(await listRemoteObjects(remote), []);
  } finally {
    removeTree(src.dir);
    removeTree(dst.dir);
  }
}

/** Register the suite for one remote kind (one test file per kind, so they run in parallel). */
export function conformance(kind: RemoteKind): void {
  const c = remoteCase(kind);
  Deno.test({
    name: `remote conformance: ${kind}`,
    ...testOptions(c),
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async (t) => {
      const dir = Deno.makeTempDirSync({ prefix: "cairn-conformance-" });
      const remote = await open(c, dir);
      try {
        await t.step(
          "exists, list, upload, download, delete, missing object",
          () => basicOps(c, remote, dir),
        );
        await t.step("unicode names", () => unicodeNames(remote, dir));
        await t.step("large object (64 MiB)", () => largeObject(remote, dir));
        await t.step("10,000 small objects", () => manySmallObjects(remote, dir, 10_000));
      } finally {
        await remote.close();
        removeTree(dir);
        removeTree(c.kind === "s3" ? undefined : c.localRoot);
      }
    },
  });
}
