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
  // Part of cairn, run in its process: no permissions of its own (see runner_shell).
  permissions: {},
  runner: {
    policies: ["off", "on", "hermetic"],
    requires: { on: ["deno"], hermetic: ["deno"] },
    confinement: {
      off: "none: the command runs through the shell as DVC runs it",
      on: "Deno's permissions on the script's process: --allow-read = deps, script, outs and " +
        "read grants; --allow-write = outs and write grants; --allow-net/--allow-env = the " +
        "grants; never run, ffi or sys",
      hermetic: "Deno's permissions as under on (Deno grants named paths only, so on already " +
        "reads only what is declared)",
    },
    commands: "deno run [flags] script.ts [args] | script.ts [args] (no shell syntax)",
    matchesCommands: true,
  },
};
