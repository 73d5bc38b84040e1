import assert from "node:assert/strict";
import {
  checkFits,
  parseMem,
  stageResources,
  tryAcquire,
} from "../../../lib/pipeline/resources.ts";
import type { Stage } from "../../../lib/stage/types.ts";

const stage = (meta: unknown) => ({ meta } as unknown as Stage);

Deno.test("resources: meta.resources parsed; mem units; bad values name the stage", () => {
  assert.equal(stageResources(stage(undefined), "s"), undefined);
  assert.deepEqual(stageResources(stage({ resources: { gpus: 1, cpus: 4, mem: "16G" } }), "s"), {
    gpus: 1,
    cpus: 4,
    mem: 16 * 1024 ** 3,
  });
  assert.equal(parseMem("512M", "s"), 512 * 1024 ** 2);
  assert.equal(parseMem("1.5Gi", "s"), 1.5 * 1024 ** 3);
  assert.throws(
    () => stageResources(stage({ resources: { gpus: "two" } }), "stage 'x'"),
    /stage 'x'/,
  );
  assert.throws(() => parseMem("lots", "stage 'y'"), /stage 'y'/);
});

Deno.test("resources: slots are all-or-nothing, shared through the directory, freed on release", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-res-unit-" });
  try {
    const machine = { gpus: ["0", "1"], cpus: 2, mem: 1024 ** 3 };
    const a = tryAcquire({ gpus: 1, cpus: 1, mem: 0 }, machine, dir)!;
    assert.deepEqual(a.env, { CUDA_VISIBLE_DEVICES: "0" });
    const b = tryAcquire({ gpus: 1, cpus: 1, mem: 0 }, machine, dir)!;
    assert.deepEqual(b.gpus, ["1"]);
    // no GPU left, and a failed attempt holds nothing
    assert.equal(tryAcquire({ gpus: 1, cpus: 0, mem: 0 }, machine, dir), null);
    a.release();
    const c = tryAcquire({ gpus: 1, cpus: 1, mem: 512 * 1024 ** 2 }, machine, dir)!;
    assert.deepEqual(c.gpus, ["0"]);
    assert.equal(tryAcquire({ gpus: 0, cpus: 0, mem: 768 * 1024 ** 2 }, machine, dir), null);
    b.release();
    c.release();
    assert.throws(
      () => checkFits({ gpus: 3, cpus: 0, mem: 0 }, machine, "stage 'z'"),
      /needs 3 GPU/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
