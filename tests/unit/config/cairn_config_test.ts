import { assert, assertEquals, assertMatch } from "../../_rig/assert.ts";
import { loadCairnConfig, parseCairnConfig } from "../../../lib/config/cairn_config.ts";
import { ConfigError } from "../../../lib/errors.ts";

Deno.test("cairn.yaml: policy and plugins", () => {
  const c = parseCairnConfig("sandbox:\n  policy: hermetic\nplugins:\n  - tools/r\n", "f");
  assertEquals(c.sandbox.policy, "hermetic");
  assertEquals(c.plugins, ["tools/r"]);
  assertEquals(parseCairnConfig("sandbox: on\nplugins: x\n", "f").sandbox.policy, "on");
  assertEquals(parseCairnConfig("sandbox: true\n", "f").sandbox.policy, "on");
  assertEquals(parseCairnConfig("plugins: x\n", "f").plugins, ["x"]);
  assertEquals(parseCairnConfig("", "f"), { sandbox: {}, plugins: [], file: "f" });
});

Deno.test("cairn.yaml: mistakes are config errors naming the file and the key", () => {
  for (
    const [text, msg] of [
      ["sandbox: {policy: strict}\n", /sandbox\.policy must be one of off, on, hermetic/],
      ["sandbox: {polcy: on}\n", /unknown key 'sandbox\.polcy'/],
      ["sandboxes: on\n", /unknown key 'sandboxes'/],
      ["plugins: [1]\n", /'plugins' must be a list of paths/],
      ["- a\n", /top level must be a mapping/],
      ["sandbox: [\n", /'x\/cairn\.yaml' is invalid/],
    ] as const
  ) {
    try {
      parseCairnConfig(text, "x/cairn.yaml");
      assert(false, `no error for ${text}`);
    } catch (err) {
      assert(err instanceof ConfigError, String(err));
      assertMatch(err.message, msg);
    }
  }
});

Deno.test("cairn.yaml: a project without the file gets DVC's behaviour", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assertEquals(loadCairnConfig(dir), { sandbox: {}, plugins: [] });
    Deno.mkdirSync(`${dir}/.dvc`);
    Deno.writeTextFileSync(`${dir}/.dvc/cairn.yaml`, "sandbox: {policy: off}\n");
    assertEquals(loadCairnConfig(dir).sandbox.policy, "off");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
