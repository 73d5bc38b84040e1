import { assertEquals, assertMatch, assertStrictEquals } from "../../_rig/assert.ts";
import { CONCURRENT_COPY_MIN, hashAndStoreLarge } from "../../../lib/hash/_hash_store.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";

/** Non-repeating bytes (so a wrong offset would change the md5). */
function fillRandom(buf: Uint8Array, seed: number): void {
  let x = seed;
  for (let i = 0; i < buf.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    buf[i] = x >>> 24;
  }
}

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) out.push(...files(`${dir}/${e.name}`));
    else out.push(`${dir}/${e.name}`);
  }
  return out;
}

Deno.test("hashAndStoreLarge: object stored under its md5 while hashing, no temp left", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const data = new Uint8Array(CONCURRENT_COPY_MIN + 12345);
    fillRandom(data, 7);
    Deno.writeFileSync(`${dir}/big`, data);
    const store = { root: `${dir}/cache/files/md5` };
    const want = md5Bytes(data);
    let seen = 0;
    const r = await hashAndStoreLarge(`${dir}/big`, data.length, store, (n) => (seen += n));
    assertEquals(r, { md5: want, stored: true });
    assertStrictEquals(seen, data.length);
    const obj = `${store.root}/${want.slice(0, 2)}/${want.slice(2)}`;
    assertStrictEquals(Deno.statSync(obj).mode! & 0o777, 0o444);
    assertStrictEquals(md5Bytes(Deno.readFileSync(obj)), want);
    // present already: not stored again, the copy is dropped
    assertEquals(await hashAndStoreLarge(`${dir}/big`, data.length, store), {
      md5: want,
      stored: false,
    });
    assertEquals(files(`${dir}/cache`), [obj]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("hashAndStoreLarge: a file changed while hashed is named by the copy's content", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const data = new Uint8Array(CONCURRENT_COPY_MIN + 4096);
    fillRandom(data, 9);
    Deno.writeFileSync(`${dir}/big`, data);
    const store = { root: `${dir}/cache/files/md5` };
    let touched = false;
    const r = await hashAndStoreLarge(`${dir}/big`, data.length, store, () => {
      if (touched) return;
      touched = true;
      Deno.writeFileSync(`${dir}/big`, new Uint8Array(10), { append: true });
    });
    const obj = `${store.root}/${r.md5.slice(0, 2)}/${r.md5.slice(2)}`;
    assertStrictEquals(md5Bytes(Deno.readFileSync(obj)), r.md5);
    assertEquals(files(`${dir}/cache`), [obj]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("hashAndStoreLarge: ENOSPC is a CairnError and leaves nothing behind", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const script = new URL("./_large_enospc_scenario.ts", import.meta.url).pathname;
    Deno.mkdirSync(`${dir}/mnt`);
    const out = await new Deno.Command("unshare", {
      args: [
        "-rm",
        "sh",
        "-c",
        `mount -t tmpfs -o size=1m tmpfs "$1" && "$2" run -A "$3" "$1"`,
        "sh",
        `${dir}/mnt`,
        Deno.execPath(),
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertStrictEquals(out.code, 0, text);
    assertMatch(text, /OK no space left on device/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
