/**
 * Transfer engine behaviour, against the local-folder plugin and a project
 * plugin that injects failures (tests/plugins/fixtures/remote_flaky).
 */
import { assert, assertEquals, assertRejects } from "../../_rig/assert.ts";
import { join } from "node:path";
import { ObjectStore } from "../../../lib/cache/object_store.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";
import {
  fetchObjects,
  gcRemote,
  keyObject,
  listRemoteObjects,
  pushObjects,
  remoteHas,
  remoteKey,
  remoteStatus,
  type TransferObject,
  type TransferProgress,
  transferRunCache,
} from "../../../lib/cache/transfer.ts";
import { setNativeLandForTests } from "../../../lib/cache/_native_land.ts";
import { openRemote, type Remote } from "../../../lib/plugin/remote.ts";
import { PluginRegistry } from "../../../lib/plugin/registry.ts";
import { PluginPermissionError } from "../../../lib/plugin/loader.ts";
import { ROOT } from "../../plugins/_remotes.ts";
import { trustProjectPlugins } from "../../_rig/trust.ts";

const enc = new TextEncoder();
const FLAKY = join(ROOT, "tests", "plugins", "fixtures", "remote_flaky");

interface Env {
  base: string;
  src: ObjectStore;
  dst: ObjectStore;
  store: string;
}

function setup(): Env {
  const base = Deno.makeTempDirSync({ prefix: "cairn-transfer-" });
  return {
    base,
    src: new ObjectStore(`${base}/src`),
    dst: new ObjectStore(`${base}/dst`),
    store: `${base}/remote`,
  };
}

async function withRemote(
  env: Env,
  extra: Record<string, string>,
  fn: (r: Remote) => Promise<void>,
): Promise<void> {
  let registry: PluginRegistry | undefined;
  let config: Record<string, string> = { url: env.store };
  if (Object.keys(extra).length) {
    registry = trustProjectPlugins(await PluginRegistry.create({ paths: [FLAKY] }));
    config = { url: `flaky://${env.store}`, ...extra };
  }
  const r = await openRemote(config, { name: "r", cacheDir: env.base, registry });
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

/** n small objects and a `.dir` listing them; returns [dir, files]. */
function makeDir(store: ObjectStore, n: number, tag = ""): [TransferObject, TransferObject[]] {
  const files: TransferObject[] = [];
  const entries = [];
  for (let i = 0; i < n; i++) {
    const data = enc.encode(`file ${tag}${i}\n`);
    const md5 = md5Bytes(data);
    store.addBytes(data, md5);
    files.push({ md5, legacy: false });
    entries.push({ relpath: `sub/f${i}`, md5 });
  }
  return [{ md5: store.addDirObject(entries).md5, legacy: false }, files];
}

function cleanup(env: Env): void {
  Deno.removeSync(env.base, { recursive: true });
}

function tmpFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.isDirectory) walk(`${d}/${e.name}`);
      else if (e.name.endsWith(".tmp") || e.name.endsWith(".part")) out.push(`${d}/${e.name}`);
    }
  };
  try {
    walk(dir);
  } catch { /* absent */ }
  return out;
}

Deno.test("keys: DVC 3 and legacy layouts, other keys ignored", () => {
  const h = "0123456789abcdef0123456789abcdef";
  assertEquals(remoteKey({ md5: h }), `files/md5/01/23456789abcdef0123456789abcdef`);
  assertEquals(
    remoteKey({ md5: `${h}.dir`, legacy: true }),
    `01/23456789abcdef0123456789abcdef.dir`,
  );
  assertEquals(keyObject(`files/md5/01/23456789abcdef0123456789abcdef`), { md5: h, legacy: false });
  assertEquals(keyObject(`01/23456789abcdef0123456789abcdef.dir`), {
    md5: `${h}.dir`,
    legacy: true,
  });
  assertEquals(keyObject(`runs/01/x/y`), null);
  assertEquals(keyObject(`files/md5/01/.23456789abcdef0123456789abcdef.1.tmp`), null);
});

Deno.test("push then fetch a directory: only missing objects move, .dir last", async () => {
  const env = setup();
  try {
    const [dir, files] = makeDir(env.src, 50);
    await withRemote(env, {}, async (r) => {
      // Part of it is on the remote already.
      const first = await pushObjects(env.src, r, files.slice(0, 20));
      assertEquals(first.transferred.length, 20);
      const progress: TransferProgress[] = [];
      const res = await pushObjects(env.src, r, [dir], { onProgress: (p) => progress.push(p) });
      assertEquals(res.transferred.length, 31);
      assertEquals(res.transferred[30], dir);
      assertEquals(res.present.length, 20);
      assertEquals(res.failed, []);
      const last = progress[progress.length - 1];
      assertEquals([last.filesDone, last.filesTotal, last.failed], [31, 31, 0]);
      assertEquals(last.bytesDone, last.bytesTotal);
      assertEquals((await listRemoteObjects(r)).length, 51);
      // Stored objects are read-only, like DVC's local remote.
      assertEquals(Deno.statSync(`${env.store}/${remoteKey(dir)}`).mode! & 0o777, 0o444);

      const got = await fetchObjects(env.dst, r, [dir]);
      assertEquals(got.transferred.length, 51);
      assertEquals(got.transferred[0], dir); // the listing first, to learn the files
      assertEquals(env.dst.readDirObject(dir.md5).length, 50);
      for (const f of files) assertEquals(env.dst.verify(f.md5, { strict: true }), "ok");
      assertEquals((await fetchObjects(env.dst, r, [dir])).transferred, []);
      assertEquals(tmpFiles(env.base), []);
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("a .dir on the remote vouches for its files unless trustRemoteDirs is off", async () => {
  const env = setup();
  try {
    const [dir, files] = makeDir(env.src, 8);
    await withRemote(env, {}, async (r) => {
      await pushObjects(env.src, r, [dir]);
      // Someone removed a file behind our back.
      Deno.chmodSync(`${env.store}/${remoteKey(files[0])}`, 0o644);
      Deno.removeSync(`${env.store}/${remoteKey(files[0])}`);
      const trusted = await pushObjects(env.src, r, [dir, ...files]);
      assertEquals(trusted.transferred, []);
      assertEquals(trusted.present.length, 9);
      const checked = await pushObjects(env.src, r, [dir, ...files], { trustRemoteDirs: false });
      assertEquals(checked.transferred, [files[0]]);
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("transient failures are retried with backoff", async () => {
  const env = setup();
  try {
    const [dir] = makeDir(env.src, 10);
    await withRemote(env, { transient_failures: "2", exists_fail_once: "true" }, async (r) => {
      const res = await pushObjects(env.src, r, [dir], { backoffMs: 5 });
      assertEquals(res.failed, []);
      assertEquals(res.transferred.length, 11);
      const calls = await r.plugin.call<{ put: number }>("calls", []);
      assertEquals(calls.put, 33); // every object: 2 failures + 1 success
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("a file that cannot be pushed keeps its .dir off the remote; a rerun completes", async () => {
  const env = setup();
  try {
    const [dir, files] = makeDir(env.src, 10);
    const bad = files[3];
    await withRemote(env, { fail_keys: bad.md5.slice(2) }, async (r) => {
      const res = await pushObjects(env.src, r, [dir], { backoffMs: 1 });
      assertEquals(res.failed.map((f) => f.md5), [bad.md5]);
      assertEquals(res.skippedDirs, [dir]);
      assertEquals(res.transferred.length, 9);
      assertEquals(await r.exists([remoteKey(dir)]), [false]);
    });
    await withRemote(env, {}, async (r) => {
      const res = await pushObjects(env.src, r, [dir]);
      assertEquals(res.transferred, [bad, dir]);
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("retries give up after the limit and report the object as failed", async () => {
  const env = setup();
  try {
    const [, files] = makeDir(env.src, 3);
    await withRemote(env, { transient_failures: "10" }, async (r) => {
      const res = await pushObjects(env.src, r, files, { retries: 2, backoffMs: 1 });
      assertEquals(res.failed.length, 3);
      assert(res.failed.every((f) => f.wire.transient));
      assertEquals(await listRemoteObjects(r), []);
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("a corrupt download never enters the cache", async () => {
  const env = setup();
  try {
    const [dir, files] = makeDir(env.src, 5);
    await withRemote(env, {}, async (r) => {
      await pushObjects(env.src, r, [dir]);
    });
    const bad = files[2];
    await withRemote(env, { corrupt_keys: bad.md5.slice(2) }, async (r) => {
      const res = await fetchObjects(env.dst, r, [dir], { backoffMs: 1, retries: 1 });
      assertEquals(res.failed.map((f) => f.md5), [bad.md5]);
      assert(/does not match its md5/.test(res.failed[0].error));
      assertEquals(res.transferred.length, 5);
      assertEquals(env.dst.has(bad.md5), false);
      assertEquals(tmpFiles(`${env.base}/dst`), []);
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("objects missing locally or remotely are reported, not fatal", async () => {
  const env = setup();
  try {
    const [, files] = makeDir(env.src, 2);
    const ghost = { md5: "00000000000000000000000000000000", legacy: false };
    await withRemote(env, {}, async (r) => {
      const pushed = await pushObjects(env.src, r, [...files, ghost]);
      assertEquals(pushed.missing, [ghost]);
      assertEquals(pushed.transferred.length, 2);
      const fetched = await fetchObjects(env.dst, r, [...files, ghost]);
      assertEquals(fetched.missing, [ghost]);
      assertEquals(fetched.failed, []);
      assertEquals(fetched.transferred.length, 2);
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("legacy (DVC 2) objects use the root layout and dos2unix verification", async () => {
  const env = setup();
  try {
    const crlf = enc.encode("line one\r\nline two\r\n");
    const legacyMd5 = md5Bytes(enc.encode("line one\nline two\n"));
    env.src.addBytes(crlf, legacyMd5, { legacy: true });
    const obj = { md5: legacyMd5, legacy: true };
    await withRemote(env, {}, async (r) => {
      assertEquals((await pushObjects(env.src, r, [obj])).transferred, [obj]);
      assertEquals(await r.list(""), [remoteKey(obj)]);
      assertEquals((await fetchObjects(env.dst, r, [obj])).transferred, [obj]);
      assert(env.dst.has(legacyMd5, { legacy: true }));
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("remote status and gc -c", async () => {
  const env = setup();
  try {
    const [dir, files] = makeDir(env.src, 4);
    const [, others] = makeDir(env.src, 2, "other");
    await withRemote(env, {}, async (r) => {
      await pushObjects(env.src, r, [dir, ...others]);
      env.src.remove(others[0].md5);
      const lonely = enc.encode("only local\n");
      const lonelyMd5 = md5Bytes(lonely);
      env.src.addBytes(lonely, lonelyMd5);
      const ghost = { md5: "11111111111111111111111111111111" };
      const st = await remoteStatus(env.src, r, [dir, others[0], { md5: lonelyMd5 }, ghost]);
      assertEquals(st.ok.length, 5); // dir + 4 files
      assertEquals(st.deleted.map((o) => o.md5), [others[0].md5]);
      assertEquals(st.new.map((o) => o.md5), [lonelyMd5]);
      assertEquals(st.missing.map((o) => o.md5), [ghost.md5]);

      const has = await remoteHas(r, [...files, ...others]);
      assertEquals(has.size, 6);

      const dry = await gcRemote(r, [dir, ...files], { dryRun: true });
      assertEquals(dry.removed.length, 2);
      assertEquals((await listRemoteObjects(r)).length, 7);
      const gc = await gcRemote(r, [dir, ...files]);
      assertEquals(gc.removed.map((o) => o.md5).sort(), others.map((o) => o.md5).sort());
      assertEquals((await listRemoteObjects(r)).length, 5);
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("run-cache entries go both ways", async () => {
  const env = setup();
  try {
    const entry = `${env.base}/src/runs/ab/abcdef/0123`;
    Deno.mkdirSync(entry.slice(0, entry.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(entry, "cmd: echo\n");
    await withRemote(env, {}, async (r) => {
      const up = await transferRunCache(`${env.base}/src`, r, "push");
      assertEquals(up.transferred, ["runs/ab/abcdef/0123"]);
      assertEquals((await transferRunCache(`${env.base}/src`, r, "push")).transferred, []);
      const down = await transferRunCache(`${env.base}/dst`, r, "pull");
      assertEquals(down.transferred, ["runs/ab/abcdef/0123"]);
      assertEquals(Deno.readTextFileSync(`${env.base}/dst/runs/ab/abcdef/0123`), "cmd: echo\n");
    });
  } finally {
    cleanup(env);
  }
});

Deno.test("a permission failure stops the transfer with the plugin's error", async () => {
  const env = setup();
  try {
    const [, files] = makeDir(env.src, 3);
    // The remote's grant covers only the store and `cacheDir`; this cache is elsewhere.
    const outside = new ObjectStore(Deno.makeTempDirSync({ prefix: "cairn-outside-" }));
    for (const f of files) {
      outside.addFile(env.src.pathFor(f.md5), f.md5);
    }
    await withRemote(env, {}, async (r) => {
      await assertRejects(
        () => pushObjects(outside, r, files),
        (e: Error) => e instanceof PluginPermissionError && e.permission === "read",
      );
    });
    Deno.removeSync(outside.cacheDir, { recursive: true });
  } finally {
    cleanup(env);
  }
});

Deno.test("downloads, small (inline) and big (verified off the main thread), native and Deno landing: verified, 0444, corrupt ones kept out", async () => {
  for (const native of [true, false]) {
    setNativeLandForTests(native);
    const env = setup();
    try {
      // 1 KiB objects come back as bytes (landed here, after LAND_POOL_AFTER by the
      // VerifyPool's Workers), 100 KiB ones as files: the first few verified here, the
      // rest (more than VERIFY_POOL_AFTER) by the VerifyPool's Workers
      const objs: TransferObject[] = [];
      const datas = new Map<string, Uint8Array>();
      const sizes = [
        1024,
        100 << 10,
        1024,
        100 << 10,
        100 << 10,
        ...Array(40).fill(100 << 10),
        ...Array(300).fill(1024),
      ];
      const last = sizes.length - 1;
      for (const [i, size] of sizes.entries()) {
        const data = new Uint8Array(size).fill(i + 1);
        data[0] = i >> 8; // 300 fills of one byte repeat: keep every object distinct
        const md5 = md5Bytes(data);
        env.src.addBytes(data, md5);
        objs.push({ md5, legacy: false });
        datas.set(md5, data);
      }
      await withRemote(env, {}, async (r) => {
        assertEquals((await pushObjects(env.src, r, objs)).transferred.length, sizes.length);
      });
      // the remote's copies of two small and two big objects go bad (same size)
      const bigLast = 44;
      const bad = [objs[2], objs[3], objs[bigLast], objs[last]];
      for (const o of bad) {
        const p = `${env.store}/files/md5/${o.md5.slice(0, 2)}/${o.md5.slice(2)}`;
        Deno.chmodSync(p, 0o644);
        const d = Deno.readFileSync(p);
        d[d.length - 1] ^= 1;
        Deno.writeFileSync(p, d);
      }
      await withRemote(env, {}, async (r) => {
        const res = await fetchObjects(env.dst, r, objs, { backoffMs: 1, retries: 1 });
        const badMd5s = bad.map((o) => o.md5).sort();
        assertEquals(res.failed.map((f) => f.md5).sort(), badMd5s);
        assertEquals(res.corrupt.map((c) => c.md5).sort(), badMd5s);
        assertEquals(res.transferred.length, sizes.length - 4);
      });
      for (const [i, o] of objs.entries()) {
        const path = env.dst.pathFor(o.md5);
        if (i === 2 || i === 3 || i === bigLast || i === last) {
          assertEquals(env.dst.has(o.md5), false);
          continue;
        }
        assertEquals(Deno.readFileSync(path), datas.get(o.md5));
        assertEquals(Deno.statSync(path).mode! & 0o777, 0o444);
      }
      assertEquals(tmpFiles(`${env.base}/dst`), []);
    } finally {
      setNativeLandForTests(true);
      cleanup(env);
    }
  }
});

Deno.test("a dangling symlink or a folder where a downloaded object goes is not taken for the object", async () => {
  for (const native of [true, false]) {
    setNativeLandForTests(native);
    const env = setup();
    try {
      const objs: TransferObject[] = [];
      for (const i of [1, 2]) {
        const data = new Uint8Array(1024).fill(i);
        const md5 = md5Bytes(data);
        env.src.addBytes(data, md5);
        objs.push({ md5, legacy: false });
      }
      await withRemote(env, {}, async (r) => {
        await pushObjects(env.src, r, objs);
      });
      const [link, folder] = objs.map((o) => env.dst.pathFor(o.md5));
      Deno.mkdirSync(link.slice(0, link.lastIndexOf("/")), { recursive: true });
      Deno.symlinkSync(`${env.base}/nowhere`, link);
      Deno.mkdirSync(folder, { recursive: true });
      let res: Awaited<ReturnType<typeof fetchObjects>> | undefined;
      await withRemote(env, {}, async (r) => {
        res = await fetchObjects(env.dst, r, objs, { backoffMs: 1, retries: 1 });
      });
      // each is either in the cache as the object now, or reported failed: never "fetched"
      // with something else under its name
      for (const o of objs) {
        const p = env.dst.pathFor(o.md5);
        const fetched = res!.transferred.some((t) => t.md5 === o.md5);
        const st = Deno.lstatSync(p);
        assertEquals(fetched, st.isFile, `${native ? "native" : "Deno"}: ${p}`);
        if (st.isFile) assertEquals(Deno.readFileSync(p)[0], o === objs[0] ? 1 : 2);
      }
      assertEquals(Deno.lstatSync(link).isFile, true, "the dangling link is replaced");
    } finally {
      setNativeLandForTests(true);
      cleanup(env);
    }
  }
});
