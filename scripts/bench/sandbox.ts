/**
 * Sandbox overhead per backend (bwrap, Landlock): a trivial stage run 50
 * times (quick: 10) under policy off / on / hermetic (traced and not) / on
 * with a host-list net grant, and one stage reading 10,000 small files, each
 * against a plain `sh -c` of the same command measured in the same run.
 * Target (issue 11): Landlock <= 1.1x plain on the 10,000-file stage.
 * Landlock rows come twice: "launcher cold" (a launcher process started for
 * the stage, as a library caller gets) and "launcher ready" (as `cairn repro
 * --sandbox` runs it: a launcher started ahead of time). The target rows
 * take turns with plain `sh -c`, bwrap and the kernel floor (the same
 * Landlock rules and seccomp filter applied to a Worker thread that then
 * runs the stage's `sh -c` itself: what Landlock costs with nothing of
 * cairn's around it; _landlock_floor_worker.ts), runs spaced by a second
 * outside the timing (as stages of a repro are by cairn's own work),
 * medians; CPU rows: user+sys of this process and everything it started and
 * waited for (the launcher's start-up included: it is reaped with its stage).
 */
import type { BenchOptions, BenchRow } from "../bench.ts";
import { runSandboxed, type RunSandboxedOptions } from "../../lib/sandbox/run_sandboxed.ts";
import { parseSandboxMeta } from "../../lib/sandbox/grants.ts";
import { sandboxAvailable } from "../../lib/sandbox/availability.ts";
import {
  cleanupLayout,
  keepLandlockLauncherReady,
  layoutRules,
  prestartLandlockLauncher,
} from "../../lib/sandbox/landlock.ts";
import { finishSandbox, planSandbox, prepareSandbox } from "../../lib/sandbox/bwrap.ts";
import type { LaunchRule } from "../../lib/sandbox/landlock_launcher.ts";

/** CPU ms (user+sys) of this process and of the children it has waited for. */
function cpuMs(): number {
  const st = Deno.readTextFileSync("/proc/self/stat");
  const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

/** The rules the launcher gets for this stage under policy `on` (as runSandboxed lays them out). */
function stageRules(
  base: { cwd: string; repoRoot: string; cacheDir: string; deps: string[]; outs: string[] },
  tmpDir: string,
  abi: number,
): LaunchRule[] {
  const grants = { net: [], env: [], read: [], write: [] };
  const plan = planSandbox({ ...base, policy: "on", grants, shareNet: false, depLinks: false });
  for (const p of plan.outParents) {
    p.staging = undefined;
    p.links = undefined;
  }
  plan.stagingRoot = undefined;
  prepareSandbox(plan);
  const layout = layoutRules({ policy: "on", plan, grants, devices: [], tmpDir, abi });
  finishSandbox(plan);
  cleanupLayout(layout);
  return layout.rules;
}

/** A Worker whose thread is confined with `rules`; run(cmd) times one plain `sh -c` from it. */
async function floorWorker(rules: LaunchRule[], cwd: string) {
  const w = new Worker(new URL("./_landlock_floor_worker.ts", import.meta.url), { type: "module" });
  const ask = (msg: unknown) =>
    new Promise<number>((resolve) => {
      w.onmessage = (e: MessageEvent<number>) => resolve(e.data);
      w.postMessage(msg);
    });
  await ask({ rules, cwd });
  return {
    run: async (cmd: string) => {
      const ms = await ask({ cmd, cwd });
      if (ms < 0) throw new Error(`'${cmd}' failed under the kernel floor's rules`);
      return ms;
    },
    close: () => w.terminate(),
  };
}

async function plainMs(cmd: string, cwd: string, n: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    // Its own session, as every sandboxed run is (bwrap --new-session, the
    // launcher's process group): with the kernel's autogroup scheduling a
    // session gets its own CPU share, which matters on a loaded machine.
    const r = await new Deno.Command("/bin/sh", {
      args: ["-c", cmd],
      cwd,
      detached: true,
      stdout: "null",
      stderr: "null",
    })
      .output();
    if (!r.success) throw new Error(`plain '${cmd}' failed`);
    total += performance.now() - t0;
  }
  return total / n;
}

async function sandboxMs(
  cmd: string,
  n: number,
  opts: Omit<RunSandboxedOptions, "env">,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await runSandboxed(cmd, { ...opts, env: Deno.env.toObject() });
    total += performance.now() - t0;
    if (!r.ok) {
      throw new Error(
        `${opts.policy} '${cmd}' failed: ${r.stderrTail} ${JSON.stringify(r.violations)}`,
      );
    }
  }
  return total / n;
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const avail = await sandboxAvailable();
  if (!avail.available) throw new Error(`sandbox unavailable: ${avail.problems.join("; ")}`);
  const root = `${opts.workDir}/proj`;
  Deno.mkdirSync(`${root}/.dvc/cache`, { recursive: true });
  Deno.mkdirSync(`${root}/data`, { recursive: true });
  Deno.writeTextFileSync(`${root}/data/in.txt`, "x\n");
  const base = {
    cwd: root,
    repoRoot: root,
    cacheDir: `${root}/.dvc/cache`,
    shell: "/bin/sh",
    deps: ["data/in.txt"],
    outs: ["data/out.txt"],
  };
  const rows: BenchRow[] = [];
  const stages = opts.quick ? 10 : 50;
  const trivial = "cat data/in.txt > data/out.txt";
  const ref = await plainMs(trivial, root, stages);
  const per = async (name: string, o: Partial<RunSandboxedOptions>) => {
    const ms = await sandboxMs(trivial, stages, { ...base, policy: "on", ...o });
    rows.push({
      name: `${stages} trivial stages, ${name}`,
      value: ms,
      unit: "ms/stage",
      reference: "sh -c",
      referenceValue: ref,
      ratio: ms / ref,
    });
  };
  // bwrap itself, same namespaces, no cairn around it: the floor for "on".
  const bwrapMs = await plainMs(
    `bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-all --unshare-user --cap-drop ALL --die-with-parent --new-session --bind ${root}/data ${root}/data -- /bin/sh -c '${trivial}'`,
    root,
    stages,
  );
  rows.push({
    name: `${stages} trivial stages, bare bwrap (floor)`,
    value: bwrapMs,
    unit: "ms/stage",
    reference: "sh -c",
    referenceValue: ref,
    ratio: bwrapMs / ref,
  });
  await per("policy off", { policy: "off" });
  await per("bwrap, policy on", { policy: "on", backend: "bwrap" });
  await per("bwrap, hermetic, strace", { policy: "hermetic", trace: true, backend: "bwrap" });
  await per("bwrap, hermetic, no trace", { policy: "hermetic", trace: false, backend: "bwrap" });
  await per("bwrap, on, net host list", {
    policy: "on",
    backend: "bwrap",
    grants: parseSandboxMeta({ sandbox: { net: ["example.org:443"] } }),
  });
  await per("landlock, policy on, launcher cold", { policy: "on", backend: "landlock" });
  await per("landlock, hermetic, launcher cold", { policy: "hermetic", backend: "landlock" });

  // One stage reading many small files.
  const nFiles = 10_000;
  Deno.mkdirSync(`${root}/many`);
  for (let i = 0; i < nFiles; i++) Deno.writeTextFileSync(`${root}/many/f${i}`, `${i}\n`);
  const readAll = "find many -type f -exec cat {} + > data/out.txt";
  const refMany = await plainMs(readAll, root, 3);
  const PAUSE = 1000;
  const many = async (name: string, o: Partial<RunSandboxedOptions>) => {
    const ms = await sandboxMs(readAll, 3, { ...base, deps: ["many"], policy: "on", ...o });
    rows.push({
      name: `stage reading ${nFiles} files, ${name}`,
      value: ms,
      unit: "ms",
      reference: "sh -c",
      referenceValue: refMany,
      ratio: ms / refMany,
    });
  };
  await many("bwrap, policy on", { policy: "on", backend: "bwrap" });
  await many("bwrap, hermetic, no trace", { policy: "hermetic", trace: false, backend: "bwrap" });
  if (!opts.quick) {
    await many("bwrap, hermetic, strace", { policy: "hermetic", trace: true, backend: "bwrap" });
  }
  await many("landlock, policy on, launcher cold", { policy: "on", backend: "landlock" });
  await many("landlock, hermetic, launcher cold", { policy: "hermetic", backend: "landlock" });

  // The target rows, as `cairn repro --sandbox` runs a stage: Landlock with
  // the launcher kept ready (the CLI's setting), plain `sh -c`, the kernel
  // floor and bwrap taking turns in each round, each run after a pause (as
  // stages of a repro are spaced by cairn's own work; the next launcher
  // starts in it); medians, so that a burst of load on this shared machine
  // hits one run, not a whole row.
  const rounds = opts.quick ? 5 : 9;
  const FLOOR = "landlock kernel floor (same rules, no launcher)";
  const turns: [string, Partial<RunSandboxedOptions> | undefined][] = [
    ["plain", undefined],
    [FLOOR, undefined],
    ["bwrap, policy on", { policy: "on", backend: "bwrap" }],
    ["landlock, policy on, launcher ready", { policy: "on", backend: "landlock" }],
    ["landlock, hermetic, launcher ready", { policy: "hermetic", backend: "landlock" }],
  ];
  const times = new Map<string, number[]>(turns.map(([k]) => [k, []]));
  const cpu = new Map<string, number[]>(turns.map(([k]) => [k, []]));
  const floorTmp = Deno.makeTempDirSync({ dir: opts.workDir, prefix: "floor-tmp-" });
  const floor = await floorWorker(
    stageRules({ ...base, deps: ["many"] }, floorTmp, avail.landlockAbi),
    root,
  );
  keepLandlockLauncherReady(true);
  prestartLandlockLauncher();
  try {
    for (let i = 0; i < rounds; i++) {
      for (const [name, o] of turns) {
        await new Promise((r) => setTimeout(r, PAUSE));
        const c0 = cpuMs();
        const ms = o
          ? await sandboxMs(readAll, 1, { ...base, deps: ["many"], policy: "on", ...o })
          : name === FLOOR
          ? await floor.run(readAll)
          : await plainMs(readAll, root, 1);
        times.get(name)!.push(ms);
        cpu.get(name)!.push(cpuMs() - c0);
      }
    }
  } finally {
    keepLandlockLauncherReady(false);
    floor.close();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const plainMedian = median(times.get("plain")!);
  const plainCpu = median(cpu.get("plain")!);
  for (const [name, o] of turns) {
    const ms = median(times.get(name)!);
    rows.push({
      name: `stage reading ${nFiles} files, ${name} (median of ${rounds}, turns)`,
      value: ms,
      unit: "ms",
      reference: "sh -c, same turns",
      referenceValue: plainMedian,
      ratio: ms / plainMedian,
      target: name.startsWith("landlock,") ? "<= 1.1x" : undefined,
    });
    // bwrap's processes are not all waited for by this one (bwrap's own
    // children are not ours): no CPU row.
    if (o?.backend === "bwrap") continue;
    const c = median(cpu.get(name)!);
    rows.push({
      name: `stage reading ${nFiles} files, ${name}, CPU (median of ${rounds})`,
      value: c,
      unit: "ms cpu",
      reference: "sh -c, same turns",
      referenceValue: plainCpu,
      ratio: c / plainCpu,
    });
  }
  return rows;
}

if (import.meta.main) {
  const workDir = Deno.makeTempDirSync({ prefix: "cairn-bench-sandbox-" });
  try {
    for (const r of await run({ quick: Deno.args.includes("--quick"), workDir })) {
      console.log(
        `${r.name.padEnd(48)} ${r.value.toFixed(1).padStart(8)} ${r.unit.padEnd(9)} ref ${
          r.referenceValue?.toFixed(1)
        } (${r.ratio?.toFixed(1)}x)`,
      );
    }
  } finally {
    Deno.removeSync(workDir, { recursive: true });
  }
}
