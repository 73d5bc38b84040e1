import type { RunnerManifest } from "../../lib/plugin/runner_api.ts";

/**
 * DVC's behaviour: `cmd` through the user's shell. Under policy on/hermetic
 * the command runs inside bubblewrap, which is what confines it. The runner
 * itself is part of cairn: it runs in cairn's process with cairn's
 * permissions (it starts the shell, bwrap and strace and prepares and checks
 * the stage's output folders), so its manifest claims no permissions of its
 * own; `confinement` says what holds the stage.
 */
export const manifest: RunnerManifest = {
  name: "runner_shell",
  apiVersion: 1,
  kind: "runner",
  description: "cmd through the user's shell ($SHELL -c, as DVC); on/hermetic: inside bubblewrap",
  permissions: {},
  runner: {
    policies: ["off", "on", "hermetic"],
    requires: { on: ["bwrap"], hermetic: ["bwrap"] },
    confinement: {
      off: "none: the command runs as DVC runs it, with all of your access",
      on: "bubblewrap: filesystem read-only except the declared outs and write grants, " +
        "private /tmp and /run, no network unless granted, basic environment, own pid namespace",
      hermetic: "bubblewrap as under on, and inside the project only the declared deps, " +
        "params files, grants and output folders exist",
    },
    commands: "any shell command line",
  },
};
