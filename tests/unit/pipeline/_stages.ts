/** Tiny Stage builders for graph/plan tests. */
import type { Stage } from "../../../lib/stage/types.ts";

export function st(
  name: string,
  deps: string[] = [],
  outs: string[] = [],
  extra: Partial<Stage> = {},
): Stage {
  return {
    name,
    kind: "pipeline",
    file: "dvc.yaml",
    wdir: "",
    cmd: `echo ${name}`,
    deps: deps.map((path) => ({ path })),
    params: [],
    outs: outs.map((path) => ({ path, kind: "out", cache: true, persist: false, push: true })),
    frozen: false,
    alwaysChanged: false,
    ...extra,
  };
}
