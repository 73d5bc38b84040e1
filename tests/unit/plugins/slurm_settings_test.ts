/** The slurm runner's pure parts: job settings from stage meta and project defaults, scontrol lines. */
import { assertEquals, assertThrows } from "../../_rig/assert.ts";
import { jobSettings, parseJobLine, sbatchArgs } from "../../../plugins/runner_slurm/slurm.ts";
import { CairnError } from "../../../lib/errors.ts";

Deno.test("slurm settings: stage meta over project defaults, as sbatch options", () => {
  const s = jobSettings(
    {
      resources: { cpus: 4, mem: "16G", gpus: 1, time: "1:00:00" },
      slurm: { partition: "gpu", qos: "high", extra: ["--exclusive"] },
    },
    { partition: "cpu", account: "proj42", time: 30, mem: 1073741824, extra: ["--nice=10"] },
    "train",
  );
  assertEquals(sbatchArgs(s), [
    "--cpus-per-task=4",
    "--mem=16G",
    "--gres=gpu:1",
    "--time=1:00:00",
    "--partition=gpu",
    "--account=proj42",
    "--qos=high",
    "--nice=10",
    "--exclusive",
  ]);
  // project defaults alone; a plain number of bytes becomes MB
  assertEquals(sbatchArgs(jobSettings(undefined, { mem: 1073741824, time: 30 }, "x")), [
    "--mem=1024M",
    "--time=30",
  ]);
  assertEquals(sbatchArgs(jobSettings({}, undefined, "x")), []);
});

Deno.test("slurm settings: bad values name the stage and the key", () => {
  const bad = (meta: unknown, re: RegExp) => {
    const e = assertThrows(() => jobSettings(meta, undefined, "train"), CairnError) as CairnError;
    assertEquals(re.test(e.message), true, e.message);
  };
  bad({ resources: { cpus: "many" } }, /^stage 'train': cpus must be a whole number/);
  bad({ resources: { mem: "lots" } }, /^stage 'train': mem must be a size/);
  bad({ resources: { time: "tomorrow" } }, /^stage 'train': time must be minutes/);
  bad({ slurm: { partition: "a b" } }, /^stage 'train': partition must be a Slurm name/);
  bad({ slurm: { extra: ["rm -rf"] } }, /^stage 'train': slurm.extra holds sbatch options/);
  bad({ slurm: "gpu" }, /^stage 'train': meta.slurm must be a mapping/);
});

Deno.test("slurm: scontrol show job -o lines", () => {
  assertEquals(
    parseJobLine(
      "JobId=12 JobName=cairn:a UserId=root(0) JobState=FAILED Reason=NonZeroExitCode " +
        "Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:01",
    ),
    { state: "FAILED", exitCode: 3, exitSignal: 0, reason: "NonZeroExitCode" },
  );
  assertEquals(
    parseJobLine("JobId=13 JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15"),
    { state: "TIMEOUT", exitCode: 0, exitSignal: 15, reason: "TimeLimit" },
  );
  assertEquals(
    parseJobLine("JobId=14 JobState=RUNNING Reason=None ExitCode=0:0")?.reason,
    undefined,
  );
  assertEquals(parseJobLine("garbage"), undefined);
});
