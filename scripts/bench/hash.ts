/**
 * Hashing a large file: cairn's md5 (node:crypto, 1 MiB sync reads) against
 * `md5sum`, both on a warm page cache. 1 GiB (quick: 128 MiB).
 */
import type { BenchOptions, BenchRow } from "../bench.ts";
import { md5File } from "../../lib/hash/md5.ts";
import { fillRandom, shell, timeIt, timeShell } from "./_util.ts";

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const mib = opts.quick ? 128 : 1024;
  Deno.mkdirSync(opts.workDir, { recursive: true });
  const path = `${opts.workDir}/big.bin`;
  const chunk = new Uint8Array(1 << 20);
  const f = Deno.openSync(path, { write: true, create: true, truncate: true });
  for (let i = 0; i < mib; i++) {
    fillRandom(chunk, i + 1);
    let off = 0;
    while (off < chunk.length) off += f.writeSync(chunk.subarray(off));
  }
  f.close();
  await shell(`cat '${path}' > /dev/null`); // warm the page cache for both
  const ref = Math.min(
    await timeShell(`md5sum '${path}'`),
    await timeShell(`md5sum '${path}'`),
  );
  const ours = Math.min(
    await timeIt(() => md5File(path)),
    await timeIt(() => md5File(path)),
  );
  Deno.removeSync(path);
  return [{
    name: `hash ${mib} MiB file`,
    value: ours,
    unit: "s",
    reference: "md5sum",
    referenceValue: ref,
    ratio: ours / ref,
    target: "<= 1.3x",
  }];
}

if (import.meta.main) {
  console.log(await run({ quick: true, workDir: Deno.makeTempDirSync() }));
}
