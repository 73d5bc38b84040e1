/**
 * e2e: the tutorials' pipelines (../shared/seeds/), typed as their readers
 * type them, asserting which stages run after each change.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import { ran } from "./_pipeline.ts";
import {
  cairn,
  cairnOk,
  exists,
  git,
  makeRepo,
  readText,
  removeDir,
  writeFiles,
} from "../_rig/rig.ts";
import { FIVE_STAGE_SRC as STAGE_SRC } from "../_rig/seed_pipelines.ts";

function commitAll(dir: string, msg: string) {
  git(["add", "-A"], dir);
  git(["commit", "-qm", msg], dir);
}

// ---------------------------------------------------------------------------
// seed 003/004: the course's five-stage params-driven pipeline (`dvc run -n ...`)

function params(overrides: Record<string, Record<string, unknown>> = {}): string {
  const p: Record<string, Record<string, unknown>> = {
    base: { random_state: 42 },
    data_load: { rows: 8 },
    featurize: { scale: 2 },
    data_split: { test_size: 0.25 },
    train: { C: 0.001 },
    evaluate: { smooth: 1 },
  };
  for (const [k, v] of Object.entries(overrides)) p[k] = { ...p[k], ...v };
  // JSON is YAML too; the stage scripts read it with the json module.
  return JSON.stringify(p, null, 2) + "\n";
}

Deno.test("seed: five-stage params-driven pipeline built with `run -n`, reruns what changed", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      ...STAGE_SRC,
      "data/source.csv": "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
      "params.yaml": params(),
    });
    for (const d of ["data/raw", "data/processed", "models", "reports"]) {
      Deno.mkdirSync(join(dir, d), { recursive: true });
    }
    commitAll(dir, "code");
    const cfg = ["--config=params.yaml"];
    const run = (args: string[]) => cairnOk(["run", ...args], { cwd: dir });
    let r = run([
      "-n",
      "data_load",
      "--deps",
      "src/stages/data_load.py",
      "--outs",
      "data/raw/iris.csv",
      "--params",
      "base,data_load",
      "python3",
      "-m",
      "src.stages.data_load",
      ...cfg,
    ]);
    assertEquals(ran(r.stdout), ["data_load"]);
    assertMatch(r.stdout, /> python3 -m src.stages.data_load --config=params.yaml\n/);
    run([
      "-n",
      "featurize",
      "-d",
      "data/raw/iris.csv",
      "-d",
      "src/stages/featurize.py",
      "-p",
      "base,featurize",
      "-o",
      "data/processed/featured_iris.csv",
      "python3",
      "-m",
      "src.stages.featurize",
      ...cfg,
    ]);
    run([
      "-n",
      "data_split",
      "-d",
      "data/processed/featured_iris.csv",
      "-d",
      "src/stages/data_split.py",
      "-p",
      "base,data_split,featurize",
      "-o",
      "data/processed/train_iris.csv",
      "-o",
      "data/processed/test_iris.csv",
      "python3",
      "-m",
      "src.stages.data_split",
      ...cfg,
    ]);
    run([
      "-n",
      "train",
      "-d",
      "data/processed/train_iris.csv",
      "-d",
      "src/stages/train.py",
      "-p",
      "base,train",
      "-o",
      "models/model.joblib",
      "python3",
      "-m",
      "src.stages.train",
      ...cfg,
    ]);
    r = run([
      "-n",
      "evaluate",
      "-d",
      "data/processed/test_iris.csv",
      "-d",
      "src/stages/evaluate.py",
      "-d",
      "models/model.joblib",
      "-p",
      "evaluate",
      "-M",
      "reports/metrics.json",
      "-o",
      "reports/confusion_matrix.png",
      "python3",
      "-m",
      "src.stages.evaluate",
      ...cfg,
    ]);
    assertEquals(ran(r.stdout), ["evaluate"]);
    // dvc.yaml as the course shows it (deps sorted, params as given)
    const yaml = readText(dir, "dvc.yaml");
    assert(
      yaml.includes(
        "  data_load:\n    cmd: python3 -m src.stages.data_load --config=params.yaml\n" +
          "    deps:\n    - src/stages/data_load.py\n    params:\n    - base\n    - data_load\n" +
          "    outs:\n    - data/raw/iris.csv\n",
      ),
      yaml,
    );
    commitAll(dir, "pipeline");
    assertEquals(cairnOk(["status"], { cwd: dir }).stdout, "Data and pipelines are up to date.\n");
    r = cairnOk(["repro"], { cwd: dir });
    assertEquals(ran(r.stdout), []);
    assertMatch(r.stdout, /Data and pipelines are up to date.\n$/);

    const change = (over: Record<string, Record<string, unknown>>, want: string[]) => {
      writeFiles(dir, { "params.yaml": params(over) });
      const st = JSON.parse(cairnOk(["status", "--json"], { cwd: dir }).stdout);
      const first = want[0];
      assert(st[first], `status should list ${first}: ${JSON.stringify(st)}`);
      const out = cairnOk(["repro"], { cwd: dir }).stdout;
      assertEquals(ran(out), want, out);
      assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
    };
    change({ train: { C: 0.1 } }, ["train", "evaluate"]);
    change({ train: { C: 0.1 }, evaluate: { smooth: 2 } }, ["evaluate"]);
    change({ train: { C: 0.1 }, evaluate: { smooth: 2 }, featurize: { scale: 3 } }, [
      "featurize",
      "data_split",
      "train",
      "evaluate",
    ]);
    change(
      {
        train: { C: 0.1 },
        evaluate: { smooth: 2 },
        featurize: { scale: 3 },
        data_load: { rows: 10 },
      },
      ["data_load", "featurize", "data_split", "train", "evaluate"],
    );
    // the status wording for a params change
    const last = {
      train: { C: 0.1 },
      evaluate: { smooth: 2 },
      featurize: { scale: 3 },
      data_load: { rows: 10 },
    };
    writeFiles(dir, { "params.yaml": params({ ...last, train: { C: 1 } }) });
    assertEquals(
      cairnOk(["status"], { cwd: dir }).stdout,
      "train:\n\tchanged deps:\n\t\tparams.yaml:\n\t\t\tmodified:           train\n",
    );
    // going back to a configuration that ran before: restored from the run-cache
    writeFiles(dir, { "params.yaml": params(last) });
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
    writeFiles(dir, { "params.yaml": params() });
    r = cairnOk(["repro"], { cwd: dir });
    assertMatch(r.stdout, /Stage 'data_load' is cached - skipping run, checking out outputs/);
    assertEquals(ran(r.stdout), ["data_load", "featurize", "data_split", "train", "evaluate"]);
    assert(!r.stdout.includes("Running stage"), "everything came from the run-cache");
  } finally {
    removeDir(dir);
  }
});

// ---------------------------------------------------------------------------
// seed 000: prepare/train/evaluate with directory deps and a metrics file

Deno.test("seed: prepare/train/evaluate with `run -n`, dir deps, -M metrics; repro evaluate", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "src/prepare.py": `import os
os.makedirs("dataset_id/prepared", exist_ok=True)
rows = open("dataset_id/raw/data.csv").read().splitlines()
for i, part in enumerate(["train", "val", "test"]):
    open(f"dataset_id/prepared/{part}.csv", "w").write("\\n".join(rows[i::3]) + "\\n")
`,
      "src/train.py": `import json, os
cfg = json.load(open("model-config.json"))
data = open("dataset_id/prepared/train.csv").read()
os.makedirs("model", exist_ok=True)
open("model/model.dat", "w").write(f"{cfg['algorithm']}:{len(data)}\\n")
`,
      "src/evaluate.py": `import json, os
m = open("model/model.dat").read()
os.makedirs("metrics", exist_ok=True)
json.dump({"accuracy": len(m) / 100}, open("metrics/metrics.json", "w"))
`,
      "dataset_id/raw/data.csv": "a\nb\nc\nd\ne\nf\n",
      "prepare-config.json": '{"split": 3}\n',
      "model-config.json": '{"algorithm": "tree"}\n',
    });
    commitAll(dir, "code");
    cairnOk([
      "run",
      "-n",
      "prepare",
      "-d",
      "src/",
      "-d",
      "dataset_id/raw",
      "-d",
      "prepare-config.json",
      "-o",
      "dataset_id/prepared",
      "python3",
      "src/prepare.py",
    ], { cwd: dir });
    cairnOk([
      "run",
      "-n",
      "train",
      "-d",
      "src/",
      "-d",
      "dataset_id/prepared/train.csv",
      "-d",
      "model-config.json",
      "-o",
      "model/model.dat",
      "python3",
      "src/train.py",
    ], { cwd: dir });
    const r = cairnOk([
      "run",
      "-n",
      "evaluate",
      "-d",
      "src/",
      "-d",
      "model/model.dat",
      "-M",
      "metrics/metrics.json",
      "python3",
      "src/evaluate.py",
    ], { cwd: dir });
    assertEquals(ran(r.stdout), ["evaluate"]);
    assert(exists(join(dir, "dvc.lock")));
    assertMatch(readText(dir, "dataset_id/.gitignore"), /^\/prepared$/m);
    commitAll(dir, "pipeline");
    // the tutorial changes the algorithm in model-config.json
    writeFiles(dir, { "model-config.json": '{"algorithm": "forest"}\n' });
    assertEquals(
      cairnOk(["status"], { cwd: dir }).stdout,
      "train:\n\tchanged deps:\n\t\tmodified:           model-config.json\n",
    );
    let out = cairnOk(["repro", "evaluate"], { cwd: dir }).stdout;
    assertEquals(ran(out), ["train", "evaluate"]);
    assertMatch(out, /Stage 'prepare' didn't change, skipping/);
    // a change in src/ (a directory dep of every stage) reruns the whole chain
    writeFiles(dir, { "src/util.py": "# helper\n" });
    const st = cairnOk(["status"], { cwd: dir }).stdout;
    assert(st.includes("prepare:\n\tchanged deps:\n\t\tmodified:           src\n"), st);
    out = cairnOk(["repro", "evaluate"], { cwd: dir }).stdout;
    assertEquals(ran(out), ["prepare", "train", "evaluate"]);
    assertMatch(out, /Use `cairn push` to send your updates to remote storage.\n$/);
  } finally {
    removeDir(dir);
  }
});

// ---------------------------------------------------------------------------
// seed 001/002: the walkthrough's legacy `dvc run -f load.dvc` stage files

Deno.test("seed: legacy `run -f X.dvc` load/train/evaluate; repro evaluate.dvc / train.dvc", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "code/load.py": `import json, os
n = json.load(open("config/load.json"))["num_images"]
for d in range(3):
    os.makedirs(f"data/{d}", exist_ok=True)
    open(f"data/{d}/images.txt", "w").write(f"{n // 3} images of {d}\\n")
`,
      "code/train.py": `import json, os
f = json.load(open("config/train.json"))["num_conv_filters"]
n = sum(int(open(f"data/{d}/images.txt").read().split()[0]) for d in os.listdir("data"))
os.makedirs("model", exist_ok=True)
open("model/model.h5", "w").write(f"filters={f} images={n}\\n")
`,
      "code/evaluate.py": `import json
m = open("model/model.h5").read()
json.dump({"acc": len(m) / 40}, open("model/metrics.json", "w"))
`,
      "config/load.json": '{ "num_images" : 1000 }\n',
      "config/train.json": '{ "num_conv_filters" : 32 }\n',
    });
    commitAll(dir, "add config");
    let r = cairnOk(
      ["run", "-f", "load.dvc", "-d", "config/load.json", "-o", "data", "python3", "code/load.py"],
      { cwd: dir, subprocess: true },
    );
    assertEquals(ran(r.stdout), ["load.dvc"]);
    assertEquals(readText(dir, ".gitignore"), "/data\n");
    assertMatch(
      readText(dir, "load.dvc"),
      /^md5: [0-9a-f]{32}\ncmd: python3 code\/load.py\ndeps:\n- md5: /,
    );
    cairnOk([
      "run",
      "-f",
      "train.dvc",
      "-d",
      "data",
      "-d",
      "config/train.json",
      "-o",
      "model/model.h5",
      "python3",
      "code/train.py",
    ], { cwd: dir, subprocess: true });
    cairnOk(
      [
        "run",
        "-f",
        "evaluate.dvc",
        "-d",
        "model/model.h5",
        "-M",
        "model/metrics.json",
        "python3",
        "code/evaluate.py",
      ],
      { cwd: dir, subprocess: true },
    );
    commitAll(dir, "0.1");
    r = cairnOk(["repro", "evaluate.dvc"], { cwd: dir, subprocess: true });
    assertEquals(ran(r.stdout), []);
    assertEquals(
      r.stdout,
      "Stage 'load.dvc' didn't change, skipping\nStage 'train.dvc' didn't change, skipping\n" +
        "Stage 'evaluate.dvc' didn't change, skipping\nData and pipelines are up to date.\n",
    );
    writeFiles(dir, { "config/load.json": '{ "num_images" : 2000 }\n' });
    r = cairnOk(["repro", "evaluate.dvc"], { cwd: dir, subprocess: true });
    assertEquals(ran(r.stdout), ["load.dvc", "train.dvc", "evaluate.dvc"]);
    commitAll(dir, "0.2");
    writeFiles(dir, { "config/train.json": '{ "num_conv_filters" : 64 }\n' });
    r = cairnOk(["repro", "train.dvc"], { cwd: dir, subprocess: true });
    assertEquals(ran(r.stdout), ["train.dvc"]);
    assertMatch(r.stdout, /^Stage 'load.dvc' didn't change, skipping\n/);
    r = cairnOk(["repro", "evaluate.dvc"], { cwd: dir, subprocess: true });
    assertEquals(ran(r.stdout), ["evaluate.dvc"]);
    writeFiles(dir, { "config/load.json": '{ "num_images" : 3000 }\n' });
    r = cairnOk(["repro", "evaluate.dvc"], { cwd: dir, subprocess: true });
    assertEquals(ran(r.stdout), ["load.dvc", "train.dvc", "evaluate.dvc"]);
    assertEquals(cairnOk(["status", "--json"], { cwd: dir, subprocess: true }).stdout.trim(), "{}");
    // the .dvc files record the new hashes (git diff shows them change)
    assertMatch(git(["diff", "--stat"], dir), /load.dvc/);
    const dag = cairn(["pipeline", "show", "--ascii", "evaluate.dvc"], {
      cwd: dir,
      subprocess: true,
    });
    if (dag.code === 0) {
      for (const s of ["load.dvc", "train.dvc", "evaluate.dvc"]) {
        assertMatch(dag.stdout, new RegExp(s));
      }
    }
  } finally {
    removeDir(dir);
  }
});
