/**
 * One-off measurement behind PARALLEL_MIN_FILES / PARALLEL_MIN_BYTES in
 * lib/hash/hash_files.ts: inline vs 2 Workers for small-file trees and for
 * a few large files. Not collected by `deno task bench` (leading underscore).
 */
import { hashFiles } from "../../lib/hash/hash_files.ts";
import { walkFiles } from "../../lib/fs/walk.ts";
import { fillRandom } from "./_util.ts";

const base = Deno.makeTempDirSync({ prefix: "cairn-thr-" });
const buf = new Uint8Array(1024);
const best = async (fn: () => Promise<unknown>) => {
  let b = Infinity;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    await fn();
    b = Math.min(b, performance.now() - t);
  }
  return b;
};
for (const n of [2000, 8000, 16000, 32000]) {
  const dir = `${base}/n${n}`;
  for (let i = 0; i < n; i++) {
    if (i % 100 === 0) Deno.mkdirSync(`${dir}/d${i / 100}`, { recursive: true });
    fillRandom(buf, i + 1);
    Deno.writeFileSync(`${dir}/d${Math.floor(i / 100)}/f${i}`, buf);
  }
  const files = walkFiles(dir).files;
  const inline = await best(() => hashFiles(files, { workers: 1 }));
  const par = await best(() => hashFiles(files, { workers: 2, parallelMinFiles: 1 }));
  console.log(`${n} x 1KiB: inline ${inline.toFixed(0)} ms, 2 workers ${par.toFixed(0)} ms`);
}
for (const mib of [16, 64, 128, 256]) {
  const dir = `${base}/m${mib}`;
  Deno.mkdirSync(dir);
  const big = new Uint8Array(mib << 19);
  fillRandom(big, mib);
  Deno.writeFileSync(`${dir}/a`, big);
  Deno.writeFileSync(`${dir}/b`, big);
  const files = walkFiles(dir).files;
  const inline = await best(() => hashFiles(files, { workers: 1 }));
  const par = await best(() =>
    hashFiles(files, { workers: 2, parallelMinFiles: 1, parallelMinBytes: 0 })
  );
  console.log(`2 x ${mib / 2} MiB: inline ${inline.toFixed(0)} ms, 2 workers ${par.toFixed(0)} ms`);
}
Deno.removeSync(base, { recursive: true });
