/**
 * lib/hash/_native_store.ts (hash + store of small files through libc): the
 * objects it writes are the bytes of the file, named by their md5, mode 0444,
 * with no temp file left; whatever it cannot do goes to the Deno path, which
 * stores or throws the error naming the file.
 */
import { assert, assertEquals, assertThrows } from "../../_rig/assert.ts";
import { hashAndStore } from "../../../lib/hash/_hash_store.ts";
import {
  nativeMd5FileOverlapped,
  nativeStore,
  nativeStoreAvailable,
  setLinkModeForTests,
} from "../../../lib/hash/_native_store.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";
import { tempPathFor } from "../../../lib/fs/atomic_write.ts";
import { CairnError } from "../../../lib/errors.ts";
import { removeDir } from "../../_rig/rig.ts";

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Every name under `dir` (recursive), relative. */
function names(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) out.push(...names(`${dir}/${e.name}`, `${prefix}${e.name}/`));
    else out.push(prefix + e.name);
  }
  return out.sort();
}

const hooks = (_root: string, seen: Set<string>) => ({
  present: (dir: string, rest: string) => {
    Deno.mkdirSync(dir, { recursive: true });
    return seen.has(`${dir}/${rest}`);
  },
  stored: (dir: string, rest: string) => void seen.add(`${dir}/${rest}`),
  tempFor: tempPathFor,
  plainOpenIsReadOnly: () => (Deno.umask() & 0o444) === 0,
});

Deno.test("native store: available on Linux (the path add takes is the one tested)", () => {
  if (Deno.build.os === "linux") assert(nativeStoreAvailable());
});

for (const mode of [undefined, "proc", "off"] as const) {
  Deno.test(`native store (${mode ?? "as learned"}): objects hold the file's bytes under their md5, 0444, no temp left`, () => {
    if (!nativeStoreAvailable()) return;
    setLinkModeForTests(mode);
    const dir = Deno.makeTempDirSync({ prefix: "cairn-nstore-" });
    try {
      const root = `${dir}/cache/files/md5`;
      const seen = new Set<string>();
      const h = hooks(root, seen);
      // 0, small, the first buffer's size and one more (it grows), 1 MiB (the limit)
      const sizes = [0, 1, 1023, 65535, 65536, 65537, 300_000, 1 << 20];
      const want: string[] = [];
      sizes.forEach((n, i) => {
        const data = bytes(n, i + 1);
        Deno.mkdirSync(`${dir}/ws/d${i % 3}`, { recursive: true });
        const path = `${dir}/ws/d${i % 3}/f${i}`;
        Deno.writeFileSync(path, data);
        const r = nativeStore(path, n, root, h);
        assert(r, `stored natively: ${n} bytes`);
        assertEquals(r, { md5: md5Bytes(data), stored: true });
        const obj = `${root}/${r.md5.slice(0, 2)}/${r.md5.slice(2)}`;
        assertEquals(Deno.readFileSync(obj), data);
        assertEquals(Deno.statSync(obj).mode! & 0o777, 0o444);
        want.push(`${r.md5.slice(0, 2)}/${r.md5.slice(2)}`);
        // the same content again: found, not written
        assertEquals(nativeStore(path, n, root, h), { md5: r.md5, stored: false });
      });
      assertEquals(names(root), want.sort());
    } finally {
      setLinkModeForTests(undefined);
      removeDir(dir);
    }
  });
}

Deno.test("native store: a file grown since its size was taken is stored whole (Deno path)", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-nstore-" });
  try {
    const root = `${dir}/cache/files/md5`;
    const data = bytes(5000, 7);
    Deno.writeFileSync(`${dir}/f`, data);
    if (nativeStoreAvailable()) {
      assertEquals(nativeStore(`${dir}/f`, 4000, root, hooks(root, new Set())), undefined);
    }
    const r = hashAndStore(`${dir}/f`, 4000, { root });
    assertEquals(r, { md5: md5Bytes(data), stored: true });
    assertEquals(Deno.readFileSync(`${root}/${r.md5.slice(0, 2)}/${r.md5.slice(2)}`), data);
  } finally {
    removeDir(dir);
  }
});

Deno.test("native store: what it cannot do is the Deno path's error naming the file", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-nstore-" });
  try {
    const root = `${dir}/cache/files/md5`;
    Deno.mkdirSync(`${dir}/adir`);
    // a directory where a file was walked: read fails (EISDIR)
    if (nativeStoreAvailable()) {
      assertEquals(nativeStore(`${dir}/adir`, 10, root, hooks(root, new Set())), undefined);
    }
    const e1 = assertThrows(() => hashAndStore(`${dir}/adir`, 10, { root }), Error) as Error;
    assert(e1.message.includes(`${dir}/adir`), e1.message);
    // a vanished file
    const e2 = assertThrows(() => hashAndStore(`${dir}/gone`, 10, { root }), CairnError) as Error;
    assert(e2.message.includes(`${dir}/gone`), e2.message);
    // the fan-out dir is a file: the object cannot be written
    Deno.writeTextFileSync(`${dir}/f.txt`, "hello\n");
    Deno.mkdirSync(root, { recursive: true });
    Deno.writeTextFileSync(`${root}/b1`, "not a dir");
    const e3 = assertThrows(() => hashAndStore(`${dir}/f.txt`, 6, { root }), CairnError) as Error;
    assert(e3.message.includes(`${root}/b1`) || e3.message.includes(`${dir}/f.txt`), e3.message);
    assertEquals(names(root), ["b1"]);
  } finally {
    removeDir(dir);
  }
});

Deno.test("native overlapped md5: equals md5 of the bytes at chunk boundaries, progress sums to the size", async () => {
  if (!nativeStoreAvailable()) return;
  const dir = Deno.makeTempDirSync({ prefix: "cairn-nstore-" });
  try {
    for (const n of [0, 1, (4 << 20) - 1, 4 << 20, (4 << 20) + 1, 9 << 20]) {
      const data = bytes(n, n + 3);
      Deno.writeFileSync(`${dir}/f`, data);
      let seen = 0;
      const md5 = await nativeMd5FileOverlapped(`${dir}/f`, (k) => seen += k);
      assertEquals(md5, md5Bytes(data), `${n} bytes`);
      assertEquals(seen, n);
    }
    assertEquals(await nativeMd5FileOverlapped(`${dir}/missing`), undefined);
  } finally {
    removeDir(dir);
  }
});
