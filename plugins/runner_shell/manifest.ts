import type { RunnerManifest } from "../../lib/plugin/runner_api.ts";

/**
 * DVC's behaviour: `cmd` through the user's shell. Under policy on/hermetic
 * the command runs inside bubblewrap, which is what confines it: the runner
 * itself is part of cairn and needs to start the shell, bwrap and strace,
 * and to prepare and check the stage's output folders in the project.
 */
export const manifest: RunnerManifest = {
  name: "runner_shell",
  apiVersion: 1,
  kind: "runner",
  description: "cmd through the user's shell ($SHELL -c, as DVC); on/hermetic: inside bubblewrap",
  permissions: {
    run: ["{shell}", "bwrap", "strace"],
    read: ["{repoRoot}"],
    write: ["{repoRoot}"],
    env: ["*"],
  },
  runner: {
    policies: ["off", "on", "hermetic"],
    requires: { on: ["bwrap"], hermetic: ["bwrap"] },
    commands: "any shell command line",
  },
};
