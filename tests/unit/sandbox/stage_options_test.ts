import assert from "node:assert/strict";
import { sandboxOptionsForStage } from "../../../lib/sandbox/stage_options.ts";
import { SandboxGrantError } from "../../../lib/sandbox/errors.ts";
import type { Stage } from "../../../lib/stage/types.ts";

function stage(extra: Partial<Stage> = {}): Stage {
  return {
    name: "train",
    kind: "pipeline",
    file: "sub/dvc.yaml",
    wdir: "sub",
    cmd: "python train.py",
    deps: [{ path: "train.py" }, { path: "data.csv" }, { path: "x", repo: { url: "u" } }],
    params: [{ file: "params.yaml", keys: ["lr"] }],
    outs: [
      { path: "model.pkl", kind: "out", cache: true, persist: false, push: true },
      { path: "metrics.json", kind: "metric", cache: false, persist: true, push: true },
    ],
    frozen: false,
    alwaysChanged: false,
    ...extra,
  };
}

Deno.test("stage options: deps + params files, outs with persist, cwd from wdir", () => {
  const o = sandboxOptionsForStage(stage(), { repoRoot: "/r/" });
  assert.equal(o.cwd, "/r/sub");
  assert.equal(o.stage, "sub/dvc.yaml:train");
  assert.deepEqual(o.deps, ["train.py", "data.csv", "params.yaml"]);
  assert.deepEqual(o.outs, [
    { path: "model.pkl", persist: false },
    { path: "metrics.json", persist: true },
  ]);
  assert.equal(o.policy, "off");
});

Deno.test("stage options: policy precedence run > stage > project > off", () => {
  const s = stage({ meta: { sandbox: { policy: "on", env: ["K"] } } });
  assert.equal(sandboxOptionsForStage(s, { repoRoot: "/r" }).policy, "on");
  assert.equal(
    sandboxOptionsForStage(s, { repoRoot: "/r", projectPolicy: "hermetic" }).policy,
    "on",
  );
  assert.equal(
    sandboxOptionsForStage(s, { repoRoot: "/r", runPolicy: "hermetic" }).policy,
    "hermetic",
  );
  assert.equal(
    sandboxOptionsForStage(stage(), { repoRoot: "/r", projectPolicy: "hermetic" }).policy,
    "hermetic",
  );
  assert.deepEqual(sandboxOptionsForStage(s, { repoRoot: "/r" }).grants.env, ["K"]);
  assert.throws(
    () => sandboxOptionsForStage(stage({ meta: { sandbox: { nett: true } } }), { repoRoot: "/r" }),
    (e: unknown) => e instanceof SandboxGrantError && /stage 'sub\/dvc.yaml:train'/.test(e.message),
  );
});
