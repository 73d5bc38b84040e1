/**
 * The local-folder remote as the transfer engine uses it: existence comes
 * from one listing, not a check per object; an upload replaces (never writes
 * through) a symlink planted at the object's final name.
 */
import "../../../plugins/builtin.ts";
import { assert, assertEquals } from "../../_rig/assert.ts";
import { ObjectStore } from "../../../lib/cache/object_store.ts";
import {
  fetchObjects,
  pushObjects,
  remoteHas,
  type TransferObject,
} from "../../../lib/cache/transfer.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";
import { openRemote, type Remote } from "../../../lib/plugin/remote.ts";

function counting(remote: Remote): { exists: number; list: number } {
  const calls = { exists: 0, list: 0 };
  const exists = remote.exists.bind(remote);
  const list = remote.list.bind(remote);
  remote.exists = (keys) => {
    calls.exists++;
    return exists(keys);
  };
  remote.list = (prefix) => {
    calls.list++;
    return list(prefix);
  };
  return calls;
}

function objects(store: ObjectStore, n: number, seed: number): TransferObject[] {
  const out: TransferObject[] = [];
  for (let i = 0; i < n; i++) {
    const data = new TextEncoder().encode(`object ${seed} ${i}\n`);
    const md5 = md5Bytes(data);
    store.addBytes(data, md5);
    out.push({ md5 });
  }
  return out;
}

Deno.test("local remote: which objects it has comes from a listing, not one check per object", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-local-remote-" });
  const store = new ObjectStore(`${root}/cache`);
  const remote = await openRemote({ url: `${root}/remote` }, { cacheDir: store.cacheDir });
  try {
    const pushed = objects(store, 300, 1);
    const notPushed = objects(store, 300, 2);
    const r = await pushObjects(store, remote, pushed);
    assertEquals(r.transferred.length, 300);

    const calls = counting(remote);
    const found = await remoteHas(remote, [...pushed, ...notPushed]);
    assertEquals(calls.exists, 0);
    assert(calls.list >= 1);
    assertEquals([...found].sort(), pushed.map((o) => o.md5).sort());

    // A second push moves nothing and still asks no per-object questions.
    const again = await pushObjects(store, remote, pushed);
    assertEquals(again.transferred.length, 0);
    assertEquals(again.present.length, 300);
    assertEquals(calls.exists, 0);
  } finally {
    await remote.close();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("local remote: an upload replaces a symlink planted at the object's name, never writes through it", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-local-remote-" });
  const store = new ObjectStore(`${root}/cache`);
  const outside = `${root}/outside.txt`;
  Deno.writeTextFileSync(outside, "not to be overwritten\n");
  const [obj] = objects(store, 1, 3);
  const key = `files/md5/${obj.md5.slice(0, 2)}/${obj.md5.slice(2)}`;
  Deno.mkdirSync(`${root}/remote/files/md5/${obj.md5.slice(0, 2)}`, { recursive: true });
  Deno.symlinkSync(outside, `${root}/remote/${key}`);
  const remote = await openRemote({ url: `${root}/remote` }, { cacheDir: store.cacheDir });
  try {
    const [res] = await remote.put([{ src: store.pathFor(obj.md5), key }]);
    assert(res.ok, JSON.stringify(res));
    assertEquals(Deno.readTextFileSync(outside), "not to be overwritten\n");
    const st = Deno.lstatSync(`${root}/remote/${key}`);
    assert(st.isFile && !st.isSymlink);
    assertEquals(md5Bytes(Deno.readFileSync(`${root}/remote/${key}`)), obj.md5);
  } finally {
    await remote.close();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("local remote: a large transfer runs two plugin instances (one per core), and every object arrives intact", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-local-remote-" });
  const store = new ObjectStore(`${root}/cache`);
  const remote = await openRemote({ url: `${root}/remote` }, { cacheDir: store.cacheDir });
  const back = new ObjectStore(`${root}/back`);
  const remote2 = await openRemote({ url: `${root}/remote` }, { cacheDir: back.cacheDir });
  try {
    const objs = objects(store, 2500, 4);
    const want = Math.min(2, navigator.hardwareConcurrency || 1); // one per core
    assertEquals(remote.instances, 1);
    const up = await pushObjects(store, remote, objs);
    assertEquals(up.transferred.length, 2500);
    assertEquals(remote.instances, want);
    const down = await fetchObjects(back, remote2, objs);
    assertEquals(down.transferred.length, 2500);
    assertEquals(down.failed, []);
    assertEquals(remote2.instances, want);
    for (const o of objs) assertEquals(md5Bytes(Deno.readFileSync(back.pathFor(o.md5))), o.md5);
  } finally {
    await remote.close();
    await remote2.close();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("local remote: small downloads come back as bytes, are verified in memory and land read-only; a corrupted one leaves nothing", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-local-remote-" });
  const store = new ObjectStore(`${root}/cache`);
  const remote = await openRemote({ url: `${root}/remote` }, { cacheDir: store.cacheDir });
  const back = new ObjectStore(`${root}/back`);
  const remote2 = await openRemote({ url: `${root}/remote` }, { cacheDir: back.cacheDir });
  try {
    const small = objects(store, 3, 5);
    const bigData = new Uint8Array(300 << 10).map((_, i) => (i * 7) & 0xff);
    const big = { md5: md5Bytes(bigData) };
    store.addBytes(bigData, big.md5);
    const empty = { md5: md5Bytes(new Uint8Array(0)) };
    store.addBytes(new Uint8Array(0), empty.md5);
    const all = [...small, big, empty];
    assertEquals((await pushObjects(store, remote, all)).transferred.length, 5);

    // the plugin: bytes up to inlineMax, a file at `dest` above it
    const keyOf = (md5: string) => `files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`;
    const tmp = `${back.cacheDir}/t`; // inside the plugin's grant
    Deno.mkdirSync(tmp, { recursive: true });
    const res = await remote2.get([
      { key: keyOf(small[0].md5), dest: `${tmp}/a` },
      { key: keyOf(big.md5), dest: `${tmp}/b` },
    ], { inlineMax: 64 << 10 });
    assert(res[0].ok && res[0].data, JSON.stringify(res[0]));
    assertEquals(md5Bytes(res[0].data), small[0].md5);
    assert(res[1].ok && !res[1].data, JSON.stringify(res[1]));
    assertEquals(md5Bytes(Deno.readFileSync(`${tmp}/b`)), big.md5);
    assertEquals([...Deno.readDirSync(tmp)].map((e) => e.name), ["b"]);
    Deno.removeSync(tmp, { recursive: true });

    // a corrupted small object on the remote: reported, nothing of it in the cache
    const bad = small[1];
    const badPath = `${root}/remote/${keyOf(bad.md5)}`;
    Deno.chmodSync(badPath, 0o644);
    Deno.writeTextFileSync(badPath, "not what the md5 says\n");
    const down = await fetchObjects(back, remote2, all);
    assertEquals(down.transferred.length, 4);
    assertEquals(down.failed.map((f) => f.md5), [bad.md5]);
    assertEquals(down.corrupt.map((c) => [c.md5, c.source]), [[bad.md5, "remote"]]);
    for (const o of all.filter((o) => o !== bad)) {
      const p = back.pathFor(o.md5);
      assertEquals(md5Bytes(Deno.readFileSync(p)), o.md5);
      assertEquals(Deno.statSync(p).mode! & 0o777, 0o444);
    }
    const badDir = back.pathFor(bad.md5).replace(/\/[^/]+$/, "");
    const left = (() => {
      try {
        return [...Deno.readDirSync(badDir)].map((e) => e.name);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return [];
        throw err;
      }
    })();
    assertEquals(left.filter((n) => n.startsWith(bad.md5.slice(2)) || n.endsWith(".tmp")), []);
  } finally {
    await remote.close();
    await remote2.close();
    Deno.removeSync(root, { recursive: true });
  }
});
