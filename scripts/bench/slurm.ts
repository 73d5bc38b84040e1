/**
 * Overhead of a stage run as a Slurm job, on the one-node Slurm of
 * scripts/slurm_services.sh (started when it is not running): the slurm
 * runner's run() of a `true` command, submit to finished (job script,
 * sbatch, following the job, reading its final state), against the bare
 * reference measured in the same run: `sbatch --parsable --wrap true` plus
 * `squeue -j ID` every 50 ms until the job is gone. Also `cairn repro -f` of a
 * one-stage `true` pipeline with --runner slurm against the same pipeline run
 * locally (what the user waits for beyond the job). Median of 10 (quick: 4),
 * the two taking turns.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchOptions, BenchRow } from "../bench.ts";
import { create } from "../../plugins/runner_slurm/mod.ts";
import type { RunnerRequest } from "../../lib/plugin/runner_api.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CAIRN = join(ROOT, "scripts", "cairn");

function slurmConf(): string {
  const out = new Deno.Command("bash", {
    args: [join(ROOT, "scripts", "slurm_services.sh"), "start"],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  const dir = Deno.env.get("CAIRN_SERVICES_DIR") ?? join(ROOT, ".tools", "services");
  const conf = /^CAIRN_TEST_SLURM_CONF=(.*)$/m.exec(
    Deno.readTextFileSync(join(dir, "services.env")),
  )?.[1];
  if (!out.success || !conf) {
    throw new Error(`no Slurm: ${new TextDecoder().decode(out.stderr)}`);
  }
  return conf;
}

async function sh(cmd: string, args: string[], cwd: string, env: Record<string, string>) {
  const o = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  if (!o.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(o.stderr)}`);
  }
  return new TextDecoder().decode(o.stdout);
}

/** The reference: bare sbatch + squeue polling every 50 ms. */
async function bare(dir: string, env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const id = (await sh("sbatch", ["--parsable", "-o", "/dev/null", "--wrap", "true"], dir, env))
    .trim().split(";")[0];
  for (;;) {
    const q = await sh("squeue", ["-h", "-j", id], dir, env).catch(() => "");
    if (!q.trim()) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const env = { ...Deno.env.toObject(), SLURM_CONF: slurmConf() };
  const dir = opts.workDir;
  Deno.mkdirSync(dir, { recursive: true });
  const runner = await create({}, {});
  const req: RunnerRequest = {
    cmd: "true",
    stage: "bench",
    cwd: dir,
    repoRoot: dir,
    cacheDir: join(dir, ".dvc", "cache"),
    deps: [],
    outs: [],
    policy: "off",
    grants: {} as RunnerRequest["grants"],
    env,
  };
  const quietIo = { onStdout: () => {}, onStderr: () => {} };
  const n = opts.quick ? 4 : 10;
  const ours: number[] = [];
  const ref: number[] = [];
  await bare(dir, env); // warm: clients, controller
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await runner.run(req, quietIo);
    if (r.exitCode !== 0 || r.failure) throw new Error(`job failed: ${r.failure}`);
    ours.push((performance.now() - t0) / 1000);
    ref.push(await bare(dir, env));
  }
  // the same through the CLI: repro -f of one `true` stage, Slurm vs local
  const proj = join(dir, "proj");
  Deno.mkdirSync(proj);
  const genv = {
    ...env,
    GIT_AUTHOR_NAME: "Bench",
    GIT_AUTHOR_EMAIL: "bench@example.invalid",
    GIT_COMMITTER_NAME: "Bench",
    GIT_COMMITTER_EMAIL: "bench@example.invalid",
  };
  await sh("git", ["init", "-q", "-b", "main"], proj, genv);
  await sh(CAIRN, ["init", "-q"], proj, genv);
  Deno.writeTextFileSync(
    join(proj, "dvc.yaml"),
    "stages:\n  t:\n    cmd: echo x > x.txt\n    outs: [x.txt]\n",
  );
  await sh(CAIRN, ["repro", "-q"], proj, genv);
  const cliSlurm: number[] = [];
  const cliLocal: number[] = [];
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    await sh(CAIRN, ["repro", "-f", "-q", "--runner", "slurm"], proj, genv);
    cliSlurm.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await sh(CAIRN, ["repro", "-f", "-q"], proj, genv);
    cliLocal.push((performance.now() - t0) / 1000);
  }
  const o = median(ours), r = median(ref);
  const cs = median(cliSlurm), cl = median(cliLocal);
  return [
    {
      name: "slurm: stage job, submit to finished (`true`)",
      value: o,
      unit: "s",
      reference: "sbatch --parsable + squeue every 50 ms",
      referenceValue: r,
      ratio: o / r,
      target: "<= 1.2x",
    },
    {
      name: "slurm: repro -f of one stage, --runner slurm",
      value: cs,
      unit: "s",
      reference: "same repro -f run locally",
      referenceValue: cl,
      ratio: cs / cl,
    },
  ];
}

if (import.meta.main) {
  const workDir = Deno.makeTempDirSync({ prefix: "cairn-bench-slurm-" });
  try {
    console.log(await run({ quick: Deno.args.includes("--quick"), workDir }));
  } finally {
    Deno.removeSync(workDir, { recursive: true });
  }
}
