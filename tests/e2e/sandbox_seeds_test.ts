/**
 * The tutorials' pipelines (../shared/seeds/) run unchanged with policy off
 * and with policy on (set in .dvc/cairn.yaml), giving the same dvc.lock; and
 * `repro --explain-inputs` tells what the five-stage pipeline's dvc.yaml
 * leaves out (its shared helper module).
 */
import { assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { FIVE_STAGE_SRC } from "../_rig/seed_pipelines.ts";

// seed 003: the five-stage params-driven pipeline (`python -m src.stages.X --config=params.yaml`).
const FIVE_STAGE: Record<string, string> = {
  ...FIVE_STAGE_SRC,
  // the course repo keeps its (empty) output folders in git
  "data/raw/.gitkeep": "",
  "data/processed/.gitkeep": "",
  "models/.gitkeep": "",
  "reports/.gitkeep": "",
  "data/source.csv": Array.from({ length: 20 }, (_, i) => `${i + 1}`).join("\n") + "\n",
  "params.yaml": JSON.stringify(
    {
      base: { random_state: 42 },
      data_load: { rows: 8 },
      featurize: { scale: 2 },
      data_split: { test_size: 0.25 },
      train: { C: 0.001 },
      evaluate: { smooth: 1 },
    },
    null,
    2,
  ) + "\n",
  "dvc.yaml": `stages:
  data_load:
    cmd: python3 -m src.stages.data_load --config=params.yaml
    deps:
    - src/stages/data_load.py
    - data/source.csv
    params:
    - base
    - data_load
    outs:
    - data/raw/iris.csv
  featurize:
    cmd: python3 -m src.stages.featurize --config=params.yaml
    deps:
    - data/raw/iris.csv
    - src/stages/featurize.py
    params:
    - base
    - featurize
    outs:
    - data/processed/featured_iris.csv
  data_split:
    cmd: python3 -m src.stages.data_split --config=params.yaml
    deps:
    - data/processed/featured_iris.csv
    - src/stages/data_split.py
    params:
    - base
    - data_split
    - featurize
    outs:
    - data/processed/train_iris.csv
    - data/processed/test_iris.csv
  train:
    cmd: python3 -m src.stages.train --config=params.yaml
    deps:
    - data/processed/train_iris.csv
    - src/stages/train.py
    params:
    - base
    - train
    outs:
    - models/model.joblib
  evaluate:
    cmd: python3 -m src.stages.evaluate --config=params.yaml
    deps:
    - data/processed/test_iris.csv
    - src/stages/evaluate.py
    - models/model.joblib
    params:
    - evaluate
    outs:
    - reports/confusion_matrix.png
    metrics:
    - reports/metrics.json:
        cache: false
`,
};

// seed 000/001: prepare / train / evaluate with folder deps and outs, a JSON
// config, sh + python3 scripts, a -M metrics file.
const PREPARE_TRAIN_EVALUATE: Record<string, string> = {
  "src/prepare.sh": `#!/bin/sh
set -e
mkdir -p dataset_id/prepared/train dataset_id/prepared/val dataset_id/prepared/test
i=0
for f in dataset_id/raw/*.txt; do
  i=$((i+1))
  case $((i % 3)) in
    0) cp "$f" dataset_id/prepared/test/ ;;
    1) cp "$f" dataset_id/prepared/train/ ;;
    2) cp "$f" dataset_id/prepared/val/ ;;
  esac
done
`,
  "src/train.py": `import json, os
cfg = json.load(open("prepare-config.json"))
train = sorted(os.listdir("dataset_id/prepared/train"))
words = sum(len(open(os.path.join("dataset_id/prepared/train", f)).read().split()) for f in train)
os.makedirs("model", exist_ok=True)
open("model/model.h5", "w").write(f"epochs={cfg['epochs']} words={words}\\n")
`,
  "src/evaluate.py": `import json, os
model = open("model/model.h5").read()
val = os.listdir("dataset_id/prepared/val")
json.dump({"accuracy": round(len(val) / (len(val) + 1), 4), "model": len(model)}, open("model/metrics.json", "w"))
`,
  "prepare-config.json": '{"epochs": 3}\n',
  ...Object.fromEntries(
    Array.from({ length: 9 }, (_, i) => [`dataset_id/raw/doc${i}.txt`, `word ${i} `.repeat(i + 1)]),
  ),
  "dvc.yaml": `stages:
  prepare:
    cmd: sh src/prepare.sh
    deps:
    - src/prepare.sh
    - dataset_id/raw
    - prepare-config.json
    outs:
    - dataset_id/prepared/train
    - dataset_id/prepared/val
    - dataset_id/prepared/test
  train:
    cmd: python3 src/train.py
    deps:
    - dataset_id/prepared/train
    - prepare-config.json
    - src/train.py
    outs:
    - model/model.h5
  evaluate:
    cmd: python3 src/evaluate.py
    deps:
    - model/model.h5
    - dataset_id/prepared/val
    - src/evaluate.py
    metrics:
    - model/metrics.json:
        cache: false
`,
};

function lockOf(files: Record<string, string>, policy: "off" | "on"): string {
  const repo = makeRepo();
  try {
    writeFiles(repo, files);
    if (policy !== "off") {
      writeFiles(repo, { ".dvc/cairn.yaml": `sandbox:\n  policy: ${policy}\n` });
    }
    git(["add", "-A"], repo);
    git(["commit", "-qm", "pipeline"], repo);
    const r = cairn(["repro"], { cwd: repo, subprocess: true });
    assertEquals(r.code, 0, `${policy}: ${r.stdout}\n${r.stderr}`);
    const st = cairnOk(["status"], { cwd: repo, subprocess: true });
    assertMatch(st.stdout, /Data and pipelines are up to date/);
    return Deno.readTextFileSync(`${repo}/dvc.lock`);
  } finally {
    removeDir(repo);
  }
}

for (
  const [name, files] of Object.entries({
    "five-stage params-driven (seed 003)": FIVE_STAGE,
    "prepare/train/evaluate (seed 000/001)": PREPARE_TRAIN_EVALUATE,
  })
) {
  Deno.test(`sandbox seeds: ${name} runs unchanged with policy off and on, same dvc.lock`, () => {
    const off = lockOf(files, "off");
    const on = lockOf(files, "on");
    assertEquals(on, off);
  });
}

Deno.test("sandbox seeds: --explain-inputs names the helper module the five-stage dvc.yaml omits", () => {
  const repo = makeRepo();
  try {
    writeFiles(repo, FIVE_STAGE);
    git(["add", "-A"], repo);
    git(["commit", "-qm", "pipeline"], repo);
    const r = cairn(["repro", "--explain-inputs", "train"], { cwd: repo, subprocess: true });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      /Inputs of stage 'train' [^\n]*\n {2}read but not declared:\n(\s+- [^\n]+\n)*\s+- src\/stages\/common\.py/,
    );
    assertMatch(r.stdout, /suggested dvc\.yaml fix \(stage 'train'\)/);
  } finally {
    removeDir(repo);
  }
});
