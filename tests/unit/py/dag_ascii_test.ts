/**
 * grandalf's Sugiyama layout and DVC's ASCII canvas, on their own: 100
 * random DAGs (up to 14 vertices, long edges, wide fans) drawn by DVC's
 * `dvc.dagascii.draw` with grandalf's edge set pinned to creation order
 * (tests/fixtures/dag/layout_pinned.json, scripts/record_dag_fixtures.ts
 * --layout), and Python's rounding.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../../_rig/assert.ts";
import { ROOT } from "../../_rig/rig.ts";
import { drawDagAscii, roundHalfEven } from "../../../lib/py/dag_ascii.ts";
import { componentOrder } from "../../../lib/py/sugiyama.ts";

interface Recorded {
  nodes: string[];
  /** [downstream, upstream], as DVC passes them to grandalf. */
  edges: [string, string][];
  drawing: string;
}

const corpus: Recorded[] = JSON.parse(
  Deno.readTextFileSync(join(ROOT, "tests", "fixtures", "dag", "layout_pinned.json")),
);

Deno.test("dag layout: 100 graphs drawn exactly as DVC draws them", () => {
  assertEquals(corpus.length, 100);
  let long = 0;
  corpus.forEach((g, i) => {
    const got = drawDagAscii(g.nodes, g.edges.map(([d, u]) => [u, d] as [string, string]));
    assertEquals(got, g.drawing, `graph ${i}: ${JSON.stringify(g.edges)}`);
    if (g.edges.length > g.nodes.length) long++;
  });
  // the corpus is not only trees
  assert(long > 20, `${long} graphs with more edges than vertices`);
});

Deno.test("dag layout: Python's round() ties to even", () => {
  assertEquals([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven), [
    0,
    2,
    2,
    0,
    -2,
    2,
    3,
  ]);
});

Deno.test("dag layout: grandalf's vertex order merges each edge's head into its tail's component", () => {
  // vertices 0..3; edges 1->0, 2->3, 0->3: {1,0} then {2,3} then {1,0} absorbs {2,3}
  assertEquals(componentOrder(4, [[1, 0], [2, 3], [0, 3]]), [1, 0, 2, 3]);
  assertEquals(componentOrder(1, []), [0]);
});
