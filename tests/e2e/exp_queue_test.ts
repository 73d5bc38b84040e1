/**
 * e2e: the experiment queue with real git repos and real cairn processes —
 * grids queued as DVC stash entries, `--run-all -j 2` in temp worktrees,
 * failures with logs, the detached worker with `queue kill`, Ctrl-C, and
 * `--temp`. Stages wait on a "gate" directory instead of sleeping, so the
 * tests assert states (running, killed, released), never durations.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import { tryAcquireRepoLock } from "../../lib/fs/repo_lock.ts";
import {
  CAIRN,
  cairn,
  cairnOk,
  git,
  GIT_ENV,
  makeRepo,
  readText,
  removeDir,
  writeFiles,
} from "../_rig/rig.ts";

const TRAIN_PY = `import os, re, time, json, sys
c = float(re.search(r'C: *([-0-9.e]+)', open('params.yaml').read()).group(1))
print("training with", c, flush=True)
gate = os.environ.get("GATE_DIR")
if gate and c >= 100:
    open(os.path.join(gate, "started-%s-%d" % (c, os.getpid())), "w").close()
    for _ in range(1200):
        if os.path.exists(os.path.join(gate, "release")):
            break
        time.sleep(0.1)
if c < 0:
    sys.exit(3)
json.dump({"acc": c * 2}, open("metrics.json", "w"))
`;

const DVC_YAML = `stages:
  prep:
    cmd: python3 -c "open('data.txt','w').write('data')"
    outs:
    - data.txt
  train:
    cmd: python3 train.py
    deps:
    - data.txt
    - train.py
    params:
    - train
    metrics:
    - metrics.json:
        cache: false
`;

const PARAMS = "train:\n  C: 0.5   # regularisation\n  lr: 1\n";

function setup(): string {
  const dir = makeRepo();
  writeFiles(dir, { "params.yaml": PARAMS, "train.py": TRAIN_PY, "dvc.yaml": DVC_YAML });
  cairnOk(["repro", "-q"], { cwd: dir });
  git(["add", "-A"], dir);
  git(["commit", "-qm", "baseline"], dir);
  return dir;
}

function expRefs(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  const out = git(["for-each-ref", "--format=%(refname) %(objectname)", "refs/exps"], dir);
  for (const line of out.split("\n").filter(Boolean)) {
    const [ref] = line.split(" ");
    if (/^refs\/exps\/[0-9a-f]{2}\//.test(ref)) m.set(ref.split("/").at(-1)!, ref);
  }
  return m;
}

function worktrees(dir: string): string[] {
  return git(["worktree", "list", "--porcelain"], dir).split("\n")
    .filter((l) => l.startsWith("worktree "));
}

function tmpDirs(dir: string): string[] {
  try {
    return [...Deno.readDirSync(join(dir, ".dvc/tmp/exps"))].map((e) => e.name)
      .filter((n) => n.startsWith("tmp"));
  } catch {
    return [];
  }
}

function stashLog(dir: string, ref: string): string[] {
  const r = new Deno.Command("git", {
    args: ["reflog", "show", "--format=%gs", ref, "--"],
    cwd: dir,
    stdout: "piped",
    stderr: "null",
    env: GIT_ENV,
  }).outputSync();
  return r.code === 0 ? new TextDecoder().decode(r.stdout).split("\n").filter(Boolean) : [];
}

function statusRows(dir: string, env?: Record<string, string>): Map<string, string> {
  const out = cairnOk(["queue", "status"], { cwd: dir, env }).stdout;
  const m = new Map<string, string>();
  for (const line of out.split("\n").slice(1)) {
    const parts = line.trim().split(/\s{2,}/);
    if (parts.length === 4) m.set(parts[1], parts[3]);
  }
  return m;
}

/** Bounded wait for a state (not a timing assertion: the bound only stops a hung test). */
async function waitUntil(what: string, cond: () => boolean, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function started(gate: string): { c: string; pid: number }[] {
  return [...Deno.readDirSync(gate)].map((e) => /^started-(.+)-(\d+)$/.exec(e.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ c: m[1], pid: Number(m[2]) }));
}

/** A process that exists and is not a zombie (an orphan may wait for a reaper). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

const DVC_STASH_MSG = /^commit: dvc-exp:[0-9a-f]{40}:[0-9a-f]{40}:[^~^:\\?[\]*]*$/;

Deno.test("queue: a grid is queued as DVC stash entries; --run-all -j 2 runs it in temp worktrees", () => {
  const dir = setup();
  try {
    const head = git(["rev-parse", "HEAD"], dir).trim();
    const q = cairnOk(
      ["exp", "run", "--queue", "-S", "train.C=0.1,0.2", "-S", "train.lr=range(1, 3)", "-n", "g"],
      { cwd: dir },
    );
    const out = q.stdout + q.stderr;
    for (
      const [i, o] of [
        "C=0.1', 'train.lr=1",
        "C=0.1', 'train.lr=2",
        "C=0.2', 'train.lr=1",
        "C=0.2', 'train.lr=2",
      ].entries()
    ) {
      assert(out.includes(`Queueing with overrides '{'params.yaml': ['train.${o}']}'.`), out);
      assert(out.includes(`Queued experiment 'g-${i + 1}' for future execution.`), out);
    }
    const log = stashLog(dir, "refs/exps/celery/stash");
    assertEquals(log.length, 4);
    for (const l of log) assertMatch(l, DVC_STASH_MSG);
    assertEquals(log[0], `commit: dvc-exp:${head}:${head}:g-4`);
    // the stash commit carries the overrides; the workspace, index and HEAD do not move
    assertEquals(
      git(["show", "refs/exps/celery/stash@{3}:params.yaml"], dir),
      "train:\n  C: 0.1   # regularisation\n  lr: 1\n",
    );
    assertEquals(git(["status", "--porcelain"], dir), "");
    assertEquals(readText(dir, "params.yaml"), PARAMS);
    assertEquals(git(["rev-parse", "HEAD"], dir).trim(), head);
    const st = statusRows(dir);
    assertEquals([...st.values()], ["Queued", "Queued", "Queued", "Queued"]);

    const r = cairnOk(["exp", "run", "--run-all", "-j", "2"], { cwd: dir });
    assertMatch(r.stdout + r.stderr, /Ran experiment\(s\): /);
    const refs = expRefs(dir);
    assertEquals([...refs.keys()].sort(), ["g-1", "g-2", "g-3", "g-4"]);
    assertEquals(
      git(["show", `${refs.get("g-4")}:params.yaml`], dir),
      "train:\n  C: 0.2   # regularisation\n  lr: 2\n",
    );
    assertEquals(git(["show", `${refs.get("g-4")}:metrics.json`], dir), '{"acc": 0.4}');
    assertEquals(git(["log", "-1", "--format=%P", refs.get("g-1")!], dir).trim(), head);
    // bookkeeping stays out of the experiment
    const files = git(["ls-tree", "-r", "--name-only", refs.get("g-1")!], dir);
    assert(!files.includes("cairn-repro.json"), files);
    // temp workspaces are gone; the user's workspace never moved
    assertEquals(worktrees(dir).length, 1);
    assertEquals(tmpDirs(dir), []);
    assertEquals(stashLog(dir, "refs/exps/celery/stash"), []);
    assertEquals(readText(dir, "params.yaml"), PARAMS);
    assertEquals(git(["status", "--porcelain"], dir), "");
    assertEquals([...statusRows(dir).values()], ["Success", "Success", "Success", "Success"]);
    const logs = cairnOk(["queue", "logs", "g-2"], { cwd: dir }).stdout;
    assertMatch(logs, /Reproducing experiment 'g-2'/);
    assertMatch(logs, /training with 0.1/);
    const show = JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout);
    const exps = show[1].experiments as { name: string; executor: { state: string } }[];
    assertEquals(exps.length, 4);
    for (const e of exps) assertEquals(e.executor.state, "success");
  } finally {
    removeDir(dir);
  }
});

Deno.test("queue: bad input fails before anything is queued; a failed run keeps its log", () => {
  const dir = setup();
  try {
    const bad = cairn(["exp", "run", "--queue", "-S", "train.C=1,2", "-S", "train.nope=1"], {
      cwd: dir,
    });
    assert(bad.code !== 0);
    assertMatch(bad.stderr, /train\.nope/);
    assertMatch(bad.stderr, /params\.yaml/);
    assertEquals(stashLog(dir, "refs/exps/celery/stash"), []);
    const big = cairn(["exp", "run", "--queue", "-S", "train.C=range(0, 20000)"], { cwd: dir });
    assertEquals(big.code, 254);
    assertMatch(big.stderr, /20000 points.*--force/);
    assertEquals(stashLog(dir, "refs/exps/celery/stash"), []);
    const sweepTemp = cairn(["exp", "run", "--temp", "-S", "train.C=1,2"], { cwd: dir });
    assertEquals(sweepTemp.code, 254);

    cairnOk(["exp", "run", "--queue", "-S", "train.C=-1", "-n", "bad"], { cwd: dir });
    const r = cairn(["exp", "run", "--run-all"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /bad/);
    const failed = stashLog(dir, "refs/exps/celery/failed");
    assertEquals(failed.length, 1);
    assertMatch(failed[0], /^commit: dvc-exp:[0-9a-f]{40}:[0-9a-f]{40}:bad$/);
    assertEquals(statusRows(dir).get("bad"), "Failed");
    const logs = cairnOk(["queue", "logs", "bad"], { cwd: dir }).stdout;
    assertMatch(logs, /training with -1/);
    assertMatch(logs, /ERROR: .*exited with 3/);
    const show = JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout);
    const e = show[1].experiments[0];
    assertEquals(e.executor.state, "failed");
    assertEquals(e.executor.local.returncode, 1);
    assertMatch(e.executor.local.log, /\.out$/);
    assertEquals(e.revs[0].error, { msg: "Experiment run failed", type: "" });
    const table = cairnOk(["exp", "show", "--hide-failed", "--csv"], { cwd: dir }).stdout;
    assert(!table.includes("bad"), table);
    assertEquals(worktrees(dir).length, 1);
    assertEquals(tmpDirs(dir), []);
    const rm = cairnOk(["queue", "remove", "--failed"], { cwd: dir }).stdout;
    assertMatch(rm, /Removed tasks in queue: bad/);
    assertEquals(stashLog(dir, "refs/exps/celery/failed"), []);
    // exp remove --queue clears queued entries
    cairnOk(["exp", "run", "--queue", "-S", "train.C=3", "-n", "later"], { cwd: dir });
    assertMatch(cairnOk(["exp", "remove", "--queue"], { cwd: dir }).stdout, /later/);
    assertEquals(stashLog(dir, "refs/exps/celery/stash"), []);
    // exp remove NAME takes a queued experiment off the queue, as DVC does
    cairnOk(["exp", "run", "--queue", "-S", "train.C=4", "-n", "q1"], { cwd: dir });
    cairnOk(["exp", "run", "--queue", "-S", "train.C=5", "-n", "q2"], { cwd: dir });
    assertMatch(cairnOk(["exp", "remove", "q1"], { cwd: dir }).stdout, /Removed experiments: q1/);
    assertEquals(stashLog(dir, "refs/exps/celery/stash").map((l) => l.split(":").at(-1)), ["q2"]);
  } finally {
    removeDir(dir);
  }
});

Deno.test("queue start: a detached worker runs 2 at once; queue kill stops one, leaving no process or worktree", async () => {
  const dir = setup();
  const gate = Deno.makeTempDirSync({ prefix: "cairn-gate-" });
  const env = { GATE_DIR: gate };
  try {
    cairnOk(["exp", "run", "--queue", "-S", "train.C=100,200", "-n", "k"], { cwd: dir });
    const s = cairnOk(["queue", "start", "-j", "2"], { cwd: dir, env });
    assertMatch(s.stdout + s.stderr, /Started '2' new experiments task queue workers\./);
    await waitUntil("two stages running", () => started(gate).length === 2);
    const st = statusRows(dir);
    assertEquals(st.get("k-1"), "Running");
    assertEquals(st.get("k-2"), "Running");
    // exp show: running, with DVC's executor record and the live workspace data
    const doc = JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout);
    const running = doc[1].experiments.filter((e: { executor: { state: string } }) =>
      e.executor?.state === "running"
    );
    assertEquals(running.length, 2);
    const workerPid = Number(
      Deno.readTextFileSync(join(dir, ".dvc/tmp/exps/cairn-worker.lock")).trim(),
    );
    for (const e of running) {
      assertEquals(e.executor.name, "dvc-task");
      assertEquals(e.executor.local.pid, workerPid);
      assertMatch(e.executor.local.root, /\.dvc\/tmp\/exps\/tmp[0-9a-f]+$/);
      assertMatch(e.executor.local.log, /\.out$/);
      assertEquals(e.revs[0].data.rev, "workspace");
      assertEquals(e.revs[0].rev, e.executor.local.task_id);
    }
    const victim = started(gate).find((x) => x.c === "100.0")!;
    cairnOk(["queue", "kill", "k-1"], { cwd: dir });
    await waitUntil("k-1 failed", () => statusRows(dir).get("k-1") === "Failed");
    assert(!alive(victim.pid), "the killed stage's process is gone");
    Deno.writeTextFileSync(join(gate, "release"), "");
    await waitUntil("k-2 done", () => statusRows(dir).get("k-2") === "Success");
    await waitUntil(
      "worker exit",
      () =>
        /Worker status: 0 active, 0 idle/.test(cairnOk(["queue", "status"], { cwd: dir }).stdout),
    );
    assertEquals([...expRefs(dir).keys()], ["k-2"]);
    assertEquals(worktrees(dir).length, 1);
    assertEquals(tmpDirs(dir), []);
    for (const x of started(gate)) assert(!alive(x.pid));
  } finally {
    Deno.writeTextFileSync(join(gate, "release"), "");
    removeDir(gate);
    removeDir(dir);
  }
});

Deno.test("exp run --run-all: Ctrl-C stops every run, no worktree, no stray process, queue consistent", async () => {
  const dir = setup();
  const gate = Deno.makeTempDirSync({ prefix: "cairn-gate-" });
  try {
    cairnOk(["exp", "run", "--queue", "-S", "train.C=100,200,300", "-n", "c"], { cwd: dir });
    const child = new Deno.Command(CAIRN, {
      args: ["exp", "run", "--run-all", "-j", "2"],
      cwd: dir,
      env: { ...GIT_ENV, GATE_DIR: gate },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await waitUntil("two stages running", () => started(gate).length === 2);
    child.kill("SIGINT");
    const res = await child.output();
    assertEquals(res.code, 252);
    for (const x of started(gate)) assert(!alive(x.pid), `stage ${x.pid} still runs`);
    assertEquals(worktrees(dir).length, 1);
    assertEquals(tmpDirs(dir), []);
    const st = statusRows(dir);
    assertEquals(st.get("c-1"), "Failed");
    assertEquals(st.get("c-2"), "Failed");
    assertEquals(st.get("c-3"), "Queued"); // never started: still queued
    assertEquals(expRefs(dir).size, 0);
    assertEquals(git(["status", "--porcelain"], dir), "");
  } finally {
    Deno.writeTextFileSync(join(gate, "release"), "");
    removeDir(gate);
    removeDir(dir);
  }
});

Deno.test("exp run --temp: runs in a temp workspace, the workspace is untouched", () => {
  const dir = setup();
  try {
    const r = cairnOk(["exp", "run", "--temp", "-S", "train.C=1.0", "-n", "tmp-one"], {
      cwd: dir,
    });
    assertMatch(r.stdout + r.stderr, /Reproducing experiment 'tmp-one'/);
    assertMatch(r.stdout + r.stderr, /Ran experiment\(s\): tmp-one/);
    const ref = expRefs(dir).get("tmp-one")!;
    assertEquals(
      git(["show", `${ref}:params.yaml`], dir),
      "train:\n  C: 1.0   # regularisation\n  lr: 1\n",
    );
    assertEquals(readText(dir, "params.yaml"), PARAMS);
    assertEquals(git(["status", "--porcelain"], dir), "");
    assertEquals(worktrees(dir).length, 1);
    assertEquals(tmpDirs(dir), []);
  } finally {
    removeDir(dir);
  }
});

Deno.test("queue start: the worker ignores SIGHUP (terminal closed); queue stop --kill stops every run", async () => {
  const dir = setup();
  const gate = Deno.makeTempDirSync({ prefix: "cairn-gate-" });
  const env = { GATE_DIR: gate };
  try {
    cairnOk(["exp", "run", "--queue", "-S", "train.C=100,200,300", "-n", "s"], { cwd: dir });
    cairnOk(["queue", "start", "-j", "2"], { cwd: dir, env });
    await waitUntil("two stages running", () => started(gate).length === 2);
    const workerPid = Number(
      Deno.readTextFileSync(join(dir, ".dvc/tmp/exps/cairn-worker.lock")).trim(),
    );
    assert(workerPid > 0 && alive(workerPid));
    // the worker runs in its own session, not the caller's
    const sid = (pid: number) =>
      Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ")[3];
    assert(sid(workerPid) !== sid(Deno.pid), "worker shares the test's session");
    Deno.kill(workerPid, "SIGHUP");
    const st = statusRows(dir);
    assertEquals([st.get("s-1"), st.get("s-2"), st.get("s-3")], ["Running", "Running", "Queued"]);
    assert(alive(workerPid), "SIGHUP must not stop the worker");
    const r = cairnOk(["queue", "stop", "--kill"], { cwd: dir });
    assertMatch(r.stdout + r.stderr, /have been killed/);
    await waitUntil("worker exit", () => !alive(workerPid));
    const after = statusRows(dir);
    assertEquals([after.get("s-1"), after.get("s-2"), after.get("s-3")], [
      "Failed",
      "Failed",
      "Queued",
    ]);
    for (const x of started(gate)) assert(!alive(x.pid), `stage ${x.pid} still runs`);
    assertEquals(worktrees(dir).length, 1);
    assertEquals(tmpDirs(dir), []);
  } finally {
    Deno.writeTextFileSync(join(gate, "release"), "");
    removeDir(gate);
    removeDir(dir);
  }
});

Deno.test("exp show marks a running workspace exp run as DVC does (executor 'workspace')", async () => {
  const dir = setup();
  const gate = Deno.makeTempDirSync({ prefix: "cairn-gate-" });
  try {
    const head = git(["rev-parse", "HEAD"], dir).trim();
    const child = new Deno.Command(CAIRN, {
      args: ["exp", "run", "-S", "train.C=100", "-n", "live"],
      cwd: dir,
      env: { ...GIT_ENV, GATE_DIR: gate },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitUntil("stage running", () => started(gate).length === 1);
    const doc = JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout);
    const base = doc.find((n: { rev: string }) => n.rev === head);
    const live = base.experiments[0];
    assertEquals(live.name, "live");
    assertEquals(live.revs[0].rev, "workspace");
    assertEquals(live.executor.state, "running");
    assertEquals(live.executor.name, "workspace");
    assertEquals(live.executor.local.pid, child.pid);
    Deno.writeTextFileSync(join(gate, "release"), "");
    assertEquals((await child.status).code, 0);
    const after = JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout);
    const exps = after.find((n: { rev: string }) => n.rev === head).experiments;
    assertEquals(exps.map((e: { name: string }) => e.name), ["live"]);
    assertEquals(exps[0].executor, null);
  } finally {
    Deno.writeTextFileSync(join(gate, "release"), "");
    removeDir(gate);
    removeDir(dir);
  }
});

Deno.test("queue logs -f follows a running experiment until it ends", async () => {
  const dir = setup();
  const gate = Deno.makeTempDirSync({ prefix: "cairn-gate-" });
  try {
    cairnOk(["exp", "run", "--queue", "-S", "train.C=100", "-n", "follow-me"], { cwd: dir });
    cairnOk(["queue", "start"], { cwd: dir, env: { GATE_DIR: gate } });
    await waitUntil("stage running", () => started(gate).length === 1);
    const follower = new Deno.Command(CAIRN, {
      args: ["queue", "logs", "-f", "follow-me"],
      cwd: dir,
      env: GIT_ENV,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    Deno.writeTextFileSync(join(gate, "release"), "");
    const out = await follower.output();
    assertEquals(out.code, 0);
    const text = new TextDecoder().decode(out.stdout);
    assertMatch(text, /Reproducing experiment 'follow-me'/);
    assertMatch(text, /training with 100/);
    assertMatch(text, /Updating lock file 'dvc\.lock'/); // written after -f attached
    assertEquals(statusRows(dir).get("follow-me"), "Success");
  } finally {
    Deno.writeTextFileSync(join(gate, "release"), "");
    removeDir(gate);
    removeDir(dir);
  }
});

Deno.test("a worker killed with SIGKILL: its run shows Failed, exp clean removes the stale worktree", async () => {
  const dir = setup();
  const gate = Deno.makeTempDirSync({ prefix: "cairn-gate-" });
  try {
    cairnOk(["exp", "run", "--queue", "-S", "train.C=100", "-n", "crash"], { cwd: dir });
    cairnOk(["queue", "start"], { cwd: dir, env: { GATE_DIR: gate } });
    await waitUntil("stage running", () => started(gate).length === 1);
    const workerPid = Number(
      Deno.readTextFileSync(join(dir, ".dvc/tmp/exps/cairn-worker.lock")).trim(),
    );
    Deno.kill(workerPid, "SIGKILL");
    await waitUntil("worker gone", () => !alive(workerPid));
    // the orphaned stage finishes on its own; nothing else cleans up after a SIGKILL
    Deno.writeTextFileSync(join(gate, "release"), "");
    await waitUntil("stage gone", () => started(gate).every((x) => !alive(x.pid)));
    assertEquals(statusRows(dir).get("crash"), "Failed");
    assertEquals(tmpDirs(dir).length, 1);
    cairnOk(["exp", "clean"], { cwd: dir });
    assertEquals(tmpDirs(dir), []);
    assertEquals(worktrees(dir).length, 1);
  } finally {
    Deno.writeTextFileSync(join(gate, "release"), "");
    removeDir(gate);
    removeDir(dir);
  }
});

Deno.test("queue _run TASK: one queued experiment by name or rev (the batch-job entry point)", () => {
  const dir = setup();
  try {
    cairnOk(["exp", "run", "--queue", "-S", "train.C=1,2", "-n", "one"], { cwd: dir });
    const rev = git(["rev-parse", "refs/exps/celery/stash@{0}"], dir).trim(); // one-2
    const r = cairnOk(["queue", "_run", rev.slice(0, 10)], { cwd: dir });
    assertMatch(r.stdout + r.stderr, /Ran experiment\(s\): one-2/);
    assertEquals([...expRefs(dir).keys()], ["one-2"]);
    const st = statusRows(dir);
    assertEquals([st.get("one-1"), st.get("one-2")], ["Queued", "Success"]);
    assertMatch(cairnOk(["queue", "logs", "one-2"], { cwd: dir }).stdout, /training with 2/);
    assertEquals(cairn(["queue", "_run", "one-2"], { cwd: dir }).code, 254);
    assertEquals(tmpDirs(dir), []);
  } finally {
    removeDir(dir);
  }
});

Deno.test("a worker starting while `queue start`/`queue status` probe its lock still serves the queue", async () => {
  const dir = setup();
  try {
    cairnOk(["exp", "run", "--queue", "-S", "train.C=1", "-n", "probed"], { cwd: dir });
    // a probe (workerAlive) holds the lock for a moment as the worker starts
    const probe = tryAcquireRepoLock(join(dir, ".dvc/tmp/exps/cairn-worker.lock"));
    assert(probe !== null);
    const worker = new Deno.Command(CAIRN, {
      args: ["queue", "_worker"],
      cwd: dir,
      env: GIT_ENV,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await new Promise((r) => setTimeout(r, 300));
    probe.release();
    const out = await worker.output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(statusRows(dir).get("probed"), "Success");
    assertEquals([...expRefs(dir).keys()], ["probed"]);
  } finally {
    removeDir(dir);
  }
});
