/**
 * The local remote's libc path (plugins/remote_local/_native_fs.ts: openat2
 * relative to dir fds) and its Deno path side by side, against the real
 * kernel: the same objects round trip either way, and a hostile remote folder
 * (symlinked fan-out folder or object, `..` keys) is refused either way with
 * nothing written or read outside. The `ffi` manifest kind is for built-ins
 * only.
 */
import "../../../plugins/builtin.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../../_rig/assert.ts";
import { ObjectStore } from "../../../lib/cache/object_store.ts";
import { fetchObjects, pushObjects, type TransferObject } from "../../../lib/cache/transfer.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";
import { openRemote, type Remote } from "../../../lib/plugin/remote.ts";
import { startPlugin } from "../../../lib/plugin/loader.ts";
import { validateManifest } from "../../../lib/plugin/manifest.ts";
import { PluginRegistry } from "../../../lib/plugin/registry.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { ROOT } from "../../_rig/rig.ts";

const MODES = [
  { name: "libc (openat2)", env: undefined },
  { name: "Deno (CAIRN_NO_NATIVE_REMOTE=1)", env: { CAIRN_NO_NATIVE_REMOTE: "1" } },
] as const;

interface World {
  root: string;
  store: ObjectStore;
  remoteDir: string;
  outside: string;
  remote: Remote;
  done(): Promise<void>;
}

async function world(env?: Record<string, string>): Promise<World> {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "cairn-native-remote-" }));
  const store = new ObjectStore(`${root}/cache`);
  const remoteDir = `${root}/remote`;
  const outside = `${root}/outside`;
  Deno.mkdirSync(remoteDir);
  Deno.mkdirSync(outside);
  const remote = await openRemote({ url: remoteDir }, {
    cacheDir: store.cacheDir,
    env: env ? { ...env, HOME: Deno.env.get("HOME") } : undefined,
  });
  return {
    root,
    store,
    remoteDir,
    outside,
    remote,
    async done() {
      await remote.close();
      Deno.removeSync(root, { recursive: true });
    },
  };
}

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel ? `${dir}/${rel}` : dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(r);
      else out.push(r);
    }
  };
  walk("");
  return out.sort();
}

function addObject(store: ObjectStore, data: Uint8Array): TransferObject {
  const md5 = md5Bytes(data);
  store.addBytes(data, md5);
  return { md5 };
}

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);
const key = (md5: string) => `files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`;

Deno.test("ffi permission: only built-in plugins may ask for it", async () => {
  const m = {
    name: "remote_native",
    apiVersion: 1,
    kind: "remote",
    schemes: ["nat"],
    permissions: { ffi: ["{libc}"] },
  };
  const err = assertThrows(
    () => validateManifest(m, "tools/remote_native/manifest.ts"),
    ConfigError,
  ) as Error;
  assertMatch(err.message, /tools\/remote_native\/manifest\.ts/);
  assertMatch(err.message, /'ffi' is only for cairn's built-in plugins/);
  assertEquals(validateManifest(m, "built-in", { builtin: true }).name, "remote_native");

  // A project plugin folder asking for it is refused when loaded, before any trust question.
  const dir = Deno.makeTempDirSync({ prefix: "cairn-ffi-plugin-" });
  try {
    Deno.writeTextFileSync(`${dir}/manifest.ts`, `export const manifest = ${JSON.stringify(m)};`);
    Deno.writeTextFileSync(`${dir}/mod.ts`, `export function create() { return {}; }`);
    await assertRejects(
      () => PluginRegistry.create({ paths: [dir] }),
      (e: Error) => e instanceof ConfigError && e.message.includes(dir) && /'ffi'/.test(e.message),
    );
    // And at start, should a spec get past the registry.
    const spec = {
      manifest: m as Parameters<typeof validateManifest>[0] & { name: string },
      module: new URL(`file://${dir}/mod.ts`).href,
      builtin: false,
      source: `${dir}/manifest.ts`,
    };
    await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => startPlugin(spec as any, { remote: { url: "nat://x" } }),
      (e: Error) =>
        e instanceof ConfigError && /'ffi' is only for cairn's built-in/.test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("local remote: libc is granted to the built-in (that library only); the opt-out gets the Deno path", async () => {
  for (const mode of MODES) {
    const w = await world(mode.env);
    try {
      if (mode.env) {
        assertEquals(w.remote.info.fastPath, undefined);
        assertEquals(w.remote.plugin.permissions.ffi, []);
      } else {
        assertEquals(w.remote.info.fastPath, "openat2");
        assertEquals(w.remote.plugin.permissions.ffi.length, 1);
        assertMatch(w.remote.plugin.permissions.ffi[0], /^\/.*\/libc\.so\.6$/);
      }
    } finally {
      await w.done();
    }
  }
});

Deno.test("local remote: a host without the FFI permission (mod.ts by a script) takes the Deno path", () => {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "cairn-noffi-" }));
  try {
    const script = `${dir}/script.ts`;
    Deno.writeTextFileSync(
      script,
      `import ${JSON.stringify(`file://${ROOT}/plugins/builtin.ts`)};
import { openRemote } from ${JSON.stringify(`file://${ROOT}/lib/plugin/remote.ts`)};
Deno.mkdirSync("${dir}/cache/files/md5/5d", { recursive: true });
Deno.writeTextFileSync("${dir}/cache/files/md5/5d/41402abc4b2a76b9719d911017c592", "hello");
const r = await openRemote({ url: "${dir}/remote" }, { cacheDir: "${dir}/cache" });
const res = await r.put([{ src: "${dir}/cache/files/md5/5d/41402abc4b2a76b9719d911017c592", key: "files/md5/5d/41402abc4b2a76b9719d911017c592" }]);
console.log(JSON.stringify({ fastPath: r.info.fastPath ?? null, ffi: r.plugin.permissions.ffi, ok: res[0].ok }));
await r.close();
`,
    );
    const out = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--no-check",
        "--unstable-worker-options",
        `--allow-read`,
        `--allow-write=${dir}`,
        "--allow-env",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const text = new TextDecoder().decode(out.stdout);
    assert(out.success, new TextDecoder().decode(out.stderr));
    assertEquals(JSON.parse(text), { fastPath: null, ffi: [], ok: true });
    assertEquals(
      Deno.readTextFileSync(`${dir}/remote/files/md5/5d/41402abc4b2a76b9719d911017c592`),
      "hello",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

for (const mode of MODES) {
  Deno.test(`local remote, ${mode.name}: objects of every size round trip, read-only; small ones as bytes`, async () => {
    const w = await world(mode.env);
    try {
      const objs = [0, 1, 100, 16 << 10, (16 << 10) + 1, 100 << 10, 3 << 20].map((n, i) =>
        addObject(w.store, bytes(n, i))
      );
      const up = await pushObjects(w.store, w.remote, objs);
      assertEquals(up.transferred.length, objs.length);
      for (const o of objs) {
        const st = Deno.lstatSync(`${w.remoteDir}/${key(o.md5)}`);
        assertEquals(st.mode! & 0o777, 0o444);
        assert(st.isFile);
      }
      assertEquals(tree(w.remoteDir).filter((p) => p.endsWith(".tmp")), []);
      // into an empty cache, through the same plugin
      Deno.removeSync(w.store.cacheDir, { recursive: true });
      const down = await fetchObjects(w.store, w.remote, objs);
      assertEquals(down.transferred.length, objs.length);
      assertEquals(down.failed, []);
      for (const [i, o] of objs.entries()) {
        const path = w.store.pathFor(o.md5);
        assertEquals(
          Deno.readFileSync(path),
          bytes([0, 1, 100, 16 << 10, (16 << 10) + 1, 100 << 10, 3 << 20][i], i),
        );
        assertEquals(Deno.statSync(path).mode! & 0o777, 0o444);
      }
      // pushing again over existing objects (rename replaces) still works
      const again = await w.remote.put([{
        src: w.store.pathFor(objs[2].md5),
        key: key(objs[2].md5),
      }]);
      assert(again[0].ok);

      const [a, b] = [objs[2].md5, "0".repeat(32)];
      assertEquals(await w.remote.exists([key(a), key(b), "files/md5/zz/none"]), [
        true,
        false,
        false,
      ]);
      await w.remote.writeBytes("runs/ab/entry", new TextEncoder().encode("run entry"));
      assertEquals(
        new TextDecoder().decode((await w.remote.readBytes("runs/ab/entry"))!),
        "run entry",
      );
      assertEquals(Deno.statSync(`${w.remoteDir}/runs/ab/entry`).mode! & 0o777, 0o444);
      assertEquals(await w.remote.readBytes("runs/ab/none"), null);
      assertEquals(await w.remote.readBytes("runs/zz/none"), null);
      assertEquals(await w.remote.list("runs/"), ["runs/ab/entry"]);
      const rm = await w.remote.remove(["runs/ab/entry", "runs/ab/none", "runs/zz/none"]);
      assert(rm.every((r) => r.ok));
      assertEquals(await w.remote.list("runs/"), []);
    } finally {
      await w.done();
    }
  });

  Deno.test(`local remote, ${mode.name}: a symlinked fan-out folder or object leading outside is refused`, async () => {
    const w = await world(mode.env);
    try {
      const o = addObject(w.store, bytes(2000, 1));
      const fan = `${w.remoteDir}/files/md5/${o.md5.slice(0, 2)}`;
      Deno.mkdirSync(`${w.remoteDir}/files/md5`, { recursive: true });
      Deno.symlinkSync(w.outside, fan);
      // upload: refused, nothing outside
      const up = await w.remote.put([{ src: w.store.pathFor(o.md5), key: key(o.md5) }]);
      assert(!up[0].ok);
      if (!up[0].ok) {
        assert(up[0].error.fatal);
        assertMatch(up[0].error.message, new RegExp(`'${fan}' is a symlink`));
      }
      assertEquals(tree(w.outside), []);
      // download of an object that exists only outside, through the link: refused
      Deno.writeFileSync(`${w.outside}/${o.md5.slice(2)}`, bytes(2000, 1));
      const tmp = `${w.store.cacheDir}/files/md5/${o.md5.slice(0, 2)}/.dl.tmp`;
      Deno.mkdirSync(tmp.slice(0, tmp.lastIndexOf("/")), { recursive: true });
      for (const inlineMax of [0, 1 << 20]) {
        const got = await w.remote.get([{ key: key(o.md5), dest: tmp }], { inlineMax });
        assert(!got[0].ok, "read through a symlinked folder");
        if (!got[0].ok) assertMatch(got[0].error.message, /is a symlink/);
      }
      await assertRejects(() => w.remote.exists([key(o.md5)]));
      await assertRejects(() => w.remote.readBytes(key(o.md5)));
      await assertRejects(() => w.remote.writeBytes(`${key(o.md5)}x`, new Uint8Array(3)));
      assert(!(await w.remote.remove([key(o.md5)]))[0].ok);
      assertEquals(tree(w.outside), [o.md5.slice(2)]);

      // an object that is itself a link to a host file: not read, not removed through
      Deno.removeSync(fan);
      Deno.mkdirSync(fan);
      const victim = `${w.outside}/${o.md5.slice(2)}`;
      Deno.symlinkSync(victim, `${fan}/${o.md5.slice(2)}`);
      for (const inlineMax of [0, 1 << 20]) {
        const got = await w.remote.get([{ key: key(o.md5), dest: tmp }], { inlineMax });
        assert(!got[0].ok);
        if (!got[0].ok) assertMatch(got[0].error.message, /is a symlink/);
      }
      await assertRejects(() => w.remote.readBytes(key(o.md5)), Error, "symlink");
      await assertRejects(() => w.remote.exists([key(o.md5)]), Error, "symlink");
      assert(!(await w.remote.remove([key(o.md5)]))[0].ok);
      assert(Deno.lstatSync(`${fan}/${o.md5.slice(2)}`).isSymlink);
      assertEquals(Deno.readFileSync(victim), bytes(2000, 1));
      assert(!Deno.statSync(tmp.slice(0, tmp.lastIndexOf("/"))).isFile);
      assertEquals(tree(`${w.store.cacheDir}/files/md5/${o.md5.slice(0, 2)}`), [o.md5.slice(2)]);

      // the remote's top folder `files` a link: every write refused (a new plugin
      // instance: the Deno path trusts folders it has already checked, see the next test)
      Deno.removeSync(`${w.remoteDir}/files`, { recursive: true });
      Deno.symlinkSync(w.outside, `${w.remoteDir}/files`);
      const fresh = await openRemote({ url: w.remoteDir }, {
        cacheDir: w.store.cacheDir,
        env: mode.env ? { ...mode.env, HOME: Deno.env.get("HOME") } : undefined,
      });
      try {
        const before = tree(w.outside);
        await assertRejects(
          () => fresh.writeBytes("files/x", new Uint8Array(1)),
          Error,
          "symlink",
        );
        const up2 = await fresh.put([{ src: w.store.pathFor(o.md5), key: key(o.md5) }]);
        assert(!up2[0].ok);
        assertEquals(tree(w.outside), before);
      } finally {
        await fresh.close();
      }
    } finally {
      await w.done();
    }
  });

  Deno.test(`local remote, ${mode.name}: a FIFO planted as an object fails its item, never blocks`, async () => {
    const w = await world(mode.env);
    try {
      const md5 = "f".repeat(32);
      Deno.mkdirSync(`${w.remoteDir}/files/md5/ff`, { recursive: true });
      const fifo = `${w.remoteDir}/${key(md5)}`;
      const mk = new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
      assert(mk.success, "mkfifo");
      const dest = `${w.store.cacheDir}/files/md5/ff/.dl.tmp`;
      Deno.mkdirSync(`${w.store.cacheDir}/files/md5/ff`, { recursive: true });
      for (const inlineMax of [0, 1 << 20]) {
        const got = await w.remote.get([{ key: key(md5), dest }], { inlineMax });
        assert(!got[0].ok);
        if (!got[0].ok) assertMatch(got[0].error.message, /is not a file/);
      }
      await assertRejects(() => w.remote.readBytes(key(md5)), Error, "not a file");
      assertEquals(await w.remote.exists([key(md5)]), [false]);
    } finally {
      await w.done();
    }
  });

  Deno.test(`local remote, ${mode.name}: '..' keys are refused, nothing lands outside`, async () => {
    const w = await world(mode.env);
    try {
      const o = addObject(w.store, bytes(500, 3));
      const evil = ["../outside/x", "files/../../outside/y", "files/md5/../../../outside/z"];
      const up = await w.remote.put(evil.map((k) => ({ src: w.store.pathFor(o.md5), key: k })));
      assert(up.every((r) => !r.ok));
      for (const k of evil) {
        await assertRejects(() => w.remote.writeBytes(k, new Uint8Array(2)));
        await assertRejects(() => w.remote.readBytes(k));
        await assertRejects(() => w.remote.exists([k]));
      }
      Deno.writeTextFileSync(`${w.outside}/keep`, "keep");
      const rm = await w.remote.remove(["../outside/keep"]);
      assert(!rm[0].ok);
      const got = await w.remote.get([{ key: "../outside/keep", dest: `${w.root}/cache/t.tmp` }], {
        inlineMax: 1 << 20,
      });
      assert(!got[0].ok);
      assertEquals(tree(w.outside), ["keep"]);
      assertEquals(tree(w.remoteDir), []);
    } finally {
      await w.done();
    }
  });
}

Deno.test("local remote, libc: a folder swapped for a symlink after it was used is refused too", async () => {
  // The Deno path checks a folder once (lstat) and then trusts its path; the libc path
  // holds folders as fds and reaches them again only by openat2, which refuses the link.
  const w = await world();
  try {
    assertEquals(w.remote.info.fastPath, "openat2");
    const o = addObject(w.store, bytes(700, 2));
    await pushObjects(w.store, w.remote, [o]);
    await w.remote.writeBytes("runs/aa/one", new Uint8Array(1));
    for (const dir of ["files", "runs"]) {
      Deno.renameSync(`${w.remoteDir}/${dir}`, `${w.root}/moved-${dir}`);
      Deno.removeSync(`${w.root}/moved-${dir}`, { recursive: true });
      Deno.symlinkSync(w.outside, `${w.remoteDir}/${dir}`);
    }
    await assertRejects(
      () => w.remote.writeBytes("runs/aa/two", new Uint8Array(1)),
      Error,
      "symlink",
    );
    const o2 = addObject(w.store, bytes(800, 2));
    const up = await w.remote.put([{ src: w.store.pathFor(o2.md5), key: key(o2.md5) }]);
    assert(!up[0].ok);
    if (!up[0].ok) assertMatch(up[0].error.message, /files' is a symlink/);
    assertEquals(tree(w.outside), []);
  } finally {
    await w.done();
  }
});

Deno.test("local remote, libc: the plugin itself keeps cache paths inside the cache (kernel-enforced)", async () => {
  // The host checks cache paths before handing them over; here the plugin is called directly
  // with paths through a symlink inside the cache, as a host that forgot would send them.
  const w = await world();
  try {
    assertEquals(w.remote.info.fastPath, "openat2");
    const o = addObject(w.store, bytes(40 << 10, 5));
    await pushObjects(w.store, w.remote, [o]);
    Deno.symlinkSync(w.outside, `${w.store.cacheDir}/link`);
    Deno.writeFileSync(`${w.outside}/secret`, bytes(10, 9));
    const got = await w.remote.plugin.call<{ ok: boolean; error?: { message: string } }[]>("get", [
      [{ key: key(o.md5), dest: `${w.store.cacheDir}/link/dl.tmp` }],
    ]);
    assert(!got[0].ok);
    assertMatch(got[0].error!.message, /link' is a symlink/);
    const up = await w.remote.plugin.call<{ ok: boolean; error?: { message: string } }[]>("put", [
      [{
        src: `${w.store.cacheDir}/link/secret`,
        key: "files/md5/00/secret",
        size: 10,
        mode: 0o100444,
      }],
    ]);
    assert(!up[0].ok);
    assertMatch(up[0].error!.message, /link' is a symlink/);
    const up2 = await w.remote.plugin.call<{ ok: boolean }[]>("put", [
      [{ src: `${w.store.cacheDir}/../outside/secret`, key: "files/md5/00/secret2" }],
    ]);
    assert(!up2[0].ok);
    assertEquals(tree(w.outside), ["secret"]);
    assert(!tree(w.remoteDir).some((p) => p.includes("secret")));
  } finally {
    await w.done();
  }
});

Deno.test("local remote, both paths: a key with a NUL byte is refused, no other object is touched", async () => {
  for (const mode of MODES) {
    const w = await world(mode.env);
    try {
      await w.remote.writeBytes("runs/aa/ab", new Uint8Array([1]));
      await assertRejects(() => w.remote.writeBytes("runs/aa/ab\0cd", new Uint8Array([2])));
      const rm = await w.remote.remove(["runs/aa/ab\0cd"]);
      assert(!rm[0].ok, mode.name);
      assertEquals(await w.remote.readBytes("runs/aa/ab"), new Uint8Array([1]), mode.name);
      assertEquals(tree(w.remoteDir), ["runs/aa/ab"], mode.name);
    } finally {
      await w.done();
    }
  }
});

Deno.test("local remote, libc: a fan-out folder removed and made again by someone else is seen", async () => {
  // exists/remove reach objects through kept folder fds: one of a folder since removed
  // must not answer "absent" for the new folder's objects (cloud gc, shared remotes).
  const w = await world();
  try {
    assertEquals(w.remote.info.fastPath, "openat2");
    const o = addObject(w.store, bytes(900, 4));
    await pushObjects(w.store, w.remote, [o]);
    assertEquals(await w.remote.exists([key(o.md5)]), [true]);
    const dir = `${w.remoteDir}/files/md5/${o.md5.slice(0, 2)}`;
    const copy = Deno.readFileSync(`${dir}/${o.md5.slice(2)}`);
    Deno.removeSync(dir, { recursive: true });
    Deno.mkdirSync(dir);
    Deno.writeFileSync(`${dir}/${o.md5.slice(2)}`, copy);
    assertEquals(await w.remote.exists([key(o.md5)]), [true]);
    const rm = await w.remote.remove([key(o.md5)]);
    assert(rm[0].ok);
    assertEquals(tree(w.remoteDir), []);
  } finally {
    await w.done();
  }
});

Deno.test("local remote, libc: a remote folder replaced by a symlink is refused, nothing lands there", async () => {
  const w = await world();
  try {
    assertEquals(w.remote.info.fastPath, "openat2");
    const o = addObject(w.store, bytes(600, 6));
    await pushObjects(w.store, w.remote, [o]);
    Deno.removeSync(w.remoteDir, { recursive: true });
    Deno.symlinkSync(w.outside, w.remoteDir);
    const o2 = addObject(w.store, bytes(650, 6));
    const up = await w.remote.put([{ src: w.store.pathFor(o2.md5), key: key(o2.md5) }]);
    assert(!up[0].ok);
    if (!up[0].ok) assertMatch(up[0].error.message, /is a symlink/);
    assertEquals(tree(w.outside), []);
  } finally {
    await w.done();
  }
});

Deno.test("ffi permission: a user grant cannot give it to a project plugin", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-ffi-grant-" });
  try {
    const m = {
      name: "remote_plain",
      apiVersion: 1,
      kind: "remote",
      schemes: ["pl"],
      permissions: {},
    };
    const spec = {
      manifest: m,
      module: new URL(`file://${dir}/mod.ts`).href,
      builtin: false,
      source: `${dir}/manifest.ts`,
    };
    await assertRejects(
      () =>
        // deno-lint-ignore no-explicit-any
        startPlugin(spec as any, {
          remote: { url: "pl://x" },
          grants: { ffi: ["/lib/libc.so.6"] },
        }),
      (e: Error) =>
        e instanceof ConfigError && /'ffi' is only for cairn's built-in/.test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
