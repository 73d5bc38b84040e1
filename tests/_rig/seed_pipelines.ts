/**
 * Stage scripts of the seeds' five-stage params-driven pipeline (seed 003/004:
 * `python -m src.stages.X --config=params.yaml`), small and stdlib-only,
 * shared by the pipeline and sandbox e2e tests.
 */
export const FIVE_STAGE_SRC: Record<string, string> = {
  "src/__init__.py": "",
  "src/stages/__init__.py": "",
  "src/stages/common.py": `import json, sys
def params():
    path = sys.argv[1].split("=", 1)[1]
    return json.load(open(path))
`,
  "src/stages/data_load.py": `from src.stages.common import params
p = params()
rows = open("data/source.csv").read().splitlines()[: p["data_load"]["rows"]]
open("data/raw/iris.csv", "w").write("\\n".join(rows) + "\\n")
`,
  "src/stages/featurize.py": `from src.stages.common import params
p = params()
rows = open("data/raw/iris.csv").read().splitlines()
k = p["featurize"]["scale"]
open("data/processed/featured_iris.csv", "w").write("".join(f"{r},{int(r) * k}\\n" for r in rows))
`,
  "src/stages/data_split.py": `from src.stages.common import params
p = params()
rows = open("data/processed/featured_iris.csv").read().splitlines()
n = int(len(rows) * p["data_split"]["test_size"])
open("data/processed/train_iris.csv", "w").write("\\n".join(rows[n:]) + "\\n")
open("data/processed/test_iris.csv", "w").write("\\n".join(rows[:n]) + "\\n")
`,
  "src/stages/train.py": `from src.stages.common import params
p = params()
rows = open("data/processed/train_iris.csv").read().splitlines()
open("models/model.joblib", "w").write(f"C={p['train']['C']} n={len(rows)}\\n")
`,
  "src/stages/evaluate.py": `import json
from src.stages.common import params
p = params()
model = open("models/model.joblib").read()
test = open("data/processed/test_iris.csv").read().splitlines()
json.dump({"f1": len(model) / (len(test) + p["evaluate"]["smooth"])}, open("reports/metrics.json", "w"))
open("reports/confusion_matrix.png", "w").write(model)
`,
};
