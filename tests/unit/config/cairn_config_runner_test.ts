/** `.dvc/cairn.yaml`: the project's default runner and the slurm runner's defaults. */
import { assertEquals, assertThrows } from "../../_rig/assert.ts";
import { parseCairnConfig } from "../../../lib/config/cairn_config.ts";
import { ConfigError } from "../../../lib/errors.ts";

Deno.test("cairn.yaml: runner and slurm defaults are read as written", () => {
  const c = parseCairnConfig("runner: slurm\nslurm:\n  partition: gpu\n  time: 30\n", "f.yaml");
  assertEquals(c.runner, "slurm");
  assertEquals(c.slurm, { partition: "gpu", time: 30 });
  assertEquals(parseCairnConfig("sandbox: on\n", "f.yaml").runner, undefined);
});

Deno.test("cairn.yaml: a bad runner or slurm value names the file and the key", () => {
  const e1 = assertThrows(
    () => parseCairnConfig("runner: [a]\n", "/p/.dvc/cairn.yaml"),
    ConfigError,
  );
  assertEquals(
    (e1 as ConfigError).message,
    "'/p/.dvc/cairn.yaml' is invalid: 'runner' must be a runner name such as shell or slurm (got [\"a\"])",
  );
  const e2 = assertThrows(
    () => parseCairnConfig("slurm: gpu\n", "/p/.dvc/cairn.yaml"),
    ConfigError,
  );
  assertEquals(
    (e2 as ConfigError).message,
    "'/p/.dvc/cairn.yaml' is invalid: 'slurm' must be a mapping",
  );
});
