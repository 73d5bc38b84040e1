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
 *  - `cairn add` of M x 100 KiB files in 100 folders  vs  find | xargs -P2 md5sum
 *    (20k; quick 2k)
 *  - with `--big10g` (or CAIRN_BENCH_BIG10G=1): one 10 GiB file, add vs
 *    md5sum and checkout after rm vs cp (created, measured, deleted: it needs
 *    ~30 GiB of free disk)
 * Each row also prints both sides' CPU time (user + sys, from time(1)) on
 * stderr: on the shared 2-core machine wall times are noisy, CPU is not.
 *   deno run -A scripts/bench/cli_data.ts [--full] [--big10g]
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchRow } from "../bench.ts";
import { measure, type Measured, shell, writeBigFile, writeTree } from "./_util.ts";

const CAIRN = join(dirname(fileURLToPath(import.meta.url)), "..", "cairn");

/** Run a command under time(1): wall, CPU, peak RSS; throws with its stderr when it fails. */
function timed(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Measured> {
  return measure(cmd, args, { cwd, env: { ...Deno.env.toObject(), ...env } });
}

function cairn(args: string[], cwd: string, env: Record<string, string> = {}) {
  return timed(CAIRN, args, cwd, env);
}

function timeShell(script: string, cwd: string): Promise<Measured> {
  return timed("sh", ["-c", script], cwd);
}

/** A CAIRN_TRACE counter from stderr (0 if absent). */
function counter(stderr: string, name: string): number {
  for (const line of stderr.split("\n")) {
    const m = /^trace:\s+(\d+)\s+(.*)$/.exec(line);
    if (m && m[2] === name) return Number(m[1]);
  }
  return 0;
}

/** The least disturbed (least wall time) of `n` runs. */
async function best(n: number, fn: () => Promise<Measured>): Promise<Measured> {
  let b: Measured | undefined;
  for (let i = 0; i < n; i++) {
    const m = await fn();
    if (!b || m.seconds < b.seconds) b = m;
  }
  return b!;
}

/** Let the racy-mtime window pass, so hashes get recorded / trusted. */
const settle = () => new Promise((r) => setTimeout(r, 50));

/** Forget everything `add` did, so the next `add` starts from scratch. */
async function resetAdd(repo: string, target: string): Promise<void> {
  await shell(
    `chmod -R u+w .dvc/cache 2>/dev/null; rm -rf .dvc/cache .dvc/tmp '${target}.dvc' .gitignore`,
    repo,
  );
}

/** Also run the 10 GiB file rows (large: ~30 GiB of disk for a while). */
function big10g(): boolean {
  return Deno.args.includes("--big10g") || Deno.env.get("CAIRN_BENCH_BIG10G") === "1";
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const mib = opts.quick ? 128 : 1024;
  const n = opts.quick ? 5_000 : 100_000;
  const nMid = opts.quick ? 2_000 : 20_000;
  const reps = opts.quick ? 3 : 2;
  const root = opts.workDir;
  const repo = `${root}/repo`;
  Deno.mkdirSync(repo, { recursive: true });
  const rows: BenchRow[] = [];
  const row = (name: string, v: Measured, ref: string, rv: Measured, target: string) => {
    rows.push({
      name,
      value: v.seconds,
      unit: "s",
      reference: ref,
      referenceValue: rv.seconds,
      ratio: v.seconds / rv.seconds,
      target,
    });
    console.error(
      `  ${name}: ${v.seconds.toFixed(3)} s (cpu ${v.cpu.toFixed(2)} s, ${
        Math.round(v.rssKiB / 1024)
      } MiB) vs ${ref} ${rv.seconds.toFixed(3)} s (cpu ${rv.cpu.toFixed(2)} s)`,
    );
  };
  /** A throughput row for one big file (MiB/s; ratio = time ratio). */
  const bigRow = (
    name: string,
    size: number,
    v: Measured,
    ref: string,
    rv: Measured,
    t: string,
  ) => {
    rows.push({
      name,
      value: size / v.seconds,
      unit: "MiB/s",
      reference: ref,
      referenceValue: size / rv.seconds,
      ratio: v.seconds / rv.seconds,
      target: t,
    });
    console.error(
      `  ${name}: ${v.seconds.toFixed(3)} s (cpu ${v.cpu.toFixed(2)} s) vs ${ref} ${
        rv.seconds.toFixed(3)
      } s (cpu ${rv.cpu.toFixed(2)} s)`,
    );
  };

  await shell(
    "git init -q && git config user.email bench@example.com && git config user.name bench",
    repo,
  );
  await cairn(["init", "-q"], repo);

  // --- start-up
  const empty = `${root}/empty.ts`;
  Deno.writeTextFileSync(empty, "\n");
  const refStart = await best(7, () => timed("deno", ["run", "-q", empty], root));
  const start = await best(7, () => cairn(["--version"], repo));
  row("cairn --version", start, "deno run empty.ts", refStart, "<= 2x");
  const statusEmpty = await best(5, () => cairn(["status"], repo));
  row("cairn status, nothing tracked", statusEmpty, "deno run empty.ts", refStart, "<= 3x");

  // --- one big file
  const big = `${repo}/big.bin`;
  writeBigFile(big, mib);
  await shell(`cat big.bin > /dev/null`, repo); // warm page cache for both
  const refBig = await best(reps, () => timeShell(`md5sum big.bin`, repo));
  const addBig = await best(reps, async () => {
    await resetAdd(repo, "big.bin");
    await shell("sync", repo); // the previous run's cache writes are not this run's cost
    return await cairn(["add", "-q", "big.bin"], repo);
  });
  bigRow(`cairn add ${mib} MiB file`, mib, addBig, "md5sum (reads only)", refBig, "<= 1.0x");
  await resetAdd(repo, "big.bin");
  Deno.removeSync(big);

  // --- N small files in 100 folders
  const data = `${repo}/data`;
  writeTree(data, n);
  await settle();
  await shell(`find data -type f -exec cat {} + > /dev/null`, repo); // warm page cache

  const md5All = `find data -type f -print0 | xargs -0 -P2 -n 2000 md5sum > /dev/null`;
  const refAdd = await best(reps, () => timeShell(md5All, repo));
  const add = await best(reps, async () => {
    await resetAdd(repo, "data");
    await shell("sync", repo);
    return await cairn(["add", "-q", "data"], repo);
  });
  row(`cairn add ${n} x 1 KiB`, add, "find|xargs -P2 md5sum (writes nothing)", refAdd, "<= 5x");

  await settle();
  const refFind = await best(reps + 1, () => timeShell(`find data -type f > /dev/null`, repo));
  const status = await best(reps + 1, async () => {
    const r = await cairn(["status"], repo, { CAIRN_TRACE: "1" });
    if (!/up to date/.test(r.stdout)) throw new Error(`status not clean: ${r.stdout}`);
    const read = counter(r.stderr, "files hashed");
    if (read !== 0) throw new Error(`no-op status read ${read} files`);
    return r;
  });
  row(`cairn status, ${n} files unchanged`, status, "find -type f (no stat)", refFind, "<= 3x");
  // What a status cannot skip: one stat per file (DVC's and git's status do the same).
  const refStat = await best(
    reps + 1,
    () => timeShell(`find data -type f -printf '%i %s %T@\n' > /dev/null`, repo),
  );
  row(`cairn status, ${n} files unchanged`, status, "find -printf (stats)", refStat, "<= 1.5x");

  const refCheckout = await best(reps, async () => {
    const t = await timeShell(`cp -r data '${root}/copy'`, repo);
    await shell(`rm -rf '${root}/copy'`, repo);
    return t;
  });
  const checkout = await best(reps, async () => {
    await shell("rm -rf data && sync", repo);
    return await cairn(["checkout", "-q"], repo);
  });
  const count = Number((await timed("sh", ["-c", "find data -type f | wc -l"], repo)).stdout);
  if (count !== n) throw new Error(`checkout restored ${count} of ${n} files`);
  row(`cairn checkout ${n} files after rm -rf`, checkout, "cp -r", refCheckout, "<= 1.5x");
  await resetAdd(repo, "data");
  await shell("rm -rf data", repo);

  // --- M files of 100 KiB in 100 folders (created, measured, deleted)
  writeTree(data, nMid, 100 << 10);
  await settle();
  await shell(`find data -type f -exec cat {} + > /dev/null`, repo);
  const refMid = await best(reps, () => timeShell(md5All, repo));
  const addMid = await best(reps, async () => {
    await resetAdd(repo, "data");
    await shell("sync", repo);
    return await cairn(["add", "-q", "data"], repo);
  });
  row(
    `cairn add ${nMid} x 100 KiB`,
    addMid,
    "find|xargs -P2 md5sum (writes nothing)",
    refMid,
    "<= 2x",
  );
  await resetAdd(repo, "data");
  await shell("rm -rf data", repo);

  // --- one 10 GiB file (optional)
  if (big10g()) {
    const gib = 10 << 10;
    writeBigFile(big, gib);
    await shell("sync", repo);
    const refMd5 = await timeShell(`md5sum big.bin`, repo);
    const addHuge = await cairn(["add", "-q", "big.bin"], repo);
    bigRow("cairn add 10 GiB file", gib, addHuge, "md5sum (reads only)", refMd5, "<= 1.1x");
    await shell("sync", repo);
    const refCp = await timeShell(`cp big.bin '${root}/copy.bin'`, repo);
    await shell(`rm -f '${root}/copy.bin' big.bin && sync`, repo);
    const coHuge = await cairn(["checkout", "-q", "big.bin.dvc"], repo);
    bigRow("cairn checkout 10 GiB file after rm", gib, coHuge, "cp", refCp, "<= 1.1x");
    await resetAdd(repo, "big.bin");
    Deno.removeSync(big);
  }

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
