import { assertEquals, assertStrictEquals, assertThrows } from "../../_rig/assert.ts";
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
  assertStrictEquals(o.cwd, "/r/sub");
  assertStrictEquals(o.stage, "sub/dvc.yaml:train");
  assertEquals(o.deps, ["train.py", "data.csv", "params.yaml"]);
  assertEquals(o.outs, [
    { path: "model.pkl", persist: false },
    { path: "metrics.json", persist: true },
  ]);
  assertStrictEquals(o.policy, "off");
});

Deno.test("stage options: policy precedence run > stage > project > off", () => {
  const s = stage({ meta: { sandbox: { policy: "on", env: ["K"] } } });
  assertStrictEquals(sandboxOptionsForStage(s, { repoRoot: "/r" }).policy, "on");
  assertStrictEquals(
    sandboxOptionsForStage(s, { repoRoot: "/r", projectPolicy: "hermetic" }).policy,
    "on",
  );
  assertStrictEquals(
    sandboxOptionsForStage(s, { repoRoot: "/r", runPolicy: "hermetic" }).policy,
    "hermetic",
  );
  assertStrictEquals(
    sandboxOptionsForStage(stage(), { repoRoot: "/r", projectPolicy: "hermetic" }).policy,
    "hermetic",
  );
  assertEquals(sandboxOptionsForStage(s, { repoRoot: "/r" }).grants.env, ["K"]);
  assertThrows(
    () => sandboxOptionsForStage(stage({ meta: { sandbox: { nett: true } } }), { repoRoot: "/r" }),
    (e: unknown) => e instanceof SandboxGrantError && /stage 'sub\/dvc.yaml:train'/.test(e.message),
  );
});
