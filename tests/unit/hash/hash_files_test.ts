import { assert, assertEquals, assertRejects, assertStrictEquals } from "../../_rig/assert.ts";
import { hashFiles } from "../../../lib/hash/hash_files.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";
import { walkFiles } from "../../../lib/fs/walk.ts";
import { CairnError } from "../../../lib/errors.ts";
import { StateIndex } from "../../../lib/hash/state.ts";

function tree(n: number, big = 0): string {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-hf-" });
  for (let i = 0; i < n; i++) Deno.writeTextFileSync(`${dir}/f${i}`, `content ${i}`);
  if (big) Deno.writeFileSync(`${dir}/big`, new Uint8Array(big).fill(3));
  return dir;
}

for (const workers of [1, 2, 3]) {
  Deno.test(`hashFiles with ${workers} thread(s): results, progress to completion`, async () => {
    const dir = tree(700, 10 << 20);
    try {
      const files = walkFiles(dir).files;
      const calls: number[][] = [];
      const r = await hashFiles(files, {
        workers,
        parallelMinFiles: 1,
        onProgress: (...a) => calls.push(a),
      });
      for (let i = 0; i < files.length; i++) {
        const want = files[i].rel === "big"
          ? md5Bytes(new Uint8Array(10 << 20).fill(3))
          : md5Bytes(Deno.readTextFileSync(files[i].abs));
        assertStrictEquals(r.md5s[i], want);
      }
      const last = calls[calls.length - 1];
      const total = files.reduce((s, f) => s + f.size, 0);
      assertEquals(last, [files.length, files.length, total, total]);
      for (let k = 1; k < calls.length; k++) {
        assert(calls[k][0] >= calls[k - 1][0] && calls[k][2] >= calls[k - 1][2]);
      }
      assertStrictEquals(r.hashed.length, files.length);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("hashFiles: a file vanishing mid-way is a CairnError (inline and workers)", async () => {
  const dir = tree(1100);
  try {
    const files = walkFiles(dir).files;
    Deno.removeSync(files[1050].abs);
    for (const workers of [1, 2]) {
      await assertRejects(
        () => hashFiles(files, { workers, parallelMinFiles: 1 }),
        (e: unknown) => e instanceof CairnError && /does not exist/.test(e.message),
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("hashFiles in parallel with a store: every file recorded in the state (saved in chunks while hashing), objects stored", async () => {
  // > STATE_CHUNK (2048) files, so the state is written in several chunks during the job
  const dir = tree(5000);
  const db = Deno.makeTempDirSync({ prefix: "cairn-hf-state-" });
  try {
    // stamps older than the racy window, as after a real edit-then-add
    const old = new Date(Date.now() - 60_000);
    for (const e of Deno.readDirSync(dir)) Deno.utimeSync(`${dir}/${e.name}`, old, old);
    const files = walkFiles(dir).files;
    const state = StateIndex.open(`${db}/state.db`);
    const store = { root: `${db}/cache` };
    const r = await hashFiles(files, { workers: 2, parallelMinFiles: 1, state, store });
    assertStrictEquals(r.fromState, 0);
    assertStrictEquals(r.stored, files.length);
    const again = await hashFiles(files, { workers: 2, parallelMinFiles: 1, state, store });
    assertStrictEquals(again.fromState, files.length);
    assertEquals(again.md5s, r.md5s);
    for (const k of [0, 2047, 2048, 4999]) {
      const m = r.md5s[k];
      assertEquals(
        Deno.readTextFileSync(`${db}/cache/${m.slice(0, 2)}/${m.slice(2)}`),
        Deno.readTextFileSync(files[k].abs),
      );
    }
    state.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(db, { recursive: true });
  }
});
