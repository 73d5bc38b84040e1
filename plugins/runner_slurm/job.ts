/**
 * Inside a Slurm job: run one stage command under its sandbox policy with the
 * shell runner (bubblewrap, as on the login node), so `meta.sandbox` grants
 * hold on the compute node. Started by the job script as the hidden
 * `cairn runners _job <request.json>`; the command's output goes to the job's
 * output files (tailed by the runner on the other side), and what the sandbox
 * reports goes to `<request>.result.json`, written atomically, for the
 * runner to turn into the stage's outcome as for a local stage.
 */
import type { RunnerRequest, RunnerResult } from "../../lib/plugin/runner_api.ts";
import { writeFileAtomic } from "../../lib/fs/atomic_write.ts";
import { create as shellRunner } from "../runner_shell/mod.ts";

/** The result file next to a request file. */
export function resultPath(requestFile: string): string {
  return requestFile.replace(/\.json$/, "") + ".result.json";
}

/** Run the request; returns the exit code for the job (the command's, 1 if the sandbox stopped it). */
export async function runStageJob(requestFile: string): Promise<number> {
  const req = JSON.parse(Deno.readTextFileSync(requestFile)) as RunnerRequest;
  // the allocation's own variables (SLURM_JOB_ID, the GPUs Slurm gave) come from this
  // node, the rest from where cairn ran; a sandbox passes on only the granted ones
  const env = { ...req.env };
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (/^SLURM_|^(CUDA_VISIBLE_DEVICES|GPU_DEVICE_ORDINAL|ROCR_VISIBLE_DEVICES)$/.test(k)) {
      env[k] = v;
    }
  }
  const impl = await shellRunner({}, {});
  const r: RunnerResult = await impl.run({ ...req, env });
  const result: RunnerResult = {
    exitCode: r.exitCode,
    signal: r.signal,
    violations: r.violations ?? [],
    traced: r.traced,
    inputs: r.inputs,
  };
  writeFileAtomic(resultPath(requestFile), JSON.stringify(result), { fsync: true });
  if (r.exitCode) return r.exitCode;
  return r.signal || result.violations.some((v) => v.fatal) ? 1 : 0;
}
