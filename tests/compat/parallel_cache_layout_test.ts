/**
 * The parallel paths of add and checkout against files written by DVC 3.64
 * (fixtures/dvc3/add_repo): hashing + storing done by Workers gives DVC's
 * `.dir` and cache tree byte for byte, and linking done by Workers restores
 * the workspace from DVC's own cache. The knobs force every file through a
 * Worker (batches of one, no main-thread share), so the Worker code is what
 * is compared, not the inline path that small jobs take.
 */
import { assert, assertEquals, assertStrictEquals } from "../_rig/assert.ts";
import { checkoutOutput, commitOutput } from "../../lib/cache/checkout.ts";
import { ObjectStore } from "../../lib/cache/object_store.ts";
import { hashFiles, type ParallelTuning } from "../../lib/hash/hash_files.ts";
import { walkFiles } from "../../lib/fs/walk.ts";
import { copyTree, files } from "./_tree.ts";
import { linkSignature } from "../../lib/repo/workspace_links.ts";
import { ADD_REPO as FIX, cacheContext, IMAGES_HASH } from "./_add_repo.ts";

const WORKERS_ONLY: ParallelTuning = { minFiles: 1, batchFiles: 1, mainThread: false };

Deno.test("add_repo: Workers hashing and storing give DVC's .dir and cache tree", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-paradd-" });
  try {
    copyTree(`${FIX}/images`, `${root}/images`);
    Deno.copyFileSync(`${FIX}/.dvcignore`, `${root}/.dvcignore`);
    const ctx = cacheContext(root);
    // The engine itself reports that the Workers did the hashing.
    const walked = walkFiles(`${root}/images`, { ignore: ctx.ignore }).files;
    const probe = await hashFiles(walked, { tuning: WORKERS_ONLY });
    assertStrictEquals(probe.byWorkers, walked.length);

    const img = await commitOutput(ctx, `${root}/images`, { parallel: WORKERS_ONLY });
    assertEquals(img.hash, IMAGES_HASH);
    // data.csv is not added here: only the images objects + .dir are expected.
    const want = files(`${FIX}/.dvc/cache`);
    const csvObj = "files/md5/9e/48a184411e31bcb3c18ca7efb897e6";
    assert(want.delete(csvObj), "fixture lists data.csv's object");
    assertEquals(files(`${root}/.dvc/cache`), want);
    for (const o of new ObjectStore(ctx.cacheDir).list()) {
      assertStrictEquals(Deno.statSync(o.path).mode! & 0o777, 0o444);
    }
    // What commit returns for saveLink is what a fresh walk signs.
    assert(img.files !== undefined);
    assertStrictEquals(
      linkSignature(`${root}/images`, ctx, img.files),
      linkSignature(`${root}/images`, ctx),
    );
    ctx.state.close();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("add_repo: Workers linking restore the workspace from DVC's cache", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-parco-" });
  try {
    copyTree(`${FIX}/.dvc/cache`, `${root}/dvc_cache`);
    const ctx = cacheContext(root, `${root}/dvc_cache`);
    const hash = { ...IMAGES_HASH };
    const co = await checkoutOutput(ctx, { path: `${root}/images`, hash }, {
      parallel: WORKERS_ONLY,
    });
    assertStrictEquals(co.status, "added");
    assertStrictEquals(co.changes.length, 5);
    assertStrictEquals(co.linkType, "copy");
    assertEquals(files(`${root}/images`), files(`${FIX}/images`));
    // Workspace copies are writable files of their own, recorded in the state.
    const walked = walkFiles(`${root}/images`).files;
    for (const f of walked) {
      assertStrictEquals(f.mode & 0o200, 0o200);
      assertStrictEquals(f.nlink, 1);
    }
    assertStrictEquals(
      linkSignature(`${root}/images`, ctx, co.files),
      linkSignature(`${root}/images`, ctx),
    );
    // A second checkout finds everything in place.
    const co2 = await checkoutOutput(ctx, { path: `${root}/images`, hash }, {
      parallel: WORKERS_ONLY,
    });
    assertStrictEquals(co2.status, "unchanged");
    assertStrictEquals(co2.unchanged, 5);
    ctx.state.close();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("parallel checkout: a writable object is verified first, a corrupt one reported", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-parco-" });
  try {
    copyTree(`${FIX}/.dvc/cache`, `${root}/dvc_cache`);
    const store = new ObjectStore(`${root}/dvc_cache`);
    const listing = store.readDirObject(IMAGES_HASH.md5);
    const [good, bad] = [listing[0], listing[1]];
    // one object made writable (content intact), one writable and changed
    Deno.chmodSync(store.pathFor(good.md5), 0o644);
    Deno.chmodSync(store.pathFor(bad.md5), 0o644);
    Deno.writeTextFileSync(store.pathFor(bad.md5), "not what the name says\n");
    const ctx = cacheContext(root, `${root}/dvc_cache`);
    const hash = { ...IMAGES_HASH };
    const co = await checkoutOutput(ctx, { path: `${root}/images`, hash }, {
      parallel: WORKERS_ONLY,
    });
    assertStrictEquals(co.status, "missing");
    assertEquals(co.missing, [bad.relpath]);
    assertEquals(co.corrupt.map((c) => c.md5), [bad.md5]);
    assert(!store.has(bad.md5), "the corrupt object is removed");
    assertStrictEquals(Deno.statSync(store.pathFor(good.md5)).mode! & 0o777, 0o444);
    const want = files(`${FIX}/images`);
    want.delete(bad.relpath);
    assertEquals(files(`${root}/images`), want);
    ctx.state.close();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
