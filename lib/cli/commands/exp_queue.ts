/**
 * The experiment queue on the command line: `exp run --queue|--run-all|--temp`
 * (called from exp.ts) and `queue start|stop|status|logs|kill|remove`, plus
 * the hidden `queue _worker` a detached `queue start` runs.
 */
import { fileURLToPath } from "node:url";
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson, repoFor } from "../context.ts";
import { ignoreNotFound, InterruptedError, UsageError } from "../../errors.ts";
import { onInterrupt } from "../../interrupt.ts";
import { reproEventLine } from "../render/repro.ts";
import type { Repo } from "../../repo/repo.ts";
import type { ReproOptions } from "../../repo/reproduce.ts";
import type { QueuedReproArgs } from "../../repo/exp/queue.ts";
import type { QueueEntry } from "../../repo/exp/queue_store.ts";
import type { RunSink, WorkerResult } from "../../repo/exp/worker.ts";
import { gpusOf, type ReproFlags } from "./repro.ts";

const enc = new TextEncoder();

/** The command line that runs this cairn again (compiled binary or `deno run cli.ts`). */
function selfCommand(args: string[]): string[] {
  const exe = Deno.execPath();
  if (!/(^|\/)deno$/.test(exe)) return [exe, ...args];
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  return [exe, "run", "-q", "-P=cairn", "--config", `${root}deno.json`, `${root}cli.ts`, ...args];
}

function intArg(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`argument ${flag}: invalid value '${v}'`);
  return n;
}

/** The repro flags a queued experiment keeps. */
export function queuedReproArgs(o: ReproFlags): QueuedReproArgs {
  return {
    force: o.force,
    singleItem: o.singleItem,
    pipeline: o.pipeline,
    allPipelines: o.allPipelines,
    recursive: o.recursive,
    downstream: o.downstream,
    forceDownstream: o.forceDownstream,
    glob: o.glob,
    keepGoing: o.keepGoing,
    ignoreErrors: o.ignoreErrors,
    pull: o.pull,
    allowMissing: o.allowMissing,
    noCommit: o.commit === false,
    noRunCache: o.runCache === false,
    gpus: gpusOf(o.gpus),
  };
}

/** Python repr of `{file: [overrides]}` as DVC prints "Queueing with overrides". */
function overridesRepr(items: string[]): string {
  const byFile = new Map<string, string[]>();
  for (const it of items) {
    const eq = it.indexOf("=");
    const head = eq === -1 ? it : it.slice(0, eq);
    const colon = head.lastIndexOf(":");
    const file = colon === -1 ? "params.yaml" : head.slice(0, colon);
    const rest = colon === -1 ? it : it.slice(colon + 1);
    byFile.set(file, [...(byFile.get(file) ?? []), rest]);
  }
  const q = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  return `{${[...byFile].map(([f, l]) => `${q(f)}: [${l.map(q).join(", ")}]`).join(", ")}}`;
}

export interface QueueRunFlags extends ReproFlags {
  setParam: string[];
  name?: string;
  message?: string;
  queue?: boolean;
  runAll?: boolean;
  temp?: boolean;
}

/**
 * Run the queue in this process until it is empty (`exp run --run-all`, the
 * detached worker). Ctrl-C stops every run: their worktrees are removed and
 * they are recorded as failed.
 */
async function runQueueHere(
  ctx: CliContext,
  repo: Repo,
  jobs: number | (() => number),
  opts: { quiet?: boolean; signal?: AbortSignal; stayIdle?: boolean; gpus?: number } = {},
): Promise<WorkerResult> {
  const { runQueue, stopRequestPath } = await import("../../repo/exp/worker.ts");
  try {
    Deno.removeSync(stopRequestPath(repo));
  } catch (err) {
    ignoreNotFound(err); // no stale request
  }
  const ctrl = new AbortController();
  const unregister = onInterrupt(() => ctrl.abort(new InterruptedError()));
  const files = new Map<string, RunSink & { file: Deno.FsFile }>();
  const { sinkFor } = await prepareSinks(repo, files);
  try {
    return await runQueue(repo, {
      jobs,
      gpus: opts.gpus,
      stayIdle: opts.stayIdle,
      signal: opts.signal ? AbortSignal.any([ctrl.signal, opts.signal]) : ctrl.signal,
      sinkFor,
      onStart: (entry) => {
        if (!opts.quiet) ctx.io.info(`Running experiment '${entry.name}'`);
      },
      onFail: (entry, error) => {
        const msg = error instanceof Error ? error.message : String(error);
        files.get(entry.stashRev)?.file.writeSync(enc.encode(`ERROR: ${msg}\n`));
        if (!opts.quiet) ctx.io.warn(`Failed to reproduce experiment '${entry.name}': ${msg}`);
      },
      onDone: (entry) => {
        if (!opts.quiet) ctx.io.info(`Experiment '${entry.name}' is done`);
      },
    });
  } finally {
    unregister();
  }
}

/** Open log files lazily: wraps sinkFor so every popped entry gets one. */
function prepareSinks(
  repo: Repo,
  files: Map<string, RunSink & { file: Deno.FsFile }>,
): Promise<{ sinkFor: (entry: QueueEntry) => RunSink }> {
  return import("../../repo/exp/queue_store.ts").then(({ logFilePath, runDir }) => ({
    sinkFor: (entry: QueueEntry) => {
      Deno.mkdirSync(runDir(repo, entry.stashRev), { recursive: true });
      const file = Deno.openSync(logFilePath(repo, entry.stashRev), {
        write: true,
        create: true,
        truncate: true,
      });
      const write = (t: string) => file.writeSync(enc.encode(t));
      write(`Reproducing experiment '${entry.name ?? entry.stashRev.slice(0, 7)}'\n`);
      const sink: RunSink & { file: Deno.FsFile } = {
        file,
        repro: {
          onEvent: (e) => {
            const line = reproEventLine(e, false);
            if (line) write(line.text + "\n");
          },
          onOutput: (_address, _stream, data) => {
            file.writeSync(data);
          },
        },
        close: () => {
          files.delete(entry.stashRev);
          file.close();
        },
      };
      files.set(entry.stashRev, sink);
      return sink;
    },
  }));
}

/** `exp run --queue | --run-all | --temp`. */
export async function expRunQueued(
  ctx: CliContext,
  targets: string[],
  o: QueueRunFlags,
  reproFor: () => Partial<ReproOptions>,
): Promise<void> {
  const repo = repoFor(ctx);
  if (o.runAll) {
    if (o.queue || o.temp) throw new UsageError("--run-all cannot be combined with --queue/--temp");
    const res = await runQueueHere(ctx, repo, intArg(o.jobs, "-j/--jobs", 1), {
      gpus: gpusOf(o.gpus),
    });
    reportRun(ctx, res);
    return;
  }
  if (o.dry) throw new UsageError("'exp run --dry' is not supported: use 'cairn repro --dry'");
  const { queueExperiments } = await import("../../repo/exp/queue.ts");
  const { isSweep } = await import("../../repo/exp/sweep.ts");
  if (o.temp && isSweep(o.setParam)) {
    throw new UsageError("Sweep overrides can't be used without `--queue`");
  }
  const queued = await queueExperiments(repo, targets, {
    setParams: o.setParam,
    name: o.name,
    message: o.message,
    repro: queuedReproArgs(o),
    force: o.force,
    noQueue: o.temp,
  });
  if (o.queue) {
    for (const q of queued) {
      if (q.setParams.length) {
        ctx.io.info(`Queueing with overrides '${overridesRepr(q.setParams)}'.`);
      }
      ctx.io.info(`Queued experiment '${q.entry.name}' for future execution.`);
    }
    return;
  }
  // --temp: our stash commit never went on the queue; run it here, output to the terminal
  const { runQueuedExperiment } = await import("../../repo/exp/run_queued.ts");
  const entry = queued[0].entry;
  const ctrl = new AbortController();
  const unregister = onInterrupt(() => ctrl.abort(new InterruptedError()));
  try {
    let lastEvent = "";
    const repro = reproFor();
    const onEvent = repro.onEvent;
    const res = await runQueuedExperiment(repo, entry, {
      onStart: (name) => ctx.io.info(`Reproducing experiment '${name}'`),
      repro: {
        ...repro,
        signal: ctrl.signal,
        onEvent: (e) => {
          lastEvent = e.type;
          onEvent?.(e);
        },
      },
    });
    if (lastEvent === "lock") ctx.io.info("");
    ctx.io.info(`Ran experiment(s): ${res.name}`);
  } finally {
    unregister();
  }
}

function reportRun(ctx: CliContext, res: WorkerResult): void {
  if (res.succeeded.length) {
    ctx.io.info(`Ran experiment(s): ${res.succeeded.map((s) => s.result.name).join(", ")}`);
  }
  if (res.interrupted) throw new InterruptedError();
  if (res.failed.length) {
    ctx.exitCode = 1;
    ctx.io.err(
      `ERROR: Failed to reproduce experiment(s) ${
        res.failed.map((f) => `'${f.entry.name}'`).join(", ")
      }: see 'cairn queue logs NAME'`,
    );
  }
}

function fmtCreated(ts: number): string {
  const d = new Date(ts * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  if (d.toDateString() === new Date().toDateString()) {
    const h = d.getHours() % 12 || 12;
    return `${p(h)}:${p(d.getMinutes())} ${d.getHours() < 12 ? "AM" : "PM"}`;
  }
  const mon = d.toLocaleString("en-US", { month: "short" });
  return `${mon} ${p(d.getDate())}, ${d.getFullYear()}`;
}

/**
 * `queue start --runner slurm`: one batch job per queued experiment, each
 * running `cairn queue _run <stash rev>` in the repo (which must be on a
 * filesystem the compute nodes share). Returns once Slurm has them all; the
 * entries stay queued until their job starts, and `queue status` / `exp show`
 * follow them as for a local worker.
 */
async function submitQueueToSlurm(
  ctx: CliContext,
  repo: ReturnType<typeof repoFor>,
  gpus: number | undefined,
): Promise<void> {
  const { listQueued } = await import("../../repo/exp/queue_store.ts");
  const { loadCairnConfig } = await import("../../config/cairn_config.ts");
  const { jobSettings, sbatchArgs } = await import("../../../plugins/runner_slurm/slurm.ts");
  const { shQuote, submitJob } = await import("../../../plugins/runner_slurm/mod.ts");
  const { writeTextAtomic } = await import("../../fs/atomic_write.ts");
  const settings = jobSettings(undefined, loadCairnConfig(repo.root).slurm, "queue");
  const dir = `${repo.root}/.dvc/tmp/slurm`;
  const queued = listQueued(repo);
  if (!queued.length) {
    ctx.io.info("No experiments in the queue.");
    return;
  }
  for (const e of queued) { // oldest first, as a worker takes them
    const argv = selfCommand([
      "queue",
      "_run",
      e.stashRev,
      ...(gpus === undefined ? [] : ["--gpus", String(gpus)]),
    ]);
    const script = `${dir}/exp-${e.stashRev}.sh`;
    writeTextAtomic(
      script,
      `#!/bin/sh\n# cairn queued experiment ${e.name}\ncd ${shQuote(repo.root)} || exit 1\n` +
        `exec ${argv.map(shQuote).join(" ")}\n`,
      { mkdirs: true, fsync: false },
    );
    try {
      const id = await submitJob({
        script,
        name: `cairn-exp:${e.name}`.replace(/[^A-Za-z0-9_.:@+-]/g, "_"),
        // the experiment's own log is run/<rev>/<rev>.out (queue logs); these catch the rest
        out: `${dir}/exp-${e.stashRev}.out`,
        err: `${dir}/exp-${e.stashRev}.err`,
        cwd: repo.root,
        env: Deno.env.toObject(),
        args: sbatchArgs(settings),
        what: `experiment '${e.name}'`,
      });
      ctx.io.info(`Submitted experiment '${e.name}' as Slurm job ${id}.`);
    } finally {
      // sbatch keeps its own copy of the script
      try {
        Deno.removeSync(script);
      } catch { /* best effort: gone, or cleanup must not mask sbatch's error */ }
    }
  }
}

export function registerQueue(program: Command, ctx: CliContext): void {
  const queue = program.command("queue").description(
    "Run queued experiments (exp run --queue) with local workers; no broker needed.",
  );

  defineCommand(
    queue,
    ctx,
    "start",
    "Start the experiments queue worker (detached; survives the terminal).",
    (c) =>
      c.option("-j, --jobs <number>", "Experiments to run at once. Defaults to 1.")
        .option("--gpus <number>", "GPUs of this machine (default: nvidia-smi -L) (cairn only).")
        .option(
          "--runner <name>",
          "slurm: submit every queued experiment as a Slurm batch job instead of starting " +
            "a local worker (cairn only, see docs/slurm.md).",
        ),
    async (o: { jobs?: string; gpus?: string; runner?: string }) => {
      const jobs = intArg(o.jobs, "-j/--jobs", 1);
      const gpus = gpusOf(o.gpus);
      const repo = repoFor(ctx);
      if (o.runner !== undefined) {
        if (o.runner !== "slurm") {
          throw new UsageError(
            `argument --runner: invalid choice: '${o.runner}' (choose from 'slurm')`,
          );
        }
        await submitQueueToSlurm(ctx, repo, gpus);
        return;
      }
      const { startDetachedWorker, workerAlive, stopRequestPath } = await import(
        "../../repo/exp/worker.ts"
      );
      const { execTmpDir } = await import("../../repo/exp/queue_store.ts");
      const { writeTextAtomic } = await import("../../fs/atomic_write.ts");
      const jobsFile = `${execTmpDir(repo)}/cairn-worker.jobs`;
      if (workerAlive(repo)) {
        writeTextAtomic(jobsFile, `${jobs}\n`, { mkdirs: true });
        ctx.io.info(`Started '0' new experiments task queue workers.`);
        return;
      }
      try {
        Deno.removeSync(stopRequestPath(repo));
      } catch (err) {
        ignoreNotFound(err); // no stop request
      }
      writeTextAtomic(jobsFile, `${jobs}\n`, { mkdirs: true });
      // returns once the worker holds its lock, so `queue status` right after sees it
      await startDetachedWorker(
        repo,
        selfCommand(["queue", "_worker", ...(gpus === undefined ? [] : ["--gpus", String(gpus)])]),
      );
      ctx.io.info(`Started '${jobs}' new experiments task queue worker${jobs > 1 ? "s" : ""}.`);
    },
  );

  const worker = queue.command("_worker", { hidden: true }).option("--gpus <number>");
  worker.action(async (wo: { gpus?: string }) => {
    const repo = repoFor(ctx);
    const { takeWorkerLock } = await import("../../repo/exp/worker.ts");
    const { execTmpDir } = await import("../../repo/exp/queue_store.ts");
    const lock = await takeWorkerLock(repo);
    if (!lock) return; // another worker runs the queue
    const jobsFile = `${execTmpDir(repo)}/cairn-worker.jobs`;
    const jobs = () => {
      try {
        return Number(Deno.readTextFileSync(jobsFile).trim()) || 1;
      } catch (err) {
        ignoreNotFound(err);
        return 1;
      }
    };
    const ctrl = new AbortController();
    const stop = () => ctrl.abort(new InterruptedError());
    const sigs: Deno.Signal[] = ["SIGTERM", "SIGINT"];
    for (const s of sigs) Deno.addSignalListener(s, stop);
    // the terminal that started us closing is no reason to stop
    const ignore = () => {};
    Deno.addSignalListener("SIGHUP", ignore);
    try {
      await runQueueHere(ctx, repo, jobs, {
        quiet: true,
        signal: ctrl.signal,
        gpus: gpusOf(wo.gpus),
      });
    } finally {
      for (const s of sigs) Deno.removeSignalListener(s, stop);
      Deno.removeSignalListener("SIGHUP", ignore);
      lock.release();
    }
  });

  // one queued experiment, by name or stash rev (what a batch job on another node runs)
  queue.command("_run", { hidden: true }).argument("<task>").option("--gpus <number>")
    .action(async (task: string, ro: { gpus?: string }) => {
      const repo = repoFor(ctx);
      const { CELERY_STASH, dropStash, listQueued, lockQueue } = await import(
        "../../repo/exp/queue_store.ts"
      );
      const { runQueuedExperiment } = await import("../../repo/exp/run_queued.ts");
      const lock = await lockQueue(repo);
      let entry: QueueEntry | undefined;
      try {
        const queued = listQueued(repo);
        entry = queued.find((e) => e.name === task) ??
          queued.find((e) => /^[0-9a-f]{4,40}$/.test(task) && e.stashRev.startsWith(task));
        if (entry) dropStash(repo, CELERY_STASH, [entry.index], queued.length);
      } finally {
        lock.release();
      }
      if (!entry) throw new UsageError(`'${task}' is not a queued experiment`);
      const files = new Map<string, RunSink & { file: Deno.FsFile }>();
      const sink = (await prepareSinks(repo, files)).sinkFor(entry);
      const ctrl = new AbortController();
      const stop = () => ctrl.abort(new InterruptedError());
      const unregister = onInterrupt(stop);
      // Slurm's scancel (and a batch system's time limit) sends SIGTERM first: stop as for
      // Ctrl-C, so the run is recorded as failed and its worktree removed. `queue kill NAME`
      // leaves a request file, as for a worker's runs.
      Deno.addSignalListener("SIGTERM", stop);
      const { killRequestPath } = await import("../../repo/exp/worker.ts");
      const killFile = killRequestPath(repo, entry.stashRev);
      const watch = setInterval(() => {
        try {
          Deno.statSync(killFile);
          stop();
        } catch (err) {
          ignoreNotFound(err); // no request
        }
      }, 200);
      try {
        const res = await runQueuedExperiment(repo, entry, {
          repro: {
            ...sink.repro,
            gpus: gpusOf(ro.gpus),
            signal: ctrl.signal,
          },
        });
        ctx.io.info(`Ran experiment(s): ${res.name}`);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        files.get(entry.stashRev)?.file.writeSync(enc.encode(`ERROR: ${msg}\n`));
        throw err;
      } finally {
        clearInterval(watch);
        Deno.removeSignalListener("SIGTERM", stop);
        sink.close?.();
        unregister();
      }
    });

  defineCommand(
    queue,
    ctx,
    "stop",
    "Stop the queue worker once running experiments finish.",
    (c) => c.option("--kill", "Kill all running experiments before stopping the worker."),
    async (o: { kill?: boolean }) => {
      const repo = repoFor(ctx);
      const { stopRequestPath } = await import("../../repo/exp/worker.ts");
      const { writeTextAtomic } = await import("../../fs/atomic_write.ts");
      writeTextAtomic(stopRequestPath(repo), o.kill ? "kill\n" : "stop\n", { mkdirs: true });
      ctx.io.info(
        o.kill
          ? "All running tasks in the queue have been killed.Queue workers are stopping."
          : "Queue workers will stop after running tasks finish.",
      );
    },
  );

  defineCommand(
    queue,
    ctx,
    "status",
    "Show the status of experiments queue tasks and workers.",
    (c) => c.option("--json", "Show output in JSON format."),
    async (o: { json?: boolean }) => {
      const repo = repoFor(ctx);
      const { queueStatus } = await import("../../repo/exp/queue.ts");
      const { workerAlive } = await import("../../repo/exp/worker.ts");
      const rows = queueStatus(repo);
      const alive = workerAlive(repo);
      const active = alive && rows.some((r) => r.status === "Running") ? 1 : 0;
      if (o.json) {
        printJson(ctx, {
          tasks: rows.map((r) => ({
            rev: r.rev,
            name: r.name,
            timestamp: r.timestamp,
            status: r.status,
          })),
          workers: { active, idle: alive ? 1 - active : 0 },
        });
        return;
      }
      const lines: string[] = [];
      if (rows.length) {
        const table = [["Task", "Name", "Created", "Status"]];
        for (const r of rows) {
          table.push([r.rev.slice(0, 7), r.name ?? "", fmtCreated(r.timestamp), r.status]);
        }
        const widths = table[0].map((_, i) => Math.max(...table.map((t) => t[i].length)));
        for (const t of table) {
          lines.push(t.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
        }
      } else lines.push("No experiment tasks in the queue.");
      lines.push("");
      lines.push(`Worker status: ${active} active, ${alive ? 1 - active : 0} idle`);
      ctx.io.out(lines.join("\n"));
    },
  );

  defineCommand(
    queue,
    ctx,
    "logs",
    "Show output logs for running and completed experiment queue tasks.",
    (c) =>
      c.argument("<task>", "Task to show.")
        .option("-e, --encoding <encoding>", "Text encoding for log output (utf-8 only).")
        .option("-f, --follow", "Attach to task and follow additional live output."),
    async (task: string, o: { follow?: boolean }) => {
      const repo = repoFor(ctx);
      const { findQueueRow } = await import("../../repo/exp/queue.ts");
      const { logFilePath } = await import("../../repo/exp/queue_store.ts");
      const { runIsAlive } = await import("../../repo/exp/run_lock.ts");
      const row = findQueueRow(repo, task);
      if (row.status === "Queued") {
        throw new UsageError(`Experiment '${task}' has not started running yet: no logs`);
      }
      const path = logFilePath(repo, row.rev);
      let offset = 0;
      const dump = () => {
        let data: Uint8Array;
        try {
          data = Deno.readFileSync(path);
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) return;
          throw err;
        }
        if (data.length > offset) {
          ctx.io.out(new TextDecoder().decode(data.subarray(offset)));
          offset = data.length;
        }
      };
      dump();
      if (!o.follow) return;
      while (runIsAlive(repo, row.rev)) {
        await new Promise((r) => setTimeout(r, 200));
        dump();
      }
      dump();
    },
  );

  defineCommand(
    queue,
    ctx,
    "kill",
    "Gracefully interrupt running experiment queue tasks (equivalent to Ctrl-C).",
    (c) =>
      c.argument("<task...>", "Tasks in queue to kill.")
        .option("-f, --force", "Forcefully and immediately kill running tasks."),
    async (tasks: string[]) => {
      const repo = repoFor(ctx);
      const { findQueueRow } = await import("../../repo/exp/queue.ts");
      const { killRequestPath } = await import("../../repo/exp/worker.ts");
      const { writeTextAtomic } = await import("../../fs/atomic_write.ts");
      const rows = tasks.map((t) => ({ t, row: findQueueRow(repo, t) }));
      const notRunning = rows.filter((r) => r.row.status !== "Running").map((r) => r.t);
      if (notRunning.length) {
        throw new UsageError(`Task '${notRunning.join("', '")}' is not running`);
      }
      for (const { row } of rows) {
        writeTextAtomic(killRequestPath(repo, row.rev), "kill\n", { mkdirs: true });
      }
    },
  );

  defineCommand(
    queue,
    ctx,
    "remove",
    "Remove queued and completed tasks from the queue.",
    (c) =>
      c.argument("[task...]", "Tasks in queue to remove.")
        .option("--all", "Remove all queued and completed tasks from the queue.")
        .option("--queued", "Remove all queued tasks from the queue.")
        .option("--success", "Remove all successful tasks from the queue.")
        .option("--failed", "Remove all failed tasks from the queue."),
    async (
      tasks: string[],
      o: { all?: boolean; queued?: boolean; success?: boolean; failed?: boolean },
    ) => {
      const flag = !!(o.all || o.queued || o.success || o.failed);
      if (flag === (tasks.length > 0)) {
        throw new UsageError(
          "Either provide an `tasks` argument, or use the `--all`, `--queued`, `--failed`, `--success` flag.",
        );
      }
      const { removeFromQueue } = await import("../../repo/exp/queue.ts");
      const removed = await removeFromQueue(repoFor(ctx), tasks, o);
      if (removed.length) ctx.io.out(`Removed tasks in queue: ${removed.join(", ")}`);
      else ctx.io.out(`No tasks found named ${JSON.stringify(tasks).replaceAll('"', "'")}`);
    },
  ).alias("rm");
}
