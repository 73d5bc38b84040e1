/**
 * e2e: `meta: {resources: {gpus: 1}}` with a stand-in `nvidia-smi` on PATH
 * reporting two fake GPUs. Stages append start/end events to a log; the
 * tests check from the order of events that no more stages than GPUs ever
 * overlap and that overlapping stages see different CUDA_VISIBLE_DEVICES,
 * for `repro -j 3` and for queued experiments run 3 at once. No timing.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import { cairn, cairnOk, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";

const STAGE_PY = `import os, sys, time
log = os.environ["RES_LOG"]
name = sys.argv[1] + "@" + os.environ.get("DVC_EXP_NAME", "")
dev = os.environ.get("CUDA_VISIBLE_DEVICES", "-")
with open(log, "a") as f:
    f.write("start %s %s\\n" % (name, dev))
want = int(os.environ.get("RES_WANT", "2"))
for _ in range(300):  # wait for the others that may overlap (liveness bound only)
    if open(log).read().count("start ") >= want:
        break
    time.sleep(0.1)
with open(log, "a") as f:
    f.write("end %s %s\\n" % (name, dev))
open("out-%s.txt" % sys.argv[1], "w").write(name)
`;

function dvcYaml(stages: string[], gpus: number): string {
  return "stages:\n" +
    stages.map((s) =>
      `  ${s}:\n    cmd: python3 stage.py ${s}\n    deps:\n    - stage.py\n    params:\n    - lr\n` +
      `    outs:\n    - out-${s}.txt\n    meta:\n      resources:\n        gpus: ${gpus}\n`
    ).join("");
}

function fakeGpus(n: number): string {
  const bin = Deno.makeTempDirSync({ prefix: "cairn-fake-gpu-" });
  const lines = Array.from({ length: n }, (_, i) => `echo "GPU ${i}: Fake GPU (UUID: GPU-${i}0)"`);
  Deno.writeTextFileSync(join(bin, "nvidia-smi"), `#!/bin/sh\n${lines.join("\n")}\n`);
  Deno.chmodSync(join(bin, "nvidia-smi"), 0o755);
  return bin;
}

interface Overlap {
  max: number;
  /** device sets seen running at the same time. */
  concurrent: string[][];
  starts: number;
}

/** Replay the event log: how many ran at once, and on which devices. */
function replay(log: string): Overlap {
  const running = new Map<string, string>();
  const out: Overlap = { max: 0, concurrent: [], starts: 0 };
  for (const line of log.split("\n").filter(Boolean)) {
    const [ev, name, dev] = line.split(" ");
    if (ev === "start") {
      out.starts++;
      running.set(name, dev);
      out.max = Math.max(out.max, running.size);
      out.concurrent.push([...running.values()]);
    } else running.delete(name);
  }
  return out;
}

function setup(gpusPerStage: number): { dir: string; log: string; env: Record<string, string> } {
  const dir = makeRepo();
  const bin = fakeGpus(2);
  const log = join(dir, "..", `${dir.split("/").at(-1)}-events.log`);
  writeFiles(dir, {
    "stage.py": STAGE_PY,
    "params.yaml": "lr: 1\n",
    "dvc.yaml": dvcYaml(["a", "b", "c"], gpusPerStage),
  });
  git(["add", "-A"], dir);
  git(["commit", "-qm", "pipeline"], dir);
  const env = {
    PATH: `${bin}:${Deno.env.get("PATH")}`,
    RES_LOG: log,
    CAIRN_RESOURCES_DIR: Deno.makeTempDirSync({ prefix: "cairn-res-" }),
  };
  return { dir, log, env };
}

function distinctDevices(o: Overlap): void {
  for (const devs of o.concurrent) {
    assertEquals(new Set(devs).size, devs.length, `devices shared: ${devs}`);
    for (const d of devs) assertMatch(d, /^[01]$/);
  }
}

Deno.test("resources: repro -j 3 never runs more gpu stages than GPUs, each on its own GPU", () => {
  const { dir, log, env } = setup(1);
  try {
    cairnOk(["repro", "-j", "3"], { cwd: dir, env });
    const o = replay(Deno.readTextFileSync(log));
    assertEquals(o.starts, 3);
    assertEquals(o.max, 2);
    distinctDevices(o);

    // --gpus 1 wins over detection: one at a time
    Deno.removeSync(log);
    cairnOk(["repro", "-j", "3", "-f", "--gpus", "1"], {
      cwd: dir,
      env: { ...env, RES_WANT: "1" },
    });
    const one = replay(Deno.readTextFileSync(log));
    assertEquals(one.starts, 3);
    assertEquals(one.max, 1);
    for (const devs of one.concurrent) assertEquals(devs, ["0"]);
  } finally {
    removeDir(dir);
  }
});

Deno.test("resources: a stage needing more GPUs than the machine has fails before anything runs", () => {
  const { dir, log, env } = setup(3);
  try {
    const r = cairn(["repro", "-j", "2"], { cwd: dir, env });
    assert(r.code !== 0);
    assertMatch(r.stderr, /stage 'a' needs 3 GPU\(s\), the machine has 2/);
    let ran = true;
    try {
      Deno.statSync(log);
    } catch {
      ran = false;
    }
    assert(!ran, "no stage ran");
  } finally {
    removeDir(dir);
  }
});

Deno.test("resources: queued experiments run 3 at once still share 2 GPUs without overlap", () => {
  const { dir, log, env } = setup(1);
  try {
    writeFiles(dir, { "dvc.yaml": dvcYaml(["a"], 1) });
    git(["commit", "-qam", "one gpu stage"], dir);
    cairnOk(["exp", "run", "--queue", "-S", "lr=1,2,3", "-n", "g"], { cwd: dir, env });
    cairnOk(["exp", "run", "--run-all", "-j", "3"], { cwd: dir, env });
    const o = replay(Deno.readTextFileSync(log));
    assertEquals(o.starts, 3);
    assertEquals(o.max, 2);
    distinctDevices(o);
    const refs = git(["for-each-ref", "--format=%(refname:lstrip=-1)", "refs/exps"], dir)
      .split("\n").filter((l) => /^g-\d$/.test(l));
    assertEquals(refs.sort(), ["g-1", "g-2", "g-3"]);
  } finally {
    removeDir(dir);
  }
});
