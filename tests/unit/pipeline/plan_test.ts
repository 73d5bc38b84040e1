import { assertEquals } from "../../_rig/assert.ts";
import { buildGraph } from "../../../lib/pipeline/graph.ts";
import { planDependencies, planRepro } from "../../../lib/pipeline/plan.ts";
import { st } from "./_stages.ts";
import type { Stage } from "../../../lib/stage/types.ts";

// The fixture pipeline_repo, in DVC's collection order.
function fixture(): Stage[] {
  const raw = st("data/raw.csv.dvc", [], ["data/raw.csv"], {
    kind: "dvcfile",
    file: "data/raw.csv.dvc",
    cmd: undefined,
  });
  return [
    st("prepare", ["data/raw.csv", "src/prepare.py"], ["data/prepared"]),
    st("train", ["data/prepared", "src/train.py"], ["model.json", "logs/train_log.txt"]),
    st("evaluate", ["../data/prepared/test.csv", "../model.json"], ["metrics.json", "prc.csv"], {
      wdir: "eval",
    }),
    st("summarize@train", ["data/prepared/train.csv"], ["summary/train.txt"]),
    st("summarize@test", ["data/prepared/test.csv"], ["summary/test.txt"]),
    st("bucket@small", ["src/bucket.py"], ["buckets/small.txt"]),
    st("bucket@large", ["src/bucket.py"], ["buckets/large.txt"]),
    st("score@linear-acc", ["model.json"], ["scores/linear_acc.json"]),
    st("score@tree-f1", ["model.json"], ["scores/tree_f1.json"]),
    raw,
  ];
}

const names = (stages: Stage[], plan: number[]) => plan.map((i) => stages[i].name);

Deno.test("default plan is DVC's post-order (fixture repro.txt order)", () => {
  const s = fixture();
  const g = buildGraph(s);
  assertEquals(names(s, planRepro(g, [])), [
    "data/raw.csv.dvc",
    "prepare",
    "train",
    "evaluate",
    "summarize@train",
    "summarize@test",
    "bucket@small",
    "bucket@large",
    "score@linear-acc",
    "score@tree-f1",
  ]);
});

Deno.test("target pulls its upstream; -s only the target; --downstream", () => {
  const s = fixture();
  const g = buildGraph(s);
  assertEquals(names(s, planRepro(g, [1])), ["data/raw.csv.dvc", "prepare", "train"]);
  assertEquals(names(s, planRepro(g, [1], { singleItem: true })), ["train"]);
  assertEquals(names(s, planRepro(g, [1], { downstream: true })), [
    "train",
    "evaluate",
    "score@linear-acc",
    "score@tree-f1",
  ]);
  assertEquals(names(s, planRepro(g, [5], { pipeline: true })), ["bucket@small"]);
  assertEquals(planRepro(g, [7], { pipeline: true }).length, 8);
});

Deno.test("a frozen stage does not pull in its upstream", () => {
  const s = fixture();
  s[1].frozen = true;
  const g = buildGraph(s);
  // evaluate still needs prepare (its own dep), but train's upstream is cut
  assertEquals(names(s, planRepro(g, [2])), ["data/raw.csv.dvc", "prepare", "train", "evaluate"]);
  assertEquals(names(s, planRepro(g, [1])), ["train"]);
});

Deno.test("plan dependencies for the parallel executor", () => {
  const s = fixture();
  const g = buildGraph(s);
  const plan = planRepro(g, []);
  const deps = planDependencies(g, plan);
  // evaluate (index 3 in plan) waits for prepare (1) and train (2)
  assertEquals(deps[3], [1, 2]);
  assertEquals(deps[5], [1]);
  assertEquals(deps[6], []);
  const single = planRepro(g, [0, 7], { singleItem: true });
  assertEquals(planDependencies(g, single), [[], [0]]);
});
