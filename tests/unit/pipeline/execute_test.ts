import { assert, assertEquals, assertRejects } from "../../_rig/assert.ts";
import { executeJobs } from "../../../lib/pipeline/execute.ts";
import {
  LinePrefixer,
  runCommand,
  StageCmdFailedError,
} from "../../../lib/pipeline/run_command.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves after pending timers and I/O callbacks had their turn (a few macrotasks). */
async function idle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

Deno.test("jobs=1 keeps plan order; failure stops; keep-going skips descendants only", async () => {
  const order: number[] = [];
  // 0 -> 1 -> 2 ; 3 independent
  const deps = [[], [0], [1], []];
  const r = await executeJobs(4, deps, async (i) => {
    order.push(i);
    await sleep(1);
    if (i === 1) throw new Error("boom");
    return true;
  });
  assertEquals(order, [0, 1]);
  assertEquals(r.failed, [1]);
  assertEquals(r.outcomes[3].status, "not-run");

  const order2: number[] = [];
  const skipped: number[] = [];
  const r2 = await executeJobs(4, deps, async (i) => {
    order2.push(i);
    await sleep(1);
    if (i === 1) throw new Error("boom");
    return true;
  }, { onError: "keep-going", onSkip: (j) => skipped.push(j) });
  assertEquals(order2, [0, 1, 3]);
  assertEquals(skipped, [2]);
  assertEquals(r2.outcomes[2], { status: "skipped", because: 1 });

  const order3: number[] = [];
  await executeJobs(4, deps, async (i) => {
    order3.push(i);
    await sleep(1);
    if (i === 1) throw new Error("boom");
    return true;
  }, { onError: "ignore" });
  assertEquals(order3, [0, 1, 2, 3]);
});

Deno.test("jobs=2 overlaps independent jobs and respects dependencies", async () => {
  const log: string[] = [];
  // 0 and 1 independent, 2 needs both. Each of 0 and 1 waits at a barrier
  // until both have started: that only happens when they overlap (run one
  // after the other, the first would never get past it and the test fails
  // on the barrier's check below instead of timing anything).
  let started = 0;
  let bothStarted!: () => void;
  const barrier = new Promise<void>((r) => (bothStarted = r));
  await executeJobs(3, [[], [], [0, 1]], async (i) => {
    log.push(`start ${i}`);
    if (i < 2) {
      if (++started === 2) bothStarted();
      // jobs=1 would leave the first job waiting here forever: give up once the
      // event loop is idle without the other job having started.
      await Promise.race([barrier, idle().then(() => assert(started === 2, "jobs overlap"))]);
    }
    await sleep(5);
    log.push(`end ${i}`);
    return true;
  }, { jobs: 2 });
  // both intervals [start, end] of 0 and 1 overlap; 2 starts after both ended
  assertEquals(log.slice(0, 2), ["start 0", "start 1"]);
  assert(log.indexOf("start 1") < log.indexOf("end 0"), log.join(", "));
  assert(log.indexOf("start 0") < log.indexOf("end 1"), log.join(", "));
  assert(log.indexOf("start 2") > Math.max(log.indexOf("end 0"), log.indexOf("end 1")));
  assertEquals(log.slice(-2), ["start 2", "end 2"]);
});

Deno.test("jobs=2 with keep-going: failure stops its descendants only", async () => {
  const ran: number[] = [];
  // 0 fails; 1 <- 0 ; 2, 3 independent
  const r = await executeJobs(4, [[], [0], [], [2]], async (i) => {
    ran.push(i);
    await sleep(20);
    if (i === 0) throw new Error("x");
    return true;
  }, { jobs: 2, onError: "keep-going" });
  assertEquals(ran.sort(), [0, 2, 3]);
  assertEquals(r.outcomes[1].status, "skipped");
  assertEquals(r.failed, [0]);
});

Deno.test("force-downstream forces dependents of a changed job", async () => {
  const forced: boolean[] = [];
  await executeJobs(3, [[], [0], []], async (i, ctx) => {
    await sleep(1);
    forced[i] = ctx.force;
    return i === 0;
  }, { forceDownstream: true });
  assertEquals(forced, [false, true, false]);
});

Deno.test("runCommand: env, cwd, failure code, prefixed capture", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const chunks: string[] = [];
    const pre = new LinePrefixer("[s] ", (t) => chunks.push(t));
    await runCommand('printf "a\\nb" ; echo "$DVC_STAGE" > stage.txt; pwd > where.txt', {
      cwd: dir,
      env: { DVC_STAGE: "train", SHELL: "/bin/sh" },
      sink: (_s, d) => pre.push(d),
    });
    pre.flush();
    assertEquals(chunks.join(""), "[s] a\n[s] b\n");
    assertEquals(Deno.readTextFileSync(`${dir}/stage.txt`), "train\n");
    assertEquals(
      Deno.realPathSync(Deno.readTextFileSync(`${dir}/where.txt`).trim()),
      Deno.realPathSync(dir),
    );
    await assertRejects(
      () => runCommand("exit 3", { cwd: dir, sink: () => {} }),
      (e: unknown) =>
        e instanceof StageCmdFailedError && e.message === "failed to run: exit 3, exited with 3",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("abort kills the whole process group of a running command", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const ac = new AbortController();
    // Abort once the command says its background child is running (not after a guessed delay).
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const p = runCommand("sleep 30 & echo $! > bg.pid; echo started; sleep 31", {
      cwd: dir,
      signal: ac.signal,
      sink: (_stream, data) => {
        if (new TextDecoder().decode(data).includes("started")) started();
      },
      killGraceMs: 200,
    });
    await running;
    const bg = Number(Deno.readTextFileSync(`${dir}/bg.pid`).trim());
    ac.abort(new Error("stop"));
    await assertRejects(() => p, Error, "stop");
    const alive = () => {
      try {
        return !/\) Z /.test(Deno.readTextFileSync(`/proc/${bg}/stat`));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    };
    // SIGINT, SIGTERM after 200 ms, SIGKILL after 400 ms: gone well within 10 s.
    for (let i = 0; i < 100 && alive(); i++) await sleep(100);
    assert(!alive(), "background child still alive");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
