/**
 * Issue 16's table, every row from one run: `scripts/cairn` spawned as users
 * run it, each against a reference timed in the same run (best of a few runs:
 * on 2 shared cores the least disturbed one). Wall time, CPU (user+sys) and
 * peak RSS come from `/usr/bin/time` around each process.
 *
 *   deno run -A scripts/bench/issue16_table.ts [--quick] [--files N] [--out FILE]
 *       the table (100k files of 1 KiB in 100 folders; --quick: 5k, smaller rest)
 *   ... --scale [--scale-sizes 100000,1000000]
 *       add, no-op status, checkout, push, pull at 100k then 1M files of 1 KiB:
 *       growth factor per operation (target <= 11x) and peak RSS (target < 1 GiB
 *       for status, add, push, checkout). Needs ~25 GB and ~5M inodes under $TMPDIR
 *       at 1M, all deleted afterwards (also on Ctrl-C).
 *   ... --dir DIR: the work goes under DIR (default $TMPDIR)
 *   ... --loop-fs GIB: under a fresh loop-mounted ext4 of GIB GiB (root only; deleted after)
 *   ... --big [--big-mib 10240]
 *       one 10 GiB file: add vs md5sum, checkout vs cp (targets <= 1.1x); ~20 GiB
 *
 * CAIRN_BENCH_CAIRN=/other/checkout/scripts/cairn times another checkout of
 * cairn with the same bench (e.g. the state before a change). Push and pull use a
 * local-folder remote; pull runs `cairn pull` in a fresh `git clone`.
 * `deno task bench` runs the table (quick: 5k files, no scale, no big).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchRow } from "../bench.ts";
import { fiftyStages } from "./pipeline.ts";
import {
  bestOf,
  measure,
  type Measured,
  measureShell,
  shell,
  writeBigFile,
  writeTree,
} from "./_util.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const CAIRN = Deno.env.get("CAIRN_BENCH_CAIRN") ?? join(HERE, "..", "cairn");

/** One line of the table: cairn (or two cairn figures, "a / b") against a reference. */
interface Line {
  op: string;
  refLabel: string;
  ref: Measured;
  cairn: Measured[];
  target: string;
  /** the largest cairn/ref ratio that meets the target. */
  limit: number;
}

function cairn(args: string[], cwd: string, env?: Record<string, string>): Promise<Measured> {
  return measure(CAIRN, args, { cwd, env });
}

/** Let the racy-mtime window pass, so hashes get recorded / trusted. */
const settle = () => new Promise((r) => setTimeout(r, 50));

async function countFiles(dir: string): Promise<number> {
  return Number((await measureShell(`find '${dir}' -type f | wc -l`)).stdout.trim());
}

/** A git repo with cairn initialised and (optionally) a local-folder default remote. */
async function newRepo(dir: string, remote?: string): Promise<void> {
  Deno.mkdirSync(dir, { recursive: true });
  await shell(
    "git init -q -b main && git config user.email bench@example.com && git config user.name bench",
    dir,
  );
  await cairn(["init", "-q"], dir);
  if (remote) {
    Deno.mkdirSync(remote, { recursive: true });
    await cairn(["remote", "add", "-d", "bench", remote], dir);
  }
  await shell("git add -A && git commit -qm init", dir);
}

/** Forget everything `add` did, so the next `add` starts from scratch. */
function resetAdd(repo: string, target: string): Promise<void> {
  return shell(`rm -rf .dvc/cache .dvc/tmp '${target}.dvc' .gitignore && sync`, repo);
}

async function rmrf(path: string): Promise<void> {
  // Cache objects are read-only files; their folders are writable, so rm -rf works.
  await shell(`rm -rf '${path}'`);
}

type Op = "add" | "status" | "checkout" | "push" | "pull";

interface TreeResult {
  n: number;
  cairn: Partial<Record<Op, Measured>>;
  ref: Partial<Record<Op, Measured>>;
  /** with `keepGoing`: the error that stopped the sequence (later operations have no figures) */
  error?: string;
}

/**
 * `n` files of `size` bytes in 100 folders, through add, no-op status,
 * checkout after `rm -rf`, push to an empty local remote and pull into a fresh
 * clone (those of `ops`), each with its reference; everything deleted after.
 */
async function tree(
  root: string,
  n: number,
  size: number,
  reps: number,
  ops: Op[],
  scaleRun?: { copyRefs: boolean },
): Promise<TreeResult> {
  // A scale run goes on after a failure (the figures so far still count) and, unless
  // asked, skips the `cp -r` references: at 1M files each costs a million creates and
  // deletes on a disk shared with other work.
  const keepGoing = scaleRun !== undefined;
  const copyRefs = scaleRun?.copyRefs ?? true;
  const repo = `${root}/repo`, remote = `${root}/remote`, clone = `${root}/clone`;
  const res: TreeResult = { n, cairn: {}, ref: {} };
  const log = (op: Op) =>
    console.error(
      `  ${n} x ${size} B ${op}: cairn ${res.cairn[op]!.seconds.toFixed(3)} s, CPU ${
        res.cairn[op]!.cpu.toFixed(2)
      } s, ${(res.cairn[op]!.rssKiB / 1024).toFixed(0)} MiB vs ref ${
        res.ref[op]?.seconds.toFixed(3) ?? "-"
      } s [${new Date().toISOString().slice(11, 19)}]`,
    );
  try {
    await newRepo(repo, remote);
    console.error(`  writing ${n} files of ${size} B ...`);
    writeTree(`${repo}/data`, n, size);
    await settle();
    await shell(`find data -type f -exec cat {} + > /dev/null`, repo); // page cache, both sides

    res.ref.add = await bestOf(
      reps,
      () =>
        measureShell(`find data -type f -print0 | xargs -0 -P2 -n 2000 md5sum > /dev/null`, repo),
    );
    res.cairn.add = await bestOf(reps, async () => {
      await resetAdd(repo, "data");
      return cairn(["add", "-q", "data"], repo);
    });
    log("add");
    await shell("git add data.dvc .gitignore && git commit -qm data", repo);

    if (ops.includes("status")) {
      await settle();
      await cairn(["status"], repo); // the first one may record what add left to it
      res.ref.status = await bestOf(
        reps + 1,
        () => measureShell(`find data -type f -printf '%i %s %T@\\n' > /dev/null`, repo),
      );
      res.cairn.status = await bestOf(reps + 1, async () => {
        const m = await cairn(["status"], repo);
        if (!/up to date/.test(m.stdout)) throw new Error(`status not clean: ${m.stdout}`);
        return m;
      });
      log("status");
    }

    if (ops.includes("checkout")) {
      if (copyRefs) {
        res.ref.checkout = await bestOf(reps, async () => {
          await shell("sync");
          const m = await measureShell(`cp -r data '${root}/copy'`, repo);
          await rmrf(`${root}/copy`);
          return m;
        });
      }
      res.cairn.checkout = await bestOf(reps, async () => {
        await shell("rm -rf data && sync", repo);
        return cairn(["checkout", "-q"], repo);
      });
      const count = await countFiles(`${repo}/data`);
      if (count !== n) throw new Error(`checkout restored ${count} of ${n} files`);
      log("checkout");
    }

    if (ops.includes("push") || ops.includes("pull")) {
      const pushRef = copyRefs
        ? await bestOf(reps, async () => {
          await shell("sync");
          const m = await measureShell(`cp -r .dvc/cache/files '${root}/copy'`, repo);
          await rmrf(`${root}/copy`);
          return m;
        })
        : undefined;
      const push = await bestOf(ops.includes("push") ? reps : 1, async () => {
        await shell(`rm -rf '${remote}' && mkdir '${remote}' && sync`);
        return cairn(["push", "-q"], repo);
      });
      const objects = await countFiles(remote);
      if (objects !== n + 1) throw new Error(`push left ${objects} of ${n + 1} objects`);
      if (ops.includes("push")) {
        res.ref.push = pushRef;
        res.cairn.push = push;
        log("push");
      }
    }

    if (ops.includes("pull")) {
      // Only the remote and the clone from here on: the source repo's data can go
      // (at 1M files: 8 GB of blocks and 2M inodes fewer on the disk during the pull).
      await shell("rm -rf data .dvc/cache .dvc/tmp", repo);
      if (copyRefs) {
        res.ref.pull = await bestOf(reps, async () => {
          await shell("sync");
          const m = await measureShell(`cp -r '${remote}' '${root}/copy'`);
          await rmrf(`${root}/copy`);
          return m;
        });
      }
      res.cairn.pull = await bestOf(reps, async () => {
        await shell(`rm -rf '${clone}' && git clone -q '${repo}' '${clone}' && sync`);
        return cairn(["pull", "-q"], clone);
      });
      const count = await countFiles(`${clone}/data`);
      if (count !== n) throw new Error(`pull restored ${count} of ${n} files`);
      log("pull");
    }
  } catch (err) {
    if (!keepGoing) throw err;
    res.error = err instanceof Error ? err.message : String(err);
    console.error(`  ${n} files: stopped: ${res.error}`);
  } finally {
    await shell(`rm -rf '${repo}' '${remote}' '${clone}' '${root}/copy'`);
  }
  return res;
}

interface BigResult {
  add: Measured;
  md5sum: Measured;
  checkout?: Measured;
  cp?: Measured;
}

/** One file of `mib` MiB: add vs md5sum, and (withCheckout) checkout vs cp of its cache object. */
async function bigFile(
  root: string,
  mib: number,
  reps: number,
  withCheckout: boolean,
): Promise<BigResult> {
  const repo = `${root}/big`;
  try {
    await newRepo(repo);
    console.error(`  writing one ${mib} MiB file ...`);
    writeBigFile(`${repo}/big.bin`, mib);
    await shell(`cat big.bin > /dev/null`, repo);
    const md5sum = await bestOf(reps, () => measureShell(`md5sum big.bin > /dev/null`, repo));
    const add = await bestOf(reps, async () => {
      await resetAdd(repo, "big.bin");
      return cairn(["add", "-q", "big.bin"], repo);
    });
    console.error(
      `  add ${mib} MiB: ${add.seconds.toFixed(3)} s vs md5sum ${md5sum.seconds.toFixed(3)} s`,
    );
    if (!withCheckout) return { add, md5sum };
    const md5 = /md5: ([0-9a-f]{32})/.exec(Deno.readTextFileSync(`${repo}/big.bin.dvc`))![1];
    const object = `.dvc/cache/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`;
    // The workspace copy goes first, so the disk holds two copies at most.
    const cp = await bestOf(reps, async () => {
      await shell("rm -f big.bin big.copy && sync", repo);
      const m = await measureShell(`cp '${object}' big.copy`, repo);
      await shell("rm -f big.copy", repo);
      return m;
    });
    const checkout = await bestOf(reps, async () => {
      await shell("rm -f big.bin && sync", repo);
      return cairn(["checkout", "-q"], repo);
    });
    console.error(
      `  checkout ${mib} MiB: ${checkout.seconds.toFixed(3)} s vs cp ${cp.seconds.toFixed(3)} s`,
    );
    return { add, md5sum, checkout, cp };
  } finally {
    await rmrf(repo);
  }
}

/** Start-up rows and the 50-stage pipeline rows. */
async function startupAndPipeline(root: string, quick: boolean) {
  Deno.mkdirSync(root, { recursive: true });
  const empty = `${root}/empty.ts`;
  Deno.writeTextFileSync(empty, "\n");
  const denoRef = await bestOf(7, () => measure(Deno.execPath(), ["run", "-q", empty]));
  const emptyRepo = `${root}/empty`;
  await newRepo(emptyRepo);
  const version = await bestOf(7, () => cairn(["--version"], emptyRepo));
  const statusEmpty = await bestOf(5, () => cairn(["status"], emptyRepo));

  const fifty = `${root}/fifty`;
  const files = fiftyStages();
  Deno.mkdirSync(fifty, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    Deno.mkdirSync(join(fifty, dirname(rel)), { recursive: true });
    Deno.writeTextFileSync(join(fifty, rel), text);
  }
  await newRepo(fifty);
  const cmds = [...files["dvc.yaml"].matchAll(/cmd: (.*)/g)].map((m) => m[1]);
  const n = quick ? 3 : 5;
  const sh = await bestOf(n, async () => {
    const sum: Measured = { seconds: 0, cpu: 0, rssKiB: 0, stdout: "", stderr: "" };
    for (const c of cmds) {
      const m = await measureShell(c, fifty);
      sum.seconds += m.seconds;
      sum.cpu += m.cpu;
      sum.rssKiB = Math.max(sum.rssKiB, m.rssKiB);
    }
    return sum;
  });
  const scratch = await bestOf(n, async () => {
    await shell("chmod -R u+w .dvc out; rm -rf dvc.lock .dvc/cache .dvc/tmp out/*.txt", fifty);
    return cairn(["repro"], fifty);
  });
  await settle();
  await cairn(["status"], fifty);
  const reproNoop = await bestOf(n, () => cairn(["repro"], fifty));
  const statusNoop = await bestOf(n, () => cairn(["status"], fifty));
  await rmrf(emptyRepo);
  await rmrf(fifty);
  const r = { denoRef, version, statusEmpty, sh, scratch, reproNoop, statusNoop };
  // Logged as measured: a run stopped later still leaves these figures.
  console.error(
    "  " + Object.entries(r).map(([k, m]) => `${k} ${m.seconds.toFixed(3)} s`).join(", "),
  );
  return r;
}

const K = (n: number) => n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : `${n}`;

/** The issue's table, in its row order. */
async function table(root: string, quick: boolean, files: number): Promise<Line[]> {
  const reps = quick ? 1 : 2;
  const s = await startupAndPipeline(`${root}/startup`, quick);
  const small = await tree(`${root}/small`, files, 1024, reps, [
    "add",
    "status",
    "checkout",
    "push",
    "pull",
  ]);
  const medN = quick ? 1000 : 20_000;
  const medium = await tree(`${root}/medium`, medN, 100 << 10, reps, ["add", "pull"]);
  const mib = quick ? 128 : 1024;
  const big = await bigFile(root, mib, reps, false);
  const deno = "`deno run` of an empty script";
  const md5 = "`find\\|xargs -P2 md5sum`"; // \| : a pipe inside a markdown cell
  const line = (
    op: string,
    refLabel: string,
    ref: Measured,
    c: Measured | Measured[],
    target: number,
  ): Line => ({
    op,
    refLabel,
    ref,
    cairn: Array.isArray(c) ? c : [c],
    target: `<= ${target}x`,
    limit: target,
  });
  return [
    line("`--version`", deno, s.denoRef, s.version, 2),
    line("`status`, empty repo", deno, s.denoRef, s.statusEmpty, 3),
    line(`add ${K(files)}`, md5, small.ref.add!, small.cairn.add!, 5),
    line(
      `no-op status ${K(files)}`,
      "`find` that stats every file",
      small.ref.status!,
      small.cairn.status!,
      1.5,
    ),
    line(
      `checkout ${K(files)} after \`rm -rf\``,
      "`cp -r`",
      small.ref.checkout!,
      small.cairn.checkout!,
      1.5,
    ),
    line(
      `push ${K(files)} to an empty local remote`,
      "`cp -r` of the cache",
      small.ref.push!,
      small.cairn.push!,
      1.5,
    ),
    line(
      `pull ${K(files)} into a fresh clone`,
      "`cp -r` of the remote",
      small.ref.pull!,
      small.cairn.pull!,
      1.5,
    ),
    line(`add ${K(medN)} x 100 KiB`, md5, medium.ref.add!, medium.cairn.add!, 2),
    line(
      `pull ${K(medN)} x 100 KiB into a fresh clone`,
      "`cp -r` of the remote",
      medium.ref.pull!,
      medium.cairn.pull!,
      1.5,
    ),
    line(
      `add one ${mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`} file`,
      "`md5sum`",
      big.md5sum,
      big.add,
      1.0,
    ),
    line(
      "repro of 50 trivial stages from scratch",
      "the 50 commands through `sh`",
      s.sh,
      s.scratch,
      3,
    ),
    line("no-op `repro` / `status`, 50 stages", deno, s.denoRef, [s.reproNoop, s.statusNoop], 3),
  ];
}

const sec = (x: number) => x < 1 ? x.toFixed(3) : x < 100 ? x.toPrecision(3) : x.toFixed(0);
const mibOf = (m: Measured) => `${(m.rssKiB / 1024).toFixed(0)} MiB`;

function renderTable(lines: Line[]): string {
  const out = [
    "| operation | reference (same run) | ref | cairn | cairn/ref | target | met | cairn CPU (ref CPU) | cairn peak RSS |",
    "|---|---|---:|---:|---:|---:|:-:|---:|---:|",
  ];
  for (const l of lines) {
    const ratios = l.cairn.map((c) => c.seconds / l.ref.seconds);
    out.push(
      `| ${l.op} | ${l.refLabel} | ${sec(l.ref.seconds)} s | ${
        l.cairn.map((c) => sec(c.seconds)).join(" / ")
      } s | ${ratios.map((r) => `${r.toFixed(1)}x`).join(" / ")} | ${l.target} | ${
        ratios.every((r) => r <= l.limit) ? "yes" : "no"
      } | ${l.cairn.map((c) => sec(c.cpu)).join(" / ")} s (${sec(l.ref.cpu)} s) | ${
        l.cairn.map(mibOf).join(" / ")
      } |`,
    );
  }
  return out.join("\n");
}

const GiB_KiB = 1 << 20;

async function scale(
  root: string,
  sizes: number[],
  copyRefs: boolean,
  ops: Op[] = ["add", "status", "checkout", "push", "pull"],
): Promise<string> {
  const results: TreeResult[] = [];
  for (const n of sizes) {
    console.error(`scale: ${n} files of 1 KiB`);
    results.push(await tree(`${root}/scale`, n, 1024, 1, ops, { copyRefs }));
  }
  const [a, b] = [results[0], results[results.length - 1]];
  const refLabel: Record<Op, string> = {
    add: "find\\|xargs -P2 md5sum",
    status: "find stat-ing every file",
    checkout: "cp -r",
    push: "cp -r of the cache",
    pull: "cp -r of the remote",
  };
  const rssBound: Op[] = ["status", "add", "push", "checkout"];
  const t = (m?: Measured) => (m ? `${sec(m.seconds)} s` : "-");
  const growth = (x?: Measured, y?: Measured, key: "seconds" | "cpu" = "seconds") =>
    x && y ? `${(y[key] / x[key]).toFixed(1)}x` : "-";
  const out = [
    `| operation | cairn ${K(a.n)} | cairn ${
      K(b.n)
    } | growth (target <= 11x) | CPU growth | reference | ref ${K(a.n)} | ref ${
      K(b.n)
    } | ref growth | peak RSS ${K(a.n)} | peak RSS ${K(b.n)} (target < 1 GiB) |`,
    "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
  ];
  for (const op of ops.includes("add") ? ops : ["add" as Op, ...ops]) {
    const ca = a.cairn[op], cb = b.cairn[op], ra = a.ref[op], rb = b.ref[op];
    const over = ca && cb && cb.seconds / ca.seconds > 11 ? " (**over**)" : "";
    const rssOk = cb && rssBound.includes(op)
      ? (cb.rssKiB < GiB_KiB ? " (met)" : " (**over**)")
      : "";
    out.push(
      `| ${op} | ${t(ca)} | ${t(cb)} | ${growth(ca, cb)}${over} | ${growth(ca, cb, "cpu")} | ${
        refLabel[op]
      } | ${t(ra)} | ${t(rb)} | ${growth(ra, rb)} | ${ca ? mibOf(ca) : "-"} | ${
        cb ? mibOf(cb) : "-"
      }${rssOk} |`,
    );
  }
  for (const r of results) if (r.error) out.push(`\n${K(r.n)} files stopped: ${r.error}`);
  return out.join("\n");
}

async function big(root: string, mib: number): Promise<string> {
  const r = await bigFile(root, mib, 1, true);
  const ratio = (c: Measured, ref: Measured) => c.seconds / ref.seconds;
  const row = (op: string, ref: string, rm: Measured, c: Measured) =>
    `| ${op} | ${ref} | ${sec(rm.seconds)} s | ${sec(c.seconds)} s | ${
      ratio(c, rm).toFixed(2)
    }x | <= 1.1x | ${ratio(c, rm) <= 1.1 ? "yes" : "no"} | ${mibOf(c)} |`;
  return [
    "| operation | reference | ref | cairn | cairn/ref | target | met | cairn peak RSS |",
    "|---|---|---:|---:|---:|---:|:-:|---:|",
    row(`add one ${mib / 1024} GiB file`, "`md5sum`", r.md5sum, r.add),
    row(`checkout it after \`rm\``, "`cp` of the cache object", r.cp!, r.checkout!),
  ].join("\n");
}

/** `deno task bench` entry: the table (quick: 5k files, smaller rest). */
export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  Deno.mkdirSync(opts.workDir, { recursive: true });
  try {
    const lines = await table(opts.workDir, opts.quick, opts.quick ? 5_000 : 100_000);
    console.error(renderTable(lines));
    return lines.flatMap((l) =>
      l.cairn.map((c, i) => ({
        name: `#16 ${l.op.replaceAll("`", "")}${l.cairn.length > 1 ? ` (${i + 1})` : ""}`,
        value: c.seconds,
        unit: "s",
        reference: l.refLabel.replaceAll("`", "").replaceAll("\\|", "|"),
        referenceValue: l.ref.seconds,
        ratio: c.seconds / l.ref.seconds,
        target: l.target,
      }))
    );
  } finally {
    await rmrf(opts.workDir);
  }
}

async function header(): Promise<string> {
  const checkout = join(dirname(CAIRN), "..");
  const text = async (cmd: string, cwd?: string) => (await measureShell(cmd, cwd)).stdout.trim();
  return [
    `date: ${new Date().toISOString()}`,
    `cairn: ${CAIRN} at ${await text("git log -1 --format='%h %s' | cut -c1-100", checkout)}${
      (await text("git status --porcelain --untracked-files=no | head -1", checkout))
        ? " (+ uncommitted changes)"
        : ""
    }`,
    `machine: ${await text("nproc")} cores, ${await text(
      "free -g | awk '/Mem:/ {print $2}'",
    )} GiB RAM, Linux ${await text(
      "uname -r",
    )}; shared with ~8 other sessions working at the same time`,
    `load at start: ${await text("uptime")}`,
  ].join("\n");
}

if (import.meta.main) {
  const args = Deno.args;
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const quick = args.includes("--quick");
  const files = Number(opt("--files") ?? (quick ? 5_000 : 100_000));
  const outFile = opt("--out");
  // --loop-fs GiB: a fresh ext4 of that size, loop-mounted under $TMPDIR (root only), and
  // unmounted and deleted at the end. On a disk shared with other work, creating and
  // deleting millions of files there is several times faster than in a busy /tmp, and
  // cleaning up is one file. --dir: where the trees go otherwise (default $TMPDIR).
  const loopGiB = opt("--loop-fs");
  let mountDir: string | undefined;
  if (loopGiB) {
    if (Deno.uid() !== 0) throw new Error("--loop-fs needs root (mount)");
    mountDir = Deno.makeTempDirSync({ prefix: "cairn-issue16-fs-" });
    await shell(
      `truncate -s ${Number(loopGiB)}G '${mountDir}.img' && ` +
        `mkfs.ext4 -q -F -N 8000000 -E lazy_itable_init=1,lazy_journal_init=1 '${mountDir}.img' && ` +
        `mount -o loop,noatime '${mountDir}.img' '${mountDir}'`,
    );
  }
  const root = Deno.makeTempDirSync({ dir: mountDir ?? opt("--dir"), prefix: "cairn-issue16-" });
  const unmount = () => {
    if (!mountDir) return;
    const sh = (c: string) => new Deno.Command("sh", { args: ["-c", c] }).outputSync();
    if (!sh(`umount '${mountDir}'`).success) sh(`umount -l '${mountDir}'`);
    sh(`rm -f '${mountDir}.img' && rmdir '${mountDir}'`);
  };
  const cleanup = () => {
    if (mountDir) unmount();
    else new Deno.Command("rm", { args: ["-rf", root] }).outputSync();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", cleanup);
  Deno.addSignalListener("SIGTERM", cleanup);
  const parts = [await header()];
  try {
    if (args.includes("--scale")) {
      const sizes = (opt("--scale-sizes") ?? (quick ? "5000,50000" : "100000,1000000"))
        .split(",").map(Number);
      parts.push(
        `\n## Scale: ${
          sizes.map(K).join(" then ")
        } files of 1 KiB in 100 folders, each operation once${
          args.includes("--scale-copy-refs")
            ? ""
            : " (cp -r references left out: --scale-copy-refs)"
        }\n`,
      );
      // --ops add,push: only those rows (add always runs: the others need its cache).
      const ops = opt("--ops")?.split(",") as Op[] | undefined;
      parts.push(await scale(root, sizes, args.includes("--scale-copy-refs"), ops));
    }
    if (args.includes("--big")) {
      const mib = Number(opt("--big-mib") ?? (quick ? 1024 : 10240));
      parts.push(`\n## One big file\n`);
      parts.push(await big(root, mib));
    }
    if (!args.includes("--scale") && !args.includes("--big")) {
      parts.push(
        `\n## ${
          K(files)
        } files of 1 KiB in 100 folders, local-folder remote; best of 2 runs (start-up: of 5-7)\n`,
      );
      parts.push(renderTable(await table(root, quick, files)));
    }
    parts.push(`\nload at end: ${(await measureShell("uptime")).stdout.trim()}`);
  } finally {
    if (mountDir) unmount();
    else await rmrf(root);
  }
  const text = parts.join("\n") + "\n";
  console.log(text);
  if (outFile) Deno.writeTextFileSync(outFile, text);
}
