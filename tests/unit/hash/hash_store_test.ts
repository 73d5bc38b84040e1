/** lib/hash/_hash_store.ts in a long-lived process: the cache removed between two stores. */
import { assertEquals } from "../../_rig/assert.ts";
import { hashAndStore } from "../../../lib/hash/_hash_store.ts";
import { removeDir } from "../../_rig/rig.ts";

Deno.test("hashAndStore: stores again after the cache dir was removed under it", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-store-" });
  try {
    Deno.writeTextFileSync(`${dir}/f.txt`, "hello\n");
    const store = { root: `${dir}/cache/files/md5` };
    const obj = `${store.root}/b1/946ac92492d2347c6235b4d2611184`;
    assertEquals(hashAndStore(`${dir}/f.txt`, 6, store).stored, true);
    assertEquals(Deno.readTextFileSync(obj), "hello\n");
    assertEquals(hashAndStore(`${dir}/f.txt`, 6, store).stored, false);
    removeDir(`${dir}/cache`); // as `rm -rf .dvc/cache` between two library calls
    assertEquals(hashAndStore(`${dir}/f.txt`, 6, store), {
      md5: "b1946ac92492d2347c6235b4d2611184",
      stored: true,
    });
    assertEquals(Deno.readTextFileSync(obj), "hello\n");
    assertEquals(Deno.statSync(obj).mode! & 0o777, 0o444);
  } finally {
    removeDir(dir);
  }
});
