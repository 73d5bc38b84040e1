/**
 * e2e: parallel repro (-j), failures with and without -k, Ctrl-C, and the
 * bad inputs that must be refused with a clear message and no change.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import {
  CAIRN,
  cairn,
  cairnOk,
  exists,
  git,
  GIT_ENV,
  makeRepo,
  readText,
  removeDir,
  writeFiles,
} from "../_rig/rig.ts";
import { ran } from "./_pipeline.ts";

function commitAll(dir: string, msg: string) {
  git(["add", "-A"], dir);
  git(["commit", "-qm", msg], dir);
}

const PARALLEL_YAML = `stages:
  a:
    cmd: mkdir -p t && date +%s%N > t/a.start && sleep 1 && echo A > a.out && date +%s%N > t/a.end
    deps:
    - in.txt
    outs:
    - a.out
  b:
    cmd: mkdir -p t && date +%s%N > t/b.start && sleep 1 && echo B > b.out && date +%s%N > t/b.end
    deps:
    - in.txt
    outs:
    - b.out
  c:
    cmd: mkdir -p t && date +%s%N > t/c.start && cat a.out b.out > c.out
    deps:
    - a.out
    - b.out
    outs:
    - c.out
`;

function time(dir: string, f: string): number {
  return Number(readText(dir, `t/${f}`).trim()) / 1e6;
}

Deno.test("repro -j 2 runs independent stages at once; results equal -j 1", () => {
  const one = makeRepo();
  const two = makeRepo();
  try {
    for (const d of [one, two]) {
      writeFiles(d, { "dvc.yaml": PARALLEL_YAML, "in.txt": "x\n" });
      commitAll(d, "pipeline");
    }
    const r1 = cairnOk(["repro"], { cwd: one, subprocess: true });
    assertEquals(ran(r1.stdout), ["a", "b", "c"]);
    const r2 = cairnOk(["repro", "-j", "2"], { cwd: two, subprocess: true });
    assertEquals(ran(r2.stdout).sort(), ["a", "b", "c"]);
    // a and b overlapped; c started after both ended
    assert(time(two, "a.start") < time(two, "b.end") && time(two, "b.start") < time(two, "a.end"));
    assert(time(two, "c.start") >= Math.max(time(two, "a.end"), time(two, "b.end")));
    // serial: no overlap
    assert(time(one, "b.start") >= time(one, "a.end"));
    assertEquals(readText(two, "dvc.lock"), readText(one, "dvc.lock"));
    assertEquals(readText(two, "c.out"), "A\nB\n");
    assertMatch(r2.stdout, /\[a\] > mkdir -p t/);
    assertEquals(cairnOk(["status", "--json"], { cwd: two, subprocess: true }).stdout.trim(), "{}");
  } finally {
    removeDir(one);
    removeDir(two);
  }
});

Deno.test("repro -j 2: stage output is prefixed by the stage name", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "dvc.yaml": `stages:
  x:
    cmd: printf 'one\\ntwo\\n'; echo err >&2; echo x > x.out
    outs:
    - x.out
  y:
    cmd: echo hello; echo y > y.out
    outs:
    - y.out
`,
    });
    const r = cairnOk(["repro", "-j", "2"], { cwd: dir });
    // each line prefixed, x's in order; y's may come between them (the stages run at once)
    const xLines = r.stdout.split("\n").filter((l) => /^\[x\] (?!> )/.test(l));
    assertEquals(xLines, ["[x] one", "[x] two"]);
    assertMatch(r.stdout, /^\[y\] hello$/m);
    assertMatch(r.stderr, /^\[x\] err$/m);
  } finally {
    removeDir(dir);
  }
});

const FAILING_YAML = `stages:
  bad:
    cmd: echo partial > bad.out; exit 3
    outs:
    - bad.out
  after_bad:
    cmd: cat bad.out > after.out
    deps:
    - bad.out
    outs:
    - after.out
  good:
    cmd: echo ok > good.out
    outs:
    - good.out
`;

Deno.test("a failing stage: error names it and its exit code; -k finishes the others", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "dvc.yaml": FAILING_YAML });
    commitAll(dir, "pipeline");
    let r = cairn(["repro"], { cwd: dir });
    assertEquals(r.code, 255);
    assertMatch(
      r.stderr,
      /ERROR: failed to reproduce 'bad': failed to run: echo partial > bad.out; exit 3, exited with 3/,
    );
    assert(!exists(join(dir, "dvc.lock")), "no lock for a failed stage");
    assert(!exists(join(dir, "good.out")), "without -k nothing after the failure runs");

    r = cairn(["repro", "-k"], { cwd: dir });
    assertEquals(r.code, 255);
    assertMatch(r.stdout, /skipping 'after_bad' because upstream 'bad' failed/);
    assertEquals(ran(r.stdout), ["bad", "good"]);
    const lock = readText(dir, "dvc.lock");
    assertMatch(lock, /good:/);
    assert(!/bad:/.test(lock), lock);

    // the same with two jobs: the failure stops only its descendants
    Deno.removeSync(join(dir, "dvc.lock"));
    Deno.removeSync(join(dir, "good.out"));
    r = cairn(["repro", "-k", "-j", "2"], { cwd: dir });
    assertEquals(r.code, 255);
    assertEquals(ran(r.stdout).sort(), ["bad", "good"]);
    assert(!exists(join(dir, "after.out")));
    assertMatch(readText(dir, "dvc.lock"), /good:/);

    // --ignore-errors goes on with the dependents too (and exits 0)
    r = cairn(["repro", "--ignore-errors"], { cwd: dir });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(readText(dir, "after.out"), "partial\n");
  } finally {
    removeDir(dir);
  }
});

Deno.test("Ctrl-C: the command's process group is killed, lock has only finished stages, exit 252", async () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "dvc.yaml": `stages:
  quick:
    cmd: echo q > q.out
    outs:
    - q.out
  slow:
    cmd: sleep 60 & echo $! > slow.pid; wait
    deps:
    - q.out
    outs:
    - slow.out
`,
    });
    commitAll(dir, "pipeline");
    const child = new Deno.Command(CAIRN, {
      args: ["repro"],
      cwd: dir,
      env: GIT_ENV,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pidFile = join(dir, "slow.pid");
    const t0 = Date.now();
    while (!exists(pidFile) || Deno.readTextFileSync(pidFile).trim() === "") {
      if (Date.now() - t0 > 30_000) throw new Error("slow stage never started");
      await new Promise((r) => setTimeout(r, 50));
    }
    const sleeper = Number(Deno.readTextFileSync(pidFile).trim());
    child.kill("SIGINT");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 252, stderr);
    assertMatch(stderr, /interrupted/);
    await new Promise((r) => setTimeout(r, 300));
    let alive = false;
    try {
      alive = !/\) Z /.test(Deno.readTextFileSync(`/proc/${sleeper}/stat`));
    } catch { /* gone */ }
    assert(!alive, "the stage's background process survived");
    const lock = readText(dir, "dvc.lock");
    assertMatch(lock, /quick:/);
    assert(!/slow:/.test(lock), lock);
  } finally {
    removeDir(dir);
  }
});

Deno.test("bad input is refused with file, line or stage, and changes nothing", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "in.txt": "x\n" });
    commitAll(dir, "base");
    const refused = (yaml: string, re: RegExp) => {
      writeFiles(dir, { "dvc.yaml": yaml });
      const r = cairn(["repro"], { cwd: dir });
      assert(r.code !== 0, `accepted:\n${yaml}`);
      assertMatch(r.stderr, re);
      assert(!exists(join(dir, "dvc.lock")), "a lock was written");
      return r;
    };
    // YAML syntax error: file and line
    refused("stages:\n  a:\n    cmd: [echo\n", /dvc\.yaml:\d+/);
    // unknown key
    refused("stages:\n  a:\n    cmd: echo\n    depz: [x]\n", /depz/);
    // wrong type
    refused("stages:\n  a:\n    cmd: echo\n    frozen: maybe\n", /frozen/);
    // undefined ${} variable
    refused("stages:\n  a:\n    cmd: echo ${nope}\n", /nope/);
    // a cycle lists its stages
    const cyc = refused(
      "stages:\n  a:\n    cmd: cp y x\n    deps: [y]\n    outs: [x]\n  b:\n    cmd: cp x y\n    deps: [x]\n    outs: [y]\n",
      /cycle/,
    );
    assertMatch(cyc.stderr, /\ba\b.*\bb\b|\bb\b.*\ba\b/);
    // two stages with the same output
    refused(
      "stages:\n  a:\n    cmd: echo > o\n    outs: [o]\n  b:\n    cmd: echo > o\n    outs: [o]\n",
      /'o'.*\n?.*a.*b|already specified|specified in/,
    );
    // an output inside another output
    refused(
      "stages:\n  a:\n    cmd: mkdir -p d\n    outs: [d]\n  b:\n    cmd: echo > d/f\n    outs: [d/f]\n",
      /overlap/,
    );
    // a dependency that neither exists nor is produced: nothing runs, nothing is removed
    writeFiles(dir, { "keep.out": "old\n" });
    const r = refused(
      "stages:\n  first:\n    cmd: echo new > keep.out\n    outs: [keep.out]\n" +
        "  second:\n    cmd: cat missing.txt\n    deps: [missing.txt]\n    outs: [s.out]\n",
      /missing\.txt.*second/,
    );
    assert(!r.stdout.includes("Running stage"), r.stdout);
    assertEquals(readText(dir, "keep.out"), "old\n");
    // a stage name with illegal characters (stage add)
    Deno.removeSync(join(dir, "dvc.yaml"));
    const bad = cairn(["stage", "add", "-n", "my.stage", "echo", "hi"], { cwd: dir });
    assert(bad.code !== 0);
    assertMatch(bad.stderr, /my\.stage/);
    assert(!exists(join(dir, "dvc.yaml")));
  } finally {
    removeDir(dir);
  }
});

Deno.test("stage add writes DVC's dvc.yaml and refuses duplicates; --run runs it", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "data.csv": "1\n",
      "train.py": "print(1)\n",
      "params.yaml": "lr: 1\nepochs: 2\n",
    });
    commitAll(dir, "base");
    cairnOk([
      "stage",
      "add",
      "-n",
      "train",
      "-d",
      "train.py",
      "-d",
      "data.csv",
      "-p",
      "lr,epochs",
      "-o",
      "model.pkl",
      "-M",
      "metrics.json",
      "python3 train.py > model.pkl && echo '{}' > metrics.json",
    ], { cwd: dir });
    assertEquals(
      readText(dir, "dvc.yaml"),
      `stages:
  train:
    cmd: python3 train.py > model.pkl && echo '{}' > metrics.json
    deps:
    - data.csv
    - train.py
    params:
    - epochs
    - lr
    outs:
    - model.pkl
    metrics:
    - metrics.json:
        cache: false
`,
    );
    assertEquals(readText(dir, ".gitignore"), "/model.pkl\n");
    const dup = cairn(["stage", "add", "-n", "train", "echo"], { cwd: dir });
    assert(dup.code !== 0);
    assertMatch(dup.stderr, /already exists/);
    const list = cairnOk(["stage", "list"], { cwd: dir }).stdout;
    assertEquals(list, "train  Outputs model.pkl; Reports metrics.json\n");
    const r = cairnOk(
      [
        "stage",
        "add",
        "-f",
        "--run",
        "-n",
        "train",
        "-d",
        "data.csv",
        "-o",
        "model.pkl",
        "cp",
        "data.csv",
        "model.pkl",
      ],
      { cwd: dir },
    );
    assertEquals(ran(r.stdout), ["train"]);
    assertEquals(readText(dir, "model.pkl"), "1\n");
  } finally {
    removeDir(dir);
  }
});

Deno.test("freeze: a frozen stage is not reproduced (nor its upstream pulled in); unfreeze", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "in.txt": "1\n",
      "dvc.yaml": `# my pipeline
stages:
  gen:
    cmd: cp in.txt gen.out
    deps:
    - in.txt
    outs:
    - gen.out
  use:
    cmd: cp gen.out use.out  # copy
    deps:
    - gen.out
    outs:
    - use.out
`,
    });
    cairnOk(["repro"], { cwd: dir });
    commitAll(dir, "ran");
    const r = cairnOk(["freeze", "use"], { cwd: dir });
    assertEquals(r.stdout, "Modifying stage 'use' in 'dvc.yaml'\n");
    assertMatch(readText(dir, "dvc.yaml"), /^# my pipeline\n/);
    assertMatch(
      readText(dir, "dvc.yaml"),
      /cp gen.out use.out {2}# copy\n[\s\S]* {4}frozen: true\n$/,
    );
    writeFiles(dir, { "in.txt": "2\n" });
    let out = cairnOk(["repro", "use"], { cwd: dir });
    assertEquals(ran(out.stdout), []);
    assertMatch(out.stderr, /stage: 'use' is frozen/);
    const st = cairn(["status"], { cwd: dir });
    assertMatch(st.stderr, /is frozen. Its dependencies are not going to be shown/);
    cairnOk(["unfreeze", "use"], { cwd: dir });
    assert(!readText(dir, "dvc.yaml").includes("frozen"));
    out = cairnOk(["repro", "use"], { cwd: dir });
    assertEquals(ran(out.stdout), ["gen", "use"]);
    assertEquals(readText(dir, "use.out"), "2\n");
  } finally {
    removeDir(dir);
  }
});

Deno.test("repro --pull: a stage that only misses its data gets it from the remote instead of running", () => {
  const dir = makeRepo();
  const remote = Deno.makeTempDirSync({ prefix: "cairn-remote-" });
  try {
    writeFiles(dir, {
      "in.txt": "x\n",
      "dvc.yaml": "stages:\n  s:\n    cmd: cp in.txt o.txt && date +%s%N >> runs.log\n" +
        "    deps: [in.txt]\n    outs: [o.txt]\n",
    });
    cairnOk(["repro"], { cwd: dir });
    cairnOk(["remote", "add", "-d", "store", remote], { cwd: dir });
    cairnOk(["push"], { cwd: dir });
    Deno.removeSync(join(dir, ".dvc", "cache"), { recursive: true });
    Deno.removeSync(join(dir, "o.txt"));
    const r = cairnOk(["repro", "--pull"], { cwd: dir });
    assertMatch(r.stdout, /Pulling data for stage: 's'/);
    assertEquals(ran(r.stdout), []);
    assertEquals(readText(dir, "o.txt"), "x\n");
    assertEquals(readText(dir, "runs.log").trim().split("\n").length, 1);
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
  } finally {
    removeDir(dir);
    removeDir(remote);
  }
});
