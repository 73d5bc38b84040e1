import type { RunnerManifest } from "../../lib/plugin/runner_api.ts";

/**
 * A stage whose command is a Deno script runs with Deno's own permissions
 * set from its declaration (--allow-read = deps + its code + outs,
 * --allow-write = outs, --allow-net/--allow-env = its grants); no bwrap
 * needed, so it confines stages on every OS Deno runs on.
 */
export const manifest: RunnerManifest = {
  name: "runner_deno",
  apiVersion: 1,
  kind: "runner",
  description:
    "Deno scripts (`deno run x.ts`, `x.ts`) under Deno permissions from deps/outs/grants",
  permissions: {
    run: ["{deno}", "strace"],
    read: ["{repoRoot}"],
    write: ["{repoRoot}"],
    env: ["*"],
  },
  runner: {
    policies: ["off", "on", "hermetic"],
    requires: { on: ["deno"], hermetic: ["deno"] },
    commands: "deno run [flags] script.ts [args] | script.ts [args] (no shell syntax)",
    matchesCommands: true,
  },
};
