/**
 * Machine resources a stage declares beyond DVC: `meta: {resources: {gpus: 1,
 * cpus: 4, mem: 16G}}` in dvc.yaml (`meta` is free-form for DVC, so the file
 * stays DVC's). The scheduler (execute.ts, used by `repro -j` and by queued
 * experiments) starts a stage only when its resources are free, so running
 * stages never add up to more than the machine has, and gives each stage
 * its own GPUs through CUDA_VISIBLE_DEVICES.
 *
 * Ownership is one flock'ed slot file per GPU, CPU and 256 MiB of memory in a
 * machine-wide directory (`$CAIRN_RESOURCES_DIR`, else
 * `${XDG_RUNTIME_DIR:-/tmp}/cairn-resources-<uid>`): every cairn process on
 * the machine (several `repro -j`, queue workers) shares the same count, and
 * a process that dies frees its slots with its file locks.
 */
import { join } from "../path.ts";
import { CairnError } from "../errors.ts";
import { type RepoLock, tryAcquireRepoLock } from "../fs/repo_lock.ts";
import type { Stage } from "../stage/types.ts";

/** What one stage needs. */
export interface ResourceRequest {
  gpus: number;
  cpus: number;
  /** bytes. */
  mem: number;
}

/** What the machine has. */
export interface MachineResources {
  /** GPU ids as CUDA numbers them (`nvidia-smi -L`), or 0..N-1 for `--gpus N`. */
  gpus: string[];
  cpus: number;
  /** bytes. */
  mem: number;
}

const MEM_SLOT = 256 * 1024 * 1024;
const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `16G`, `512M`, `1.5G`, `2Gi`, `1GB`, or a number of bytes. */
export function parseMem(v: unknown, where: string): number {
  if (typeof v === "number" && v >= 0) return v;
  const m = typeof v === "string" ? /^\s*([0-9.]+)\s*([KMGT]?)(?:i?B?)\s*$/i.exec(v) : null;
  if (!m || Number.isNaN(Number(m[1]))) {
    throw new CairnError(`${where}: invalid mem '${String(v)}' (expected e.g. 16G, 512M)`);
  }
  return Math.ceil(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

function count(v: unknown, what: string, where: string): number {
  if (v === undefined || v === null) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new CairnError(`${where}: invalid ${what} '${String(v)}' (expected a whole number)`);
  }
  return n;
}

/** The stage's `meta.resources`, or undefined when it declares none. */
export function stageResources(stage: Stage, where: string): ResourceRequest | undefined {
  const meta = stage.meta as { resources?: Record<string, unknown> } | undefined;
  const r = meta && typeof meta === "object" ? meta.resources : undefined;
  if (r === undefined || r === null) return undefined;
  if (typeof r !== "object") throw new CairnError(`${where}: meta.resources must be a mapping`);
  const req = {
    gpus: count(r.gpus, "gpus", where),
    cpus: count(r.cpus, "cpus", where),
    mem: r.mem === undefined ? 0 : parseMem(r.mem, where),
  };
  return req.gpus || req.cpus || req.mem ? req : undefined;
}

/** GPU ids from `nvidia-smi -L` (`GPU 0: ... (UUID: ...)`), [] when it is not there. */
export function detectGpus(): string[] {
  try {
    const out = new Deno.Command("nvidia-smi", {
      args: ["-L"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (out.code !== 0) return [];
    return new TextDecoder().decode(out.stdout).split("\n")
      .map((l) => /^GPU (\d+):/.exec(l.trim())?.[1])
      .filter((x): x is string => x !== undefined);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** The machine: `gpus` (from `--gpus N`) wins over detection. */
export function machineResources(opts: { gpus?: number } = {}): MachineResources {
  let mem = 0;
  try {
    mem = Deno.systemMemoryInfo().total;
  } catch { /* not available: memory requests cannot be met */ }
  return {
    gpus: opts.gpus !== undefined
      ? Array.from({ length: opts.gpus }, (_, i) => String(i))
      : detectGpus(),
    cpus: navigator.hardwareConcurrency || 1,
    mem,
  };
}

/** A request the machine can never satisfy: the error names the stage. */
export function checkFits(req: ResourceRequest, machine: MachineResources, where: string): void {
  const problems: string[] = [];
  if (req.gpus > machine.gpus.length) {
    problems.push(`${req.gpus} GPU(s), the machine has ${machine.gpus.length}`);
  }
  if (req.cpus > machine.cpus) problems.push(`${req.cpus} CPU(s), the machine has ${machine.cpus}`);
  if (Math.ceil(req.mem / MEM_SLOT) > Math.floor(machine.mem / MEM_SLOT)) {
    problems.push(`${req.mem} bytes of memory, the machine has ${machine.mem}`);
  }
  if (problems.length) {
    throw new CairnError(`${where} needs ${problems.join("; ")}`, {
      hint: "lower meta.resources, or tell cairn the machine's GPUs with --gpus N",
    });
  }
}

export function resourcesDir(): string {
  const explicit = Deno.env.get("CAIRN_RESOURCES_DIR");
  if (explicit) return explicit;
  const base = Deno.env.get("XDG_RUNTIME_DIR") || "/tmp";
  return join(base, `cairn-resources-${Deno.uid?.() ?? "user"}`);
}

/** Resources held by one running stage. */
export interface Lease {
  gpus: string[];
  /** env for the stage's commands (CUDA_VISIBLE_DEVICES). */
  env: Record<string, string>;
  release(): void;
}

/**
 * Take every slot `req` needs, all or nothing. Null when some are busy now
 * (another stage or process holds them): try again later.
 */
export function tryAcquire(
  req: ResourceRequest,
  machine: MachineResources,
  dir = resourcesDir(),
): Lease | null {
  Deno.mkdirSync(dir, { recursive: true });
  const held: RepoLock[] = [];
  const take = (kind: string, ids: string[], n: number): string[] | null => {
    const got: string[] = [];
    for (const id of ids) {
      if (got.length === n) break;
      const lock = tryAcquireRepoLock(join(dir, `${kind}-${id}.lock`));
      if (lock) {
        held.push(lock);
        got.push(id);
      }
    }
    return got.length === n ? got : null;
  };
  const range = (n: number) => Array.from({ length: n }, (_, i) => String(i));
  const gpus = take("gpu", machine.gpus, req.gpus);
  const ok = gpus !== null &&
    take("cpu", range(machine.cpus), req.cpus) !== null &&
    take("mem", range(Math.floor(machine.mem / MEM_SLOT)), Math.ceil(req.mem / MEM_SLOT)) !==
      null;
  if (!ok) {
    for (const l of held) l.release();
    return null;
  }
  let released = false;
  return {
    gpus: gpus!,
    env: req.gpus ? { CUDA_VISIBLE_DEVICES: gpus!.join(",") } : {},
    release: () => {
      if (released) return;
      released = true;
      for (const l of held) l.release();
    },
  };
}
