import { assertEquals, assertThrows } from "../../_rig/assert.ts";
import {
  buildGraph,
  OutputDuplicationError,
  OverlappingOutputPathsError,
  StagePathAsOutputError,
} from "../../../lib/pipeline/graph.ts";
import { CyclicGraphError } from "../../../lib/errors.ts";
import { st } from "./_stages.ts";

Deno.test("edges: dep equal to, inside, or containing an output", () => {
  const g = buildGraph([
    st("a", [], ["data"]),
    st("b", ["data/x.csv"], ["model"]),
    st("c", ["model"], ["res/m.json"]),
    st("d", ["res", "data"], []),
    st("e", ["."], []),
  ]);
  assertEquals(g.upstream, [[], [0], [1], [2, 0], [0, 1, 2]]);
  assertEquals(g.downstream, [[1, 3, 4], [2, 4], [3, 4], [], []]);
});

Deno.test("wdir-relative paths and params files create edges", () => {
  const g = buildGraph([
    st("gen", [], ["params.yaml"]),
    st("ev", ["../model"], ["m.json"], {
      wdir: "eval",
      params: [{ file: "../params.yaml", keys: ["a"] }],
    }),
    st("train", [], ["model"]),
  ]);
  assertEquals(g.upstream[1], [2, 0]);
});

Deno.test("duplicate and overlapping outputs, stage file in output", () => {
  assertThrows(() => buildGraph([st("a", [], ["x"]), st("b", [], ["x"])]), OutputDuplicationError);
  assertThrows(() => buildGraph([st("a", [], ["x", "x"])]), OutputDuplicationError);
  assertThrows(
    () => buildGraph([st("a", [], ["d"]), st("b", [], ["d/e"])]),
    OverlappingOutputPathsError,
  );
  assertThrows(
    () => buildGraph([st("a", [], ["d/e"]), st("b", [], ["d"])]),
    OverlappingOutputPathsError,
  );
  assertThrows(
    () => buildGraph([st("a", [], ["sub"]), st("b", [], [], { file: "sub/dvc.yaml" })]),
    StagePathAsOutputError,
  );
});

Deno.test("cycle lists its stages", () => {
  const err = assertThrows(
    () =>
      buildGraph([
        st("a", ["z"], ["x"]),
        st("b", ["x"], ["y"]),
        st("c", ["y"], ["z"]),
        st("free", [], ["w"]),
      ]),
    (e: unknown) => {
      if (!(e instanceof CyclicGraphError)) return false;
      assertEquals([...e.cycle].sort(), ["a", "b", "c"]);
      return true;
    },
  );
  void err;
  assertThrows(() => buildGraph([st("self", ["o/in"], ["o"])]), CyclicGraphError);
});
