import { assert, assertEquals, assertRejects, assertStrictEquals } from "../../_rig/assert.ts";
import { hashFiles } from "../../../lib/hash/hash_files.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";
import { walkFiles } from "../../../lib/fs/walk.ts";
import { CairnError } from "../../../lib/errors.ts";

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
