/**
 * Talking to Slurm through its client programs: the sbatch arguments for a
 * stage's resources, a job's state from `scontrol show job -o`, scancel, and
 * the cluster's partitions (`cairn doctor`). No accounting is assumed
 * (`sacct` may be disabled): a finished job's state is read from scontrol,
 * which keeps it for MinJobAge seconds.
 */
import { CairnError } from "../../lib/errors.ts";

/** Resource and placement settings of one job (stage meta over project defaults). */
export interface JobSettings {
  cpus?: number;
  /** Slurm's --mem value (`16G`, `500M`). */
  mem?: string;
  gpus?: number;
  /** Slurm's --time value (`30`, `1:00:00`, `1-0`). */
  time?: string;
  partition?: string;
  account?: string;
  qos?: string;
  constraint?: string;
  extra: string[];
}

function bad(where: string, why: string): never {
  throw new CairnError(`${where}: ${why}`, {
    hint: "meta: {resources: {cpus: 4, mem: 16G, gpus: 1, time: '1:00:00'}, " +
      "slurm: {partition: NAME, account: NAME, qos: NAME, constraint: X, extra: [--flag=value]}} " +
      "(docs/slurm.md)",
  });
}

function int(v: unknown, key: string, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 1e6) {
    bad(where, `${key} must be a whole number`);
  }
  return n as number;
}

function word(v: unknown, key: string, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" || typeof v === "bigint") v = String(v);
  if (typeof v !== "string" || !/^[A-Za-z0-9_.:,&|\[\]()!*+@-]{1,200}$/.test(v)) {
    bad(where, `${key} must be a Slurm name or value without spaces`);
  }
  return v as string;
}

/** cairn's `mem` (bytes as a number, or `16G`, `512MiB`) as Slurm's --mem (MB by default). */
function mem(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" || typeof v === "bigint") return `${Math.ceil(Number(v) / 2 ** 20)}M`;
  const m = typeof v === "string" ? /^\s*(\d+)\s*([KMGT])?(i?B)?\s*$/i.exec(v) : null;
  if (!m) bad(where, `mem must be a size such as 16G or 512M (got ${String(v).slice(0, 40)})`);
  return `${m![1]}${(m![2] ?? "M").toUpperCase()}`;
}

function time(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === "number" || typeof v === "bigint" ? String(v) : v;
  if (typeof s !== "string" || !/^(\d+-)?\d+(:\d+){0,2}$|^\d+-\d+$/.test(s)) {
    bad(where, "time must be minutes or [days-]hours:minutes:seconds, as sbatch --time takes");
  }
  return s as string;
}

function mapping(v: unknown, key: string, where: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) bad(where, `${key} must be a mapping`);
  return v as Record<string, unknown>;
}

/**
 * A job's settings: `meta.resources` and `meta.slurm` of the stage over the
 * project's `slurm:` defaults in .dvc/cairn.yaml (which take the same keys,
 * resources included).
 */
export function jobSettings(meta: unknown, project: unknown, stage: string): JobSettings {
  const m = meta && typeof meta === "object" ? meta as Record<string, unknown> : {};
  const res = mapping(m.resources, "meta.resources", `stage '${stage}'`);
  const sl = mapping(m.slurm, "meta.slurm", `stage '${stage}'`);
  const def = mapping(project, "slurm", ".dvc/cairn.yaml");
  const pick = (k: string) => sl[k] ?? res[k] ?? def[k];
  const where = `stage '${stage}'`;
  const extra = [
    ...(Array.isArray(def.extra)
      ? def.extra
      : def.extra == null
      ? []
      : bad(where, "extra must be a list")),
    ...(Array.isArray(sl.extra)
      ? sl.extra
      : sl.extra == null
      ? []
      : bad(where, "extra must be a list")),
  ];
  for (const e of extra) {
    if (typeof e !== "string" || !e.startsWith("-")) {
      bad(
        where,
        `slurm.extra holds sbatch options such as --exclusive (got ${String(e).slice(0, 40)})`,
      );
    }
  }
  return {
    cpus: int(pick("cpus"), "cpus", where),
    mem: mem(pick("mem"), where),
    gpus: int(pick("gpus"), "gpus", where),
    time: time(pick("time"), where),
    partition: word(pick("partition"), "partition", where),
    account: word(pick("account"), "account", where),
    qos: word(pick("qos"), "qos", where),
    constraint: word(pick("constraint"), "constraint", where),
    extra: extra as string[],
  };
}

/** sbatch options for the settings. */
export function sbatchArgs(s: JobSettings): string[] {
  const a: string[] = [];
  if (s.cpus) a.push(`--cpus-per-task=${s.cpus}`);
  if (s.mem) a.push(`--mem=${s.mem}`);
  if (s.gpus) a.push(`--gres=gpu:${s.gpus}`);
  if (s.time) a.push(`--time=${s.time}`);
  if (s.partition) a.push(`--partition=${s.partition}`);
  if (s.account) a.push(`--account=${s.account}`);
  if (s.qos) a.push(`--qos=${s.qos}`);
  if (s.constraint) a.push(`--constraint=${s.constraint}`);
  return [...a, ...s.extra];
}

export interface JobState {
  /** PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, TIMEOUT, ... */
  state: string;
  exitCode: number;
  /** the signal part of ExitCode (`0:9`). */
  exitSignal: number;
  reason?: string;
}

const ACTIVE = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
  "RESV_DEL_HOLD",
  "REQUEUE_FED",
  "REQUEUE_HOLD",
  "SPECIAL_EXIT",
]);

/** The job has not ended yet. */
export function isActive(state: string): boolean {
  return ACTIVE.has(state);
}

/** Parse one line of `scontrol show job -o ID`. */
export function parseJobLine(line: string): JobState | undefined {
  const state = /(?:^|\s)JobState=(\S+)/.exec(line)?.[1];
  if (!state) return undefined;
  const ec = /(?:^|\s)ExitCode=(\d+):(\d+)/.exec(line);
  const reason = /(?:^|\s)Reason=(\S+)/.exec(line)?.[1];
  return {
    state,
    exitCode: ec ? Number(ec[1]) : 0,
    exitSignal: ec ? Number(ec[2]) : 0,
    reason: reason && reason !== "None" ? reason : undefined,
  };
}

const dec = new TextDecoder();

/** Run a Slurm client; its stdout, or an error with its stderr. */
export async function slurmCall(
  prog: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ ok: boolean; out: string; err: string }> {
  let o: Deno.CommandOutput;
  try {
    o = await new Deno.Command(prog, {
      args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CairnError(`'${prog}' is not installed (the slurm runner needs Slurm's clients)`, {
        hint: "run on a machine of the cluster (a login node), or choose another runner",
      });
    }
    throw err;
  }
  return { ok: o.success, out: dec.decode(o.stdout), err: dec.decode(o.stderr).trim() };
}

/** A job's state, or undefined when Slurm no longer knows it. */
export async function jobState(
  id: string,
  env?: Record<string, string>,
): Promise<JobState | undefined> {
  const r = await slurmCall("scontrol", ["show", "job", "-o", id], env);
  if (!r.ok) {
    if (/Invalid job id/i.test(r.err)) return undefined;
    throw new CairnError(`scontrol show job ${id} failed: ${r.err || "no message"}`);
  }
  return parseJobLine(r.out.split("\n")[0] ?? "");
}

/** Partitions (`sinfo`): name, availability, nodes; throws when Slurm cannot be reached. */
export async function partitions(
  env?: Record<string, string>,
): Promise<{ name: string; avail: string; nodes: number; isDefault: boolean }[]> {
  const r = await slurmCall("sinfo", ["-h", "-o", "%P %a %D"], env);
  if (!r.ok) throw new CairnError(`sinfo failed: ${r.err || "no message"}`);
  return r.out.split("\n").filter((l) => l.trim()).map((l) => {
    const [p, avail, n] = l.trim().split(/\s+/);
    return { name: p.replace(/\*$/, ""), avail, nodes: Number(n), isDefault: p.endsWith("*") };
  });
}

/** What `cairn doctor` says about Slurm here. */
export interface SlurmStatus {
  /** `sinfo` is on PATH. */
  installed: boolean;
  /** the controller answered. */
  reachable: boolean;
  error?: string;
  partitions: { name: string; avail: string; nodes: number; isDefault: boolean }[];
}

/** Ask the controller for its partitions, within `timeoutMs`. */
export async function slurmStatus(timeoutMs = 5_000): Promise<SlurmStatus> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  try {
    const o = await new Deno.Command("sinfo", {
      args: ["-h", "-o", "%P %a %D"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: ctrl.signal,
    }).output();
    if (!o.success) {
      const last = dec.decode(o.stderr).trim().split("\n").pop()?.trim() || "sinfo failed";
      const err = ctrl.signal.aborted ? `no answer within ${timeoutMs / 1000} s (${last})` : last;
      return { installed: true, reachable: false, error: err, partitions: [] };
    }
    const parts = dec.decode(o.stdout).split("\n").filter((l) => l.trim()).map((l) => {
      const [p, avail, n] = l.trim().split(/\s+/);
      return { name: p.replace(/\*$/, ""), avail, nodes: Number(n), isDefault: p.endsWith("*") };
    });
    return { installed: true, reachable: true, partitions: parts };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return { installed: false, reachable: false, partitions: [] };
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The doctor's line for it. */
export function slurmStatusLine(s: SlurmStatus): string {
  if (!s.installed) {
    return "Slurm: not installed (no sinfo on PATH; the slurm runner cannot be used)";
  }
  if (!s.reachable) return `Slurm: not reachable: ${s.error}`;
  const parts = s.partitions.map((p) =>
    `${p.name}${p.isDefault ? " (default)" : ""} ${p.avail}, ${p.nodes} node${
      p.nodes === 1 ? "" : "s"
    }`
  );
  return `Slurm: reachable; partitions: ${parts.join("; ") || "none"}`;
}
