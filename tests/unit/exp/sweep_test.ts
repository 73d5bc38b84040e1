import assert from "node:assert/strict";
import { expandSweeps, isSweep, sweepSize } from "../../../lib/repo/exp/sweep.ts";
import { UsageError } from "../../../lib/errors.ts";

Deno.test("sweeps: choice lists, choice(), range() with ints and accumulated floats", () => {
  assert.deepEqual(expandSweeps(["a=1,2"]), [["a=1"], ["a=2"]]);
  assert.deepEqual(expandSweeps(["a=choice(x, 'y,z')"]), [["a=x"], ["a='y,z'"]]);
  assert.deepEqual(expandSweeps(["n=range(1, 4)"]), [["n=1"], ["n=2"], ["n=3"]]);
  assert.deepEqual(expandSweeps(["n=range(3)"]), [["n=0"], ["n=1"], ["n=2"]]);
  assert.deepEqual(expandSweeps(["lr=range(0.1, 0.5, 0.1)"]).map((c) => c[0]), [
    "lr=0.1",
    "lr=0.2",
    "lr=0.30000000000000004",
    "lr=0.4",
  ]);
  // lists and mappings are values, not sweeps
  assert.equal(isSweep(["l=[1, 2]", "m={a: 1, b: 2}", "f:p.yaml:x=1"]), false);
  assert.deepEqual(expandSweeps(["l=[1, 2]"]), [["l=[1, 2]"]]);
});

Deno.test("sweeps: several keys give the cross product, first key slowest; file prefixes kept", () => {
  assert.deepEqual(expandSweeps(["a=1,2", "p2.yaml:b=x,y", "c=5"]), [
    ["a=1", "p2.yaml:b=x", "c=5"],
    ["a=1", "p2.yaml:b=y", "c=5"],
    ["a=2", "p2.yaml:b=x", "c=5"],
    ["a=2", "p2.yaml:b=y", "c=5"],
  ]);
});

Deno.test("sweeps: more than 10,000 points need force; glob() is refused", () => {
  assert.equal(sweepSize(["a=range(0, 200)", "b=range(0, 100)"]), 20_000);
  assert.throws(() => expandSweeps(["a=range(0, 200)", "b=range(0, 100)"]), UsageError);
  assert.equal(
    expandSweeps(["a=range(0, 200)", "b=range(0, 100)"], { force: true }).length,
    20_000,
  );
  assert.throws(() => expandSweeps(["a=glob(*)"]), UsageError);
});
