/**
 * fixtures/dvc3/add_repo: committing its data into a fresh cache gives the
 * same object tree DVC 3.64 wrote (paths and bytes), and checking it out from
 * the fixture's own cache reproduces the workspace.
 */
import { assertEquals, assertStrictEquals } from "../_rig/assert.ts";
import { checkoutOutput, commitOutput } from "../../lib/cache/checkout.ts";
import { ObjectStore } from "../../lib/cache/object_store.ts";
import type { CacheContext } from "../../lib/cache/types.ts";
import { copyTree, files } from "./_tree.ts";
import { ADD_REPO as FIX, cacheContext, IMAGES_HASH } from "./_add_repo.ts";

Deno.test("add_repo: fresh commit reproduces DVC's cache tree byte for byte", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-addrepo-" });
  try {
    copyTree(`${FIX}/images`, `${root}/images`);
    Deno.copyFileSync(`${FIX}/data.csv`, `${root}/data.csv`);
    Deno.copyFileSync(`${FIX}/.dvcignore`, `${root}/.dvcignore`);
    const ctx = cacheContext(root);
    const img = await commitOutput(ctx, `${root}/images`);
    const csv = await commitOutput(ctx, `${root}/data.csv`);
    assertEquals(img.hash, IMAGES_HASH);
    assertEquals(csv.hash, {
      md5: "9e48a184411e31bcb3c18ca7efb897e6",
      size: 50,
      hashName: "md5",
    });
    assertEquals(files(`${root}/.dvc/cache`), files(`${FIX}/.dvc/cache`));
    for (const o of new ObjectStore(ctx.cacheDir).list()) {
      assertStrictEquals(Deno.statSync(o.path).mode! & 0o777, 0o444);
    }

    // Checkout from (a copy of) DVC's own cache into an empty workspace.
    const ws = `${root}/ws`;
    copyTree(`${FIX}/.dvc/cache`, `${root}/dvc_cache`);
    const fromDvc: CacheContext = { ...ctx, rootDir: ws, cacheDir: `${root}/dvc_cache` };
    const co = await checkoutOutput(fromDvc, { path: `${ws}/images`, hash: img.hash });
    assertStrictEquals(co.status, "added");
    assertStrictEquals(co.changes.length, 5);
    assertEquals(files(`${ws}/images`), files(`${FIX}/images`));
    ctx.state.close();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
