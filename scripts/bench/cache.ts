/**
 * Small-file trees: N x 1 KiB files in 100 folders (100k; quick: 5k).
 *  - add (hash + store in the cache)  vs  find | xargs -P2 md5sum
 *  - no-op status (state index: stat only)  vs  find
 *  - checkout after rm -rf  vs  cp -r
 */
import type { BenchOptions, BenchRow } from "../bench.ts";
import { checkoutOutput, commitOutput } from "../../lib/cache/checkout.ts";
import type { CacheContext } from "../../lib/cache/types.ts";
import { DvcIgnore } from "../../lib/fs/dvcignore.ts";
import { hashDir } from "../../lib/hash/hash_path.ts";
import { StateIndex } from "../../lib/hash/state.ts";
import { fillRandom, shell, timeIt, timeShell } from "./_util.ts";

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const n = opts.quick ? 5_000 : 100_000;
  const root = opts.workDir;
  const data = `${root}/data`;
  Deno.mkdirSync(`${root}/.dvc/tmp`, { recursive: true });
  const buf = new Uint8Array(1024);
  for (let d = 0; d < 100; d++) Deno.mkdirSync(`${data}/d${d}`, { recursive: true });
  for (let i = 0; i < n; i++) {
    fillRandom(buf, i + 1);
    Deno.writeFileSync(`${data}/d${i % 100}/f${i}`, buf);
  }
  await new Promise((r) => setTimeout(r, 50)); // past the racy-mtime window
  await shell(`find '${data}' -type f -exec cat {} + > /dev/null`); // warm cache

  const state = StateIndex.forRepo(`${root}/.dvc`);
  const ctx: CacheContext = {
    rootDir: root,
    cacheDir: `${root}/.dvc/cache`,
    linkTypes: ["reflink", "copy"],
    state,
    ignore: new DvcIgnore(root),
  };
  const rows: BenchRow[] = [];
  const row = (name: string, v: number, ref: string, rv: number, target: string) =>
    rows.push({
      name,
      value: v,
      unit: "s",
      reference: ref,
      referenceValue: rv,
      ratio: v / rv,
      target,
    });

  const refAdd = await timeShell(
    `find '${data}' -type f -print0 | xargs -0 -P2 -n 2000 md5sum > /dev/null`,
  );
  let hash!: Awaited<ReturnType<typeof commitOutput>>["hash"];
  const add = await timeIt(async () => {
    hash = (await commitOutput(ctx, data)).hash;
  });
  row(`add ${n} x 1 KiB`, add, "find|xargs -P2 md5sum (writes nothing)", refAdd, "<= 8x");

  const refStatus = await timeShell(`find '${data}' -type f > /dev/null`);
  let fromState = 0;
  const status = await timeIt(async () => {
    // a fresh handle, as a new `cairn status` process would open
    const s = StateIndex.forRepo(`${root}/.dvc`);
    fromState = (await hashDir(data, { state: s, ignore: ctx.ignore })).fromState;
    s.close();
  });
  if (fromState !== n) throw new Error(`no-op status read ${n - fromState} files`);
  row(`no-op status ${n} files`, status, "find (no stat)", refStatus, "<= 6x");

  const refCheckout = await timeShell(`cp -r '${data}' '${root}/copy'`);
  await shell(`rm -rf '${root}/copy' '${data}'`);
  const checkout = await timeIt(() => checkoutOutput(ctx, { path: data, hash }));
  row(`checkout ${n} files after rm -rf`, checkout, "cp -r", refCheckout, "<= 2.5x");
  const noop = await timeIt(() => checkoutOutput(ctx, { path: data, hash }));
  row(`no-op checkout ${n} files`, noop, "find (no stat)", refStatus, "<= 6x");
  state.close();
  await shell(`chmod -R u+w '${root}' && rm -rf '${root}'`);
  return rows;
}

if (import.meta.main) {
  const rows = await run({ quick: !Deno.args.includes("--full"), workDir: Deno.makeTempDirSync() });
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(36)} ${r.value.toFixed(3)}s  ${r.reference} ${
        r.referenceValue!.toFixed(3)
      }s  ratio ${r.ratio!.toFixed(2)}x`,
    );
  }
}
