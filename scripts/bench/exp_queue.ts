/**
 * The experiment queue (issue 12), on a 2-stage pipeline whose stages sleep
 * 1 s, with `scripts/cairn` spawned in a temp git repo:
 *  - N queued experiments run by `queue start -j N/2` (the detached worker;
 *    timed until it exits)  vs  2 experiments run one after the other in
 *    the workspace (`exp run`). Full: N = 8; quick: N = 4. Target <= 1.5x.
 *  - start of a queued experiment: from the worker taking it off the queue
 *    (its log file is created then) to its first stage running (the stage
 *    writes a timestamp first). Target <= 0.3 s.
 *  - `queue start` to the first stage running (includes starting the
 *    detached cairn process; reported, no target).
 * DVC's celery queue takes seconds per start (its workers are separate
 * processes started through a broker); no DVC figure was measured here.
 *   deno run -A scripts/bench/exp_queue.ts [--quick]
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchRow } from "../bench.ts";
import { tryAcquireRepoLock } from "../../lib/fs/repo_lock.ts";

const CAIRN = join(dirname(fileURLToPath(import.meta.url)), "..", "cairn");
const ENV = {
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@x",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@x",
};

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env: ENV,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}): ${dec.decode(out.stderr)}${
        dec.decode(out.stdout)
      }`,
    );
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** A repo with the 2-stage pipeline; `ts` collects the stages' start times (epoch ns). */
async function makeRepo(dir: string, ts: string): Promise<void> {
  Deno.mkdirSync(dir, { recursive: true });
  await run("git", ["init", "-q", "-b", "main"], dir);
  await run(CAIRN, ["init", "-q"], dir);
  Deno.writeTextFileSync(join(dir, "params.yaml"), "p: 0\n");
  Deno.writeTextFileSync(
    join(dir, "dvc.yaml"),
    `stages:
  one:
    cmd: date +%s%N >> ${ts}; sleep 1; cat params.yaml > a.txt
    params:
    - p
    outs:
    - a.txt
  two:
    cmd: sleep 1; cp a.txt b.txt
    deps:
    - a.txt
    outs:
    - b.txt
`,
  );
  await run(CAIRN, ["repro", "-q"], dir);
  await run("git", ["add", "-A"], dir);
  await run("git", ["commit", "-qm", "pipeline"], dir);
  Deno.writeTextFileSync(ts, "");
}

function workerGone(dir: string): boolean {
  const lock = tryAcquireRepoLock(join(dir, ".dvc/tmp/exps/cairn-worker.lock"));
  if (!lock) return false;
  lock.release();
  return true;
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stageStarts(ts: string): number[] {
  return Deno.readTextFileSync(ts).split("\n").filter(Boolean).map((l) => Number(l) / 1e6);
}

export async function run_(opts: BenchOptions): Promise<BenchRow[]> {
  const n = opts.quick ? 4 : 8;
  const jobs = n / 2;
  const rows: BenchRow[] = [];

  // reference: 2 experiments one after the other in the workspace
  const ws = join(opts.workDir, "ws");
  await makeRepo(ws, join(opts.workDir, "ws.ts"));
  const ref = await timed(async () => {
    await run(CAIRN, ["exp", "run", "-S", "p=1", "-q"], ws);
    await run(CAIRN, ["exp", "run", "-S", "p=2", "-q"], ws);
  });

  // N queued experiments, `queue start -j N/2`, until the worker exits
  const q = join(opts.workDir, "q");
  const qts = join(opts.workDir, "q.ts");
  await makeRepo(q, qts);
  const values = Array.from({ length: n }, (_, i) => String(i + 1)).join(",");
  await run(CAIRN, ["exp", "run", "--queue", "-S", `p=${values}`, "-q"], q);
  const t0 = Date.now();
  const queued = await timed(async () => {
    await run(CAIRN, ["queue", "start", "-j", String(jobs)], q);
    await waitFor(() => workerGone(q), 600_000);
  });
  const firstStage = Math.min(...stageStarts(qts)) - t0;
  rows.push({
    name: `exp queue: ${n} queued (2 stages x 1 s), queue start -j ${jobs}`,
    value: queued,
    unit: "s",
    reference: "2 exp run in the workspace",
    referenceValue: ref,
    ratio: queued / ref,
    target: "<= 1.5x",
  });

  // start of one queued experiment: taken off the queue -> first stage running
  const s = join(opts.workDir, "s");
  const sts = join(opts.workDir, "s.ts");
  await makeRepo(s, sts);
  const latencies: number[] = [];
  for (let k = 0; k < (opts.quick ? 2 : 4); k++) {
    Deno.writeTextFileSync(sts, "");
    await run(CAIRN, ["exp", "run", "--queue", "-S", `p=${10 + k}`, "-q"], s);
    await run(CAIRN, ["exp", "run", "--run-all"], s);
    const runs = join(s, ".dvc/tmp/exps/run");
    const newest = [...Deno.readDirSync(runs)].map((e) => {
      const st = Deno.statSync(join(runs, e.name, `${e.name}.out`));
      return (st.birthtime ?? st.mtime)!.getTime();
    }).sort((a, b) => b - a)[0];
    latencies.push((stageStarts(sts)[0] - newest) / 1000);
  }
  rows.push({
    name: "exp queue: taken off the queue -> first stage running",
    value: Math.min(...latencies),
    unit: "s",
    target: "<= 0.3 s",
  });
  rows.push({
    name: "exp queue: `queue start` -> first stage (incl. worker process start)",
    value: firstStage / 1000,
    unit: "s",
  });
  return rows;
}

export { run_ as run };

if (import.meta.main) {
  const workDir = Deno.makeTempDirSync({ prefix: "cairn-bench-q-" });
  try {
    for (const r of await run_({ quick: Deno.args.includes("--quick"), workDir })) {
      console.log(
        `${r.name}: ${r.value.toFixed(3)} ${r.unit}` +
          (r.referenceValue !== undefined
            ? ` (ref ${r.referenceValue.toFixed(3)}, ratio ${r.ratio!.toFixed(2)})`
            : "") +
          (r.target ? ` target ${r.target}` : ""),
      );
    }
  } finally {
    Deno.removeSync(workDir, { recursive: true });
  }
}
