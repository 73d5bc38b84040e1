/**
 * e2e: the slurm runner against a real one-node Slurm on 127.0.0.1
 * (scripts/slurm_services.sh: munged, slurmctld, slurmd; started here when it
 * is not running). Stages really run as batch jobs: each records its
 * SLURM_JOB_ID. No timing assertions; waits are liveness bounds only.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import {
  CAIRN,
  cairn,
  exists,
  git,
  makeRepo,
  removeDir,
  ROOT,
  run,
  writeFiles,
} from "../_rig/rig.ts";

function slurmConf(): string {
  // idempotent: starts only what is not running, writes CAIRN_TEST_SLURM_CONF
  const r = run("bash", [join(ROOT, "scripts", "slurm_services.sh"), "start"], { cwd: ROOT });
  const dir = Deno.env.get("CAIRN_SERVICES_DIR") ?? join(ROOT, ".tools", "services");
  const env = Deno.readTextFileSync(join(dir, "services.env"));
  const conf = /^CAIRN_TEST_SLURM_CONF=(.*)$/m.exec(env)?.[1];
  if (r.code !== 0 || !conf) {
    throw new Error(`Slurm is not running (scripts/slurm_services.sh start):\n${r.stderr}`);
  }
  return conf;
}

const CONF = slurmConf();
const ENV = { SLURM_CONF: CONF };

/** Jobs Slurm still has (pending, running) whose working dir is inside `dir`. */
function liveJobsIn(dir: string): string[] {
  const r = run("squeue", ["-h", "-o", "%i %T %Z"], { cwd: "/", env: ENV });
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l.includes(` ${dir}`));
}

/** prep -> (a1 -> a2) and (b1 -> b2) -> join: two branches that can run at once. */
function pipeline(opts: { failA1?: boolean; meta?: string } = {}): Record<string, string> {
  const meta = opts.meta ?? "";
  const job = 'echo "$DVC_STAGE $SLURM_JOB_ID" >> jobs.log';
  const st = (name: string, cmd: string, deps: string[], out: string) =>
    `  ${name}:\n    cmd: ${JSON.stringify(`${job}; ${cmd}`)}\n` +
    (deps.length ? `    deps: [${deps.join(", ")}]\n` : "") +
    `    outs: [${out}]\n${meta}`;
  return {
    "dvc.yaml": "stages:\n" +
      st("prep", "seq 1 50 > prep.txt", ["src.txt"], "prep.txt") +
      st(
        "a1",
        opts.failA1 ? "echo a1 is failing >&2; exit 3" : "sed s/^/a/ prep.txt > a1.txt",
        ["prep.txt"],
        "a1.txt",
      ) +
      st("a2", "sort a1.txt > a2.txt", ["a1.txt"], "a2.txt") +
      st("b1", "sed s/^/b/ prep.txt > b1.txt", ["prep.txt"], "b1.txt") +
      st("b2", "sort -r b1.txt > b2.txt", ["b1.txt"], "b2.txt") +
      st("join", "cat a2.txt b2.txt > join.txt", ["a2.txt", "b2.txt"], "join.txt"),
    "src.txt": "source\n",
    ".gitignore": "jobs.log\n",
  };
}

/** Poll `cond` until it holds or `ms` have passed (a liveness bound, not a timing assertion). */
/** What the queue says and every run's log: the message of a failed queue assertion. */
function diagnose(repo: string): string {
  const st = cairn(["queue", "status"], { cwd: repo, env: ENV });
  const logs: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (e.name.endsWith(".out")) logs.push(`== ${p}\n${Deno.readTextFileSync(p)}`);
    }
  };
  try {
    walk(join(repo, ".dvc", "tmp"));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return `${st.stdout}${st.stderr}\n${logs.join("\n")}`;
}

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
}

function jobIds(repo: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of Deno.readTextFileSync(join(repo, "jobs.log")).split("\n").filter(Boolean)) {
    const [stage, id] = l.split(" ");
    m.set(stage, id ?? "");
  }
  return m;
}

Deno.test("slurm: a 6-stage two-branch pipeline runs as jobs with -j 2, same dvc.lock as local", () => {
  const local = makeRepo();
  const slurm = makeRepo();
  try {
    writeFiles(local, pipeline());
    writeFiles(slurm, pipeline());
    const l = cairn(["repro"], { cwd: local, env: ENV });
    assertEquals(l.code, 0, l.stderr);
    const s = cairn(["repro", "--runner", "slurm", "-j", "2"], { cwd: slurm, env: ENV });
    assertEquals(s.code, 0, s.stdout + s.stderr);
    assertEquals(
      Deno.readTextFileSync(join(slurm, "dvc.lock")),
      Deno.readTextFileSync(join(local, "dvc.lock")),
    );
    // every stage ran inside a Slurm job (a job id), none locally
    const ids = jobIds(slurm);
    assertEquals([...ids.keys()].sort(), ["a1", "a2", "b1", "b2", "join", "prep"]);
    for (const [stage, id] of ids) assertMatch(id, /^\d+$/, `stage ${stage} ran outside Slurm`);
    assertEquals(new Set(ids.values()).size, 6);
    assertEquals([...jobIds(local).values()].filter(Boolean), []);
    // job output came back prefixed (-j 2) and nothing is left in .dvc/tmp/slurm
    assertMatch(s.stdout, /\[join\] > /);
    assertEquals([...Deno.readDirSync(join(slurm, ".dvc", "tmp", "slurm"))], []);
    // status is clean and a second repro runs nothing
    const st = cairn(["status"], { cwd: slurm, env: ENV });
    assertMatch(st.stdout, /Data and pipelines are up to date/);
    const again = cairn(["repro", "--runner", "slurm"], { cwd: slurm, env: ENV });
    assertEquals(again.code, 0);
    assertEquals(jobIds(slurm).size, 6);
    assertEquals(
      Deno.readTextFileSync(join(slurm, "jobs.log")).split("\n").filter(Boolean).length,
      6,
    );
  } finally {
    removeDir(local);
    removeDir(slurm);
  }
});

Deno.test("slurm: runner chosen in cairn.yaml; a failing job fails its stage, -k keeps the other branch", () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      ...pipeline({ failA1: true }),
      ".dvc/cairn.yaml": "runner: slurm\nslurm:\n  time: 10\n",
    });
    const r = cairn(["repro", "-k", "-j", "2"], { cwd: repo, env: ENV });
    assertEquals(r.code, 255, r.stdout + r.stderr);
    const ids = jobIds(repo);
    assertMatch(
      r.stderr,
      new RegExp(
        `failed to reproduce 'a1': failed to run: .*exit 3: Slurm job ${
          ids.get("a1")
        } ended FAILED \\(exited with 3\\)`,
      ),
    );
    assertMatch(r.stdout + r.stderr, /\[a1\] a1 is failing/);
    // the other branch went on; what needs a1 did not run
    assert(ids.has("b2"));
    assert(!ids.has("a2") && !ids.has("join"));
    const lock = Deno.readTextFileSync(join(repo, "dvc.lock"));
    assertMatch(lock, /\n {2}b2:\n/);
    assert(!/\n {2}a1:\n/.test(lock));
    assertEquals(liveJobsIn(repo), []);
  } finally {
    removeDir(repo);
  }
});

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`slurm: ${sig === "SIGINT" ? "Ctrl-C" : sig} cancels every submitted job and leaves none queued`, async () => {
    const repo = makeRepo();
    try {
      const meta = "    meta: {runner: slurm}\n";
      writeFiles(repo, {
        "dvc.yaml": "stages:\n" +
          ["s1", "s2", "s3"].map((s) =>
            `  ${s}:\n    cmd: sleep 300; echo ${s} > ${s}.txt\n    outs: [${s}.txt]\n${meta}`
          ).join(""),
      });
      git(["add", "-A"], repo);
      const child = new Deno.Command(CAIRN, {
        args: ["repro", "-j", "3"],
        cwd: repo,
        env: ENV,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await waitUntil(() => liveJobsIn(repo).length >= 3, 60_000);
      assertEquals(liveJobsIn(repo).length, 3);
      child.kill(sig);
      const out = await child.output();
      const text = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 252, text);
      assertMatch(text, /interrupted/);
      assertEquals(liveJobsIn(repo), []);
      assertEquals([...Deno.readDirSync(join(repo, ".dvc", "tmp", "slurm"))], []);
    } finally {
      removeDir(repo);
    }
  });
}

Deno.test("slurm: a job over its time limit fails with TIMEOUT in the message", () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      "dvc.yaml": "stages:\n  slow:\n    cmd: sleep 600; echo done > slow.txt\n" +
        "    outs: [slow.txt]\n    meta:\n      runner: slurm\n      resources: {time: 1}\n",
    });
    const r = cairn(["repro"], { cwd: repo, env: ENV });
    assertEquals(r.code, 255, r.stdout + r.stderr);
    assertMatch(r.stderr, /failed to reproduce 'slow': .*Slurm job \d+ ended TIMEOUT/);
    assertEquals(liveJobsIn(repo), []);
  } finally {
    removeDir(repo);
  }
});

Deno.test("slurm: queue start --runner slurm runs four queued experiments as jobs", async () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      "dvc.yaml": "stages:\n  train:\n    cmd: sh train.sh\n    deps: [train.sh]\n" +
        "    params: [x]\n    metrics:\n    - metrics.json:\n        cache: false\n",
      "train.sh": "x=$(sed -n 's/^x: //p' params.yaml)\n" +
        'echo "{\\"score\\": $((x * 2)), \\"job\\": \\"$SLURM_JOB_ID\\"}" > metrics.json\n',
      "params.yaml": "x: 1\n",
    });
    git(["add", "-A"], repo);
    git(["commit", "-qm", "pipeline"], repo);
    for (const x of [2, 3, 4, 5]) {
      const q = cairn(["exp", "run", "--queue", "-S", `x=${x}`], { cwd: repo, env: ENV });
      assertEquals(q.code, 0, q.stderr);
    }
    const s = cairn(["queue", "start", "--runner", "slurm"], { cwd: repo, env: ENV });
    assertEquals(s.code, 0, s.stderr);
    const submitted = [...s.stdout.matchAll(/as Slurm job (\d+)\./g)].map((m) => m[1]);
    assertEquals(submitted.length, 4, s.stdout);
    const refs = () =>
      git(["for-each-ref", "--format=%(refname)", "refs/exps/"], repo).split("\n")
        .filter((r) => r && !r.includes("/celery/"));
    await waitUntil(() => refs().length >= 4 && !liveJobsIn(repo).length, 180_000);
    assertEquals(refs().length, 4, diagnose(repo));
    const results = refs().map((r) =>
      JSON.parse(git(["show", `${r}:metrics.json`], repo)) as { score: number; job: string }
    );
    assertEquals(results.map((r) => r.score).sort(), [10, 4, 6, 8]);
    // each experiment ran inside the job submitted for it
    assertEquals(results.map((r) => r.job).sort(), [...submitted].sort());
    const st = cairn(["queue", "status"], { cwd: repo, env: ENV });
    assertEquals(st.stdout.match(/Success/g)?.length, 4, st.stdout);
    assertEquals(liveJobsIn(repo), []);
  } finally {
    removeDir(repo);
  }
});

Deno.test("slurm: doctor shows whether Slurm answers and its partitions", () => {
  const repo = makeRepo();
  try {
    const ok = cairn(["doctor"], { cwd: repo, env: ENV });
    assertEquals(ok.code, 0, ok.stderr);
    assertMatch(ok.stdout, /^Slurm: reachable; partitions: debug \(default\) up, 1 node$/m);
    const bad = cairn(["doctor"], { cwd: repo, env: { SLURM_CONF: join(repo, "no-such.conf") } });
    assertEquals(bad.code, 0, bad.stderr);
    assertMatch(bad.stdout, /^Slurm: not reachable: .*no-such\.conf/m);
  } finally {
    removeDir(repo);
  }
});

Deno.test("slurm: sandbox policies hold inside the job (grants on the compute node)", () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      "dvc.yaml": "stages:\n" +
        "  granted:\n    cmd: echo $SLURM_JOB_ID > granted.txt\n    outs: [granted.txt]\n" +
        "    meta: {runner: slurm, sandbox: {policy: on, env: [SLURM_JOB_ID]}}\n" +
        "  sneaky:\n    cmd: echo $SLURM_JOB_ID > sneaky.txt; echo x > undeclared.txt\n" +
        "    outs: [sneaky.txt]\n" +
        "    meta: {runner: slurm, sandbox: {policy: on}}\n",
    });
    const r = cairn(["repro", "-k"], { cwd: repo, env: ENV });
    assertEquals(r.code, 255, r.stdout + r.stderr);
    // the granted variable reached the command, and it is the job's own
    assertMatch(Deno.readTextFileSync(join(repo, "granted.txt")), /^\d+\n$/);
    // an undeclared write inside the job is stopped and reported as for a local stage
    assertMatch(r.stderr, /the sandbox \(policy on, runner slurm\) stopped it/);
    assertMatch(r.stderr, /wrote 'undeclared\.txt', which is not a declared output/);
    assert(!exists(join(repo, "undeclared.txt")));
    assertEquals(liveJobsIn(repo), []);
  } finally {
    removeDir(repo);
  }
});

Deno.test("slurm: bad requests fail their stage (sbatch's refusal, a job that can never start)", () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      "dvc.yaml": "stages:\n" +
        "  nopart:\n    cmd: echo x > p.txt\n    outs: [p.txt]\n" +
        "    meta: {runner: slurm, slurm: {partition: nosuch}}\n" +
        "  huge:\n    cmd: echo x > q.txt\n    outs: [q.txt]\n" +
        "    meta: {runner: slurm, resources: {cpus: 4096}}\n" +
        "  fine:\n    cmd: echo x > r.txt\n    outs: [r.txt]\n    meta: {runner: slurm}\n",
    });
    const r = cairn(["repro", "-k"], { cwd: repo, env: ENV });
    assertEquals(r.code, 255, r.stdout + r.stderr);
    assertMatch(r.stderr, /failed to reproduce 'nopart': .*sbatch refused the job: .*nosuch/);
    assertMatch(
      r.stderr,
      /failed to reproduce 'huge': .*Slurm job \d+ cannot start: pending with reason PartitionConfig/,
    );
    assert(exists(join(repo, "r.txt")));
    assertEquals(liveJobsIn(repo), []);
  } finally {
    removeDir(repo);
  }
});

Deno.test("slurm: queue kill and scancel stop an experiment running as a job; it is recorded failed", async () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      "dvc.yaml": "stages:\n  train:\n    cmd: sh train.sh\n    deps: [train.sh]\n" +
        "    params: [x]\n    metrics:\n    - metrics.json:\n        cache: false\n",
      // `&&`: a killed sleep fails the stage (sh would go on to the next line)
      "train.sh": "sleep 300 && echo '{}' > metrics.json\n",
      "params.yaml": "x: 1\n",
    });
    git(["add", "-A"], repo);
    git(["commit", "-qm", "pipeline"], repo);
    for (const [x, name] of [[2, "by-kill"], [3, "by-scancel"]]) {
      const q = cairn(["exp", "run", "--queue", "-S", `x=${x}`, "-n", `${name}`], {
        cwd: repo,
        env: ENV,
      });
      assertEquals(q.code, 0, q.stderr);
    }
    const s = cairn(["queue", "start", "--runner", "slurm"], { cwd: repo, env: ENV });
    assertEquals(s.code, 0, s.stderr);
    const ids = new Map(
      [...s.stdout.matchAll(/experiment '([^']+)' as Slurm job (\d+)\./g)].map((m) => [m[1], m[2]]),
    );
    const running = () =>
      (cairn(["queue", "status"], { cwd: repo, env: ENV }).stdout.match(/Running/g) ?? []).length;
    const until = (cond: () => boolean) => waitUntil(cond, 120_000);
    await until(() => running() >= 2);
    assertEquals(running(), 2);
    const k = cairn(["queue", "kill", "by-kill"], { cwd: repo, env: ENV });
    assertEquals(k.code, 0, k.stderr);
    assertEquals(run("scancel", [ids.get("by-scancel")!], { cwd: repo, env: ENV }).code, 0);
    const failed = () =>
      (cairn(["queue", "status"], { cwd: repo, env: ENV }).stdout.match(/Failed/g) ?? []).length;
    await until(() => failed() >= 2 && !liveJobsIn(repo).length);
    assertEquals(failed(), 2);
    assertEquals(liveJobsIn(repo), []);
    // both temporary worktrees are gone
    assertEquals(git(["worktree", "list"], repo).trim().split("\n").length, 1);
  } finally {
    removeDir(repo);
  }
});

Deno.test("slurm: an unknown runner name says where it came from", () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, { "dvc.yaml": "stages:\n  d:\n    cmd: echo x > d.txt\n    outs: [d.txt]\n" });
    const flag = cairn(["repro", "--runner", "slurmm"], { cwd: repo, env: ENV });
    assertEquals(flag.code, 254);
    assertMatch(
      flag.stderr,
      /argument --runner: unknown runner 'slurmm'\ninstalled runners: .*slurm/,
    );
    writeFiles(repo, { ".dvc/cairn.yaml": "runner: slurmm\n" });
    const proj = cairn(["repro"], { cwd: repo, env: ENV });
    assertEquals(proj.code, 251);
    assertMatch(proj.stderr, /cairn\.yaml': unknown runner 'slurmm'/);
    writeFiles(repo, {
      "dvc.yaml": "stages:\n  d:\n    cmd: echo x > d.txt\n    outs: [d.txt]\n" +
        "    meta: {runner: slurmm}\n",
    });
    const meta = cairn(["repro"], { cwd: repo, env: ENV });
    assertEquals(meta.code, 1);
    assertMatch(meta.stderr, /stage 'd': meta\.runner: unknown runner 'slurmm'/);
    assert(!exists(join(repo, "d.txt")));
  } finally {
    removeDir(repo);
  }
});

Deno.test("slurm: a job over its memory fails its stage, saying so", () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, {
      "hog.py": "import time\nb = b'x' * (400 * 1024 * 1024)\ntime.sleep(20)\n",
      "dvc.yaml": "stages:\n  hog:\n    cmd: python3 hog.py; echo x > hog.txt\n" +
        "    deps: [hog.py]\n    outs: [hog.txt]\n" +
        "    meta: {runner: slurm, resources: {mem: 50M}}\n",
    });
    const r = cairn(["repro"], { cwd: repo, env: ENV });
    assertEquals(r.code, 255, r.stdout + r.stderr);
    assertMatch(
      r.stderr,
      /failed to reproduce 'hog': .*Slurm job \d+ ended (OUT_OF_MEMORY|FAILED .*: it exceeded its memory limit)/,
    );
    assert(!exists(join(repo, "hog.txt")));
    assertEquals(liveJobsIn(repo), []);
  } finally {
    removeDir(repo);
  }
});
