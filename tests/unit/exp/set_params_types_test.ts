/**
 * `-S` values keep the types DVC gives them (issue 15 item 2): `1.0` stays a
 * float, `1e-3` is the float 0.001, collections keep float elements, and the
 * untouched parts of the params file stay as they were.
 */
import { assertStrictEquals } from "../../_rig/assert.ts";
import { join } from "node:path";
import { applyOverrides, parseOverride } from "../../../lib/repo/exp/set_params.ts";
import { parseParams } from "../../../lib/params/load.ts";

function edit(text: string, items: string[]): string {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-exp-types-" });
  try {
    Deno.writeTextFileSync(join(dir, "params.yaml"), text);
    applyOverrides(dir, items.map(parseOverride));
    return Deno.readTextFileSync(join(dir, "params.yaml"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const BASE = `# header comment
train:
  C: [0.5]   # regularisation
  lr: 0.01
  layers:
  - 16
  - 8
other: keep   # untouched
`;

Deno.test("-S train.C=[1.0] keeps the float inside a flow list, comment kept", () => {
  const out = edit(BASE, ["train.C=[1.0]"]);
  assertStrictEquals(out, BASE.replace("C: [0.5]", "C: [1.0]"));
  const data = parseParams(out, "params.yaml") as { train: { C: unknown[] } };
  assertStrictEquals(String(data.train.C[0]), "1.0");
});

Deno.test("-S lr=1e-3 is written as the float 0.001; 1.0 stays 1.0; ints stay ints", () => {
  assertStrictEquals(edit(BASE, ["train.lr=1e-3"]), BASE.replace("lr: 0.01", "lr: 0.001"));
  assertStrictEquals(edit(BASE, ["train.lr=1.0"]), BASE.replace("lr: 0.01", "lr: 1.0"));
  assertStrictEquals(edit(BASE, ["train.lr=2"]), BASE.replace("lr: 0.01", "lr: 2"));
  assertStrictEquals(edit(BASE, ["train.lr=1e-5"]), BASE.replace("lr: 0.01", "lr: 1.0e-05"));
});

Deno.test("-S on a block list replaces it in block style; the rest is untouched", () => {
  const out = edit(BASE, ["train.layers=[32.0, 4]"]);
  assertStrictEquals(out, BASE.replace("  - 16\n  - 8\n", "  - 32.0\n  - 4\n"));
  const scalar = edit(BASE, ["train.layers=3"]);
  assertStrictEquals(scalar, BASE.replace("layers:\n  - 16\n  - 8\n", "layers: 3\n"));
});

Deno.test("+key adds a block entry at the mapping's indentation, floats kept", () => {
  const out = edit(BASE, ["+train.extra=[1.0, {a: 2.50}]", "+top=1.0"]);
  assertStrictEquals(
    out,
    BASE.replace("  - 8\n", "  - 8\n  extra:\n  - 1.0\n  - a: 2.5\n") + "top: 1.0\n",
  );
});
