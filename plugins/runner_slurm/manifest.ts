import type { RunnerManifest } from "../../lib/plugin/runner_api.ts";

/**
 * Each stage command becomes a Slurm batch job (`sbatch --parsable`), which
 * cairn follows with `scontrol show job` until it ends; the workspace must be
 * on a filesystem the compute nodes share. Like the shell runner it is part of
 * cairn and runs in cairn's process (it starts sbatch, scontrol, scancel), so
 * its manifest claims no permissions of its own; `confinement` says what holds
 * the stage on the compute node.
 */
export const manifest: RunnerManifest = {
  name: "runner_slurm",
  apiVersion: 1,
  kind: "runner",
  description: "cmd as a Slurm batch job (sbatch), resources from meta.resources / meta.slurm",
  permissions: {},
  runner: {
    policies: ["off", "on", "hermetic"],
    requires: {
      off: ["sbatch", "scontrol", "scancel"],
      on: ["sbatch", "scontrol", "scancel", "bwrap"],
      hermetic: ["sbatch", "scontrol", "scancel", "bwrap"],
    },
    confinement: {
      off: "none beyond Slurm's allocation: the job runs the command as DVC runs it, " +
        "with your access on the compute node",
      on: "as the shell runner, on the compute node: the job runs cairn's sandbox launcher " +
        "(bubblewrap), so the stage's grants hold there",
      hermetic: "as the shell runner under hermetic, on the compute node (bubblewrap)",
    },
    commands: "any shell command line (run by $SHELL -c in the job)",
  },
};
