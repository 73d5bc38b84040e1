/**
 * The data commands as users run them: `scripts/cairn` spawned in a temp git
 * repo (start-up, config, stage collection, state index and all), against
 * shell references timed in the same run. Each figure is the best of a few
 * runs (2 shared cores: the minimum is the least disturbed one).
 *  - `cairn --version`                vs  `deno run` of an empty script
 *  - `cairn add` of one big file      vs  md5sum of it (1 GiB; quick 128 MiB)
 *  - `cairn add` of N x 1 KiB files in 100 folders  vs  find | xargs -P2 md5sum
 *    (100k; quick 5k)
 *  - no-op `cairn status` of that tree  vs  find over it (no content read:
 *    checked with CAIRN_TRACE's counters), and vs find stat-ing every file
 *  - `cairn checkout` after `rm -rf` of the tree  vs  cp -r
 *   deno run -A scripts/bench/cli_data.ts [--full]
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchRow } from "../bench.ts";
import { fillRandom, shell, timeShell } from "./_util.ts";

const CAIRN = join(dirname(fileURLToPath(import.meta.url)), "..", "cairn");

interface RunResult {
  seconds: number;
  stdout: string;
  stderr: string;
}

/** Run a command, timing it; throws with its stderr when it fails. */
async function timed(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<RunResult> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  const seconds = (performance.now() - t0) / 1000;
  const dec = new TextDecoder();
  const r = { seconds, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${r.stderr}${r.stdout}`);
  }
  return r;
}

function cairn(args: string[], cwd: string, env: Record<string, string> = {}) {
  return timed(CAIRN, args, cwd, env);
}

/** A CAIRN_TRACE counter from stderr (0 if absent). */
function counter(stderr: string, name: string): number {
  for (const line of stderr.split("\n")) {
    const m = /^trace:\s+(\d+)\s+(.*)$/.exec(line);
    if (m && m[2] === name) return Number(m[1]);
  }
  return 0;
}

/** Best (minimum) of `n` runs of an async timing. */
async function best(n: number, fn: () => Promise<number>): Promise<number> {
  let b = Infinity;
  for (let i = 0; i < n; i++) b = Math.min(b, await fn());
  return b;
}

/** Let the racy-mtime window pass, so hashes get recorded / trusted. */
const settle = () => new Promise((r) => setTimeout(r, 50));

function writeBigFile(path: string, mib: number): void {
  const chunk = new Uint8Array(1 << 20);
  const f = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    for (let i = 0; i < mib; i++) {
      fillRandom(chunk, i + 1);
      let off = 0;
      while (off < chunk.length) off += f.writeSync(chunk.subarray(off));
    }
  } finally {
    f.close();
  }
}

function writeTree(dir: string, n: number): void {
  const buf = new Uint8Array(1024);
  for (let d = 0; d < 100; d++) Deno.mkdirSync(`${dir}/d${d}`, { recursive: true });
  for (let i = 0; i < n; i++) {
    fillRandom(buf, i + 1);
    Deno.writeFileSync(`${dir}/d${i % 100}/f${i}`, buf);
  }
}

/** Forget everything `add` did, so the next `add` starts from scratch. */
async function resetAdd(repo: string, target: string): Promise<void> {
  await shell(
    `chmod -R u+w .dvc/cache 2>/dev/null; rm -rf .dvc/cache .dvc/tmp '${target}.dvc' .gitignore`,
    repo,
  );
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const mib = opts.quick ? 128 : 1024;
  const n = opts.quick ? 5_000 : 100_000;
  const reps = opts.quick ? 3 : 2;
  const root = opts.workDir;
  const repo = `${root}/repo`;
  Deno.mkdirSync(repo, { recursive: true });
  const rows: BenchRow[] = [];
  const row = (name: string, v: number, ref: string, rv: number, target: string) => {
    rows.push({
      name,
      value: v,
      unit: "s",
      reference: ref,
      referenceValue: rv,
      ratio: v / rv,
      target,
    });
    console.error(`  ${name}: ${v.toFixed(3)} s vs ${ref} ${rv.toFixed(3)} s`);
  };

  await shell(
    "git init -q && git config user.email bench@example.com && git config user.name bench",
    repo,
  );
  await cairn(["init", "-q"], repo);

  // --- start-up
  const empty = `${root}/empty.ts`;
  Deno.writeTextFileSync(empty, "\n");
  const refStart = await best(
    7,
    async () => (await timed("deno", ["run", "-q", empty], root)).seconds,
  );
  const start = await best(7, async () => (await cairn(["--version"], repo)).seconds);
  row("cairn --version", start, "deno run empty.ts", refStart, "<= 4x");
  const statusEmpty = await best(5, async () => (await cairn(["status"], repo)).seconds);
  row("cairn status, nothing tracked", statusEmpty, "deno run empty.ts", refStart, "<= 6x");

  // --- one big file
  const big = `${repo}/big.bin`;
  writeBigFile(big, mib);
  await shell(`cat big.bin > /dev/null`, repo); // warm page cache for both
  const refBig = await best(reps, () => timeShell(`md5sum big.bin`, repo));
  const addBig = await best(reps, async () => {
    await resetAdd(repo, "big.bin");
    await shell("sync", repo); // the previous run's cache writes are not this run's cost
    return (await cairn(["add", "-q", "big.bin"], repo)).seconds;
  });
  const mibps = (s: number) => mib / s;
  rows.push({
    name: `cairn add ${mib} MiB file`,
    value: mibps(addBig),
    unit: "MiB/s",
    reference: "md5sum (reads only)",
    referenceValue: mibps(refBig),
    ratio: addBig / refBig,
    target: "<= 1.11x (>= 0.9x MiB/s)",
  });
  console.error(`  add big: ${addBig.toFixed(3)} s vs md5sum ${refBig.toFixed(3)} s`);
  await resetAdd(repo, "big.bin");
  Deno.removeSync(big);

  // --- N small files in 100 folders
  const data = `${repo}/data`;
  writeTree(data, n);
  await settle();
  await shell(`find data -type f -exec cat {} + > /dev/null`, repo); // warm page cache

  const refAdd = await best(
    reps,
    () => timeShell(`find data -type f -print0 | xargs -0 -P2 -n 2000 md5sum > /dev/null`, repo),
  );
  const add = await best(reps, async () => {
    await resetAdd(repo, "data");
    await shell("sync", repo);
    return (await cairn(["add", "-q", "data"], repo)).seconds;
  });
  row(`cairn add ${n} x 1 KiB`, add, "find|xargs -P2 md5sum (writes nothing)", refAdd, "<= 8x");

  await settle();
  const refFind = await best(reps + 1, () => timeShell(`find data -type f > /dev/null`, repo));
  const status = await best(reps + 1, async () => {
    const r = await cairn(["status"], repo, { CAIRN_TRACE: "1" });
    if (!/up to date/.test(r.stdout)) throw new Error(`status not clean: ${r.stdout}`);
    const read = counter(r.stderr, "files hashed");
    if (read !== 0) throw new Error(`no-op status read ${read} files`);
    return r.seconds;
  });
  row(`cairn status, ${n} files unchanged`, status, "find -type f (no stat)", refFind, "<= 3x");
  // What a status cannot skip: one stat per file (DVC's and git's status do the same).
  const refStat = await best(
    reps + 1,
    () => timeShell(`find data -type f -printf '%i %s %T@\n' > /dev/null`, repo),
  );
  row(`cairn status, ${n} files unchanged`, status, "find -printf (stats)", refStat, "<= 3x");

  const refCheckout = await best(reps, async () => {
    const t = await timeShell(`cp -r data '${root}/copy'`, repo);
    await shell(`rm -rf '${root}/copy'`);
    return t;
  });
  const checkout = await best(reps, async () => {
    await shell("rm -rf data && sync", repo);
    return (await cairn(["checkout", "-q"], repo)).seconds;
  });
  const count = Number((await timed("sh", ["-c", "find data -type f | wc -l"], repo)).stdout);
  if (count !== n) throw new Error(`checkout restored ${count} of ${n} files`);
  row(`cairn checkout ${n} files after rm -rf`, checkout, "cp -r", refCheckout, "<= 2.5x");

  await shell(`chmod -R u+w '${root}' && rm -rf '${root}'`);
  return rows;
}

if (import.meta.main) {
  const workDir = Deno.makeTempDirSync({ prefix: "cairn-bench-" });
  const rows = await run({ quick: !Deno.args.includes("--full"), workDir });
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(40)} ${r.value.toFixed(3)} ${r.unit}  ${r.reference} ${
        r.referenceValue!.toFixed(3)
      }  ratio ${r.ratio!.toFixed(2)}x  (${r.target})`,
    );
  }
}
