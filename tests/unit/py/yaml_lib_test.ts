import { assertEquals, assertStrictEquals } from "../../_rig/assert.ts";
import { yaml, yamlBuild } from "../../../lib/py/yaml_lib.ts";
import { parseYaml } from "../../../lib/py/yaml_parse.ts";
import { loadedYaml } from "../../../lib/py/yaml_slot.ts";

Deno.test("the yaml package is loaded as ES modules (no Node-compat layer at start-up)", () => {
  assertStrictEquals(yamlBuild, "esm");
  const entry = import.meta.resolve("npm:yaml@^2.9.1");
  // the package's CommonJS entry is what Deno resolves; its ES build sits beside it
  assertStrictEquals(entry.endsWith("/dist/index.js"), true, entry);
});

Deno.test("yaml_parse uses the shared copy once loaded (text the fast reader declines)", () => {
  assertStrictEquals(loadedYaml(), yaml);
  const { value } = parseYaml("a: &x [1, b]\nc: *x\n", "x.yaml");
  assertEquals(JSON.parse(JSON.stringify(value)), { a: [1, "b"], c: [1, "b"] });
});
