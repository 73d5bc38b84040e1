/**
 * Can the sandbox be enforced here? Checked for real (a trial `bwrap` run),
 * not guessed from files, because user namespaces can be disabled by sysctl,
 * seccomp or a container runtime even where bwrap is installed.
 */
import { SandboxUnavailableError } from "./errors.ts";
import { statOrNull } from "./_paths.ts";
import { prestartLandlockLauncher, probeLandlock } from "./landlock.ts";

import { type BackendChoice, type SandboxBackend, sandboxBackendChoice } from "./backend_choice.ts";

export {
  BACKEND_CHOICES,
  type BackendChoice,
  parseBackend,
  type SandboxBackend,
  sandboxBackendChoice,
  setSandboxBackend,
} from "./backend_choice.ts";

export interface SandboxAvailability {
  /** bwrap found and a trial sandbox started. */
  available: boolean;
  bwrap?: string;
  bwrapVersion?: string;
  /** user namespaces usable (the trial run worked). */
  userns: boolean;
  /** strace found: violations are explained precisely (exact paths, hosts). */
  strace?: string;
  /** Landlock ABI version of the kernel, 0 when unsupported. */
  landlockAbi: number;
  /** what is missing, as sentences; empty when available. */
  problems: string[];
  /** the backend requireSandbox() chose (set by requireSandbox). */
  backend?: SandboxBackend;
}

let cached: Promise<SandboxAvailability> | undefined;

/** Find an executable on PATH (plus the usual system dirs). */
export function which(name: string, pathVar?: string): string | undefined {
  const dirs = [
    ...(pathVar ?? Deno.env.get("PATH") ?? "").split(":"),
    "/usr/bin",
    "/bin",
    "/usr/local/bin",
    "/usr/sbin",
  ];
  for (const d of dirs) {
    if (!d) continue;
    const p = `${d}/${name}`;
    try {
      const st = Deno.statSync(p);
      if (st.isFile && st.mode !== null && (st.mode & 0o111)) return p;
    } catch { /* next */ }
  }
  return undefined;
}

function landlockAbi(): number {
  // The kernel lists "landlock" among active LSMs when it can be used.
  try {
    const lsm = Deno.readTextFileSync("/sys/kernel/security/lsm");
    if (!lsm.split(",").includes("landlock")) return 0;
  } catch {
    return 0;
  }
  try {
    const v = Deno.readTextFileSync("/sys/kernel/security/landlock/abi_version")
      .trim();
    return Number(v) || 1;
  } catch {
    return 1;
  }
}

async function probe(bwrapPath?: string): Promise<SandboxAvailability> {
  const problems: string[] = [];
  const bwrap = bwrapPath === undefined
    ? which("bwrap")
    : statOrNull(bwrapPath)?.isFile
    ? bwrapPath
    : undefined;
  const strace = which("strace");
  const res: SandboxAvailability = {
    available: false,
    bwrap,
    userns: false,
    strace,
    landlockAbi: landlockAbi(),
    problems,
  };
  if (!bwrap) {
    problems.push("bubblewrap (bwrap) is not installed");
    return res;
  }
  try {
    const v = await new Deno.Command(bwrap, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    res.bwrapVersion = new TextDecoder().decode(v.stdout).trim().split(" ")
      .pop();
    const trial = await new Deno.Command(bwrap, {
      args: [
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--unshare-all",
        "--die-with-parent",
        "--",
        "/bin/true",
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (trial.success) {
      res.userns = true;
      res.available = true;
    } else {
      const err = new TextDecoder().decode(trial.stderr).trim();
      problems.push(
        `bwrap cannot create namespaces here (${
          err || `exit ${trial.code}`
        }); user namespaces may be disabled`,
      );
    }
  } catch (e) {
    problems.push(`bwrap could not be started: ${(e as Error).message}`);
  }
  return res;
}

export interface AvailabilityOptions {
  /** probe again instead of reusing the cached answer. */
  refresh?: boolean;
  /** probe this bwrap binary instead of the one on PATH (not cached). */
  bwrap?: string;
}

/** Probe once per process; the answer does not change while cairn runs. */
export function sandboxAvailable(
  opts: AvailabilityOptions = {},
): Promise<SandboxAvailability> {
  // CAIRN_BWRAP names the bwrap binary to use (tests: a stand-in that fails).
  const forced = opts.bwrap ?? Deno.env.get("CAIRN_BWRAP");
  if (forced !== undefined) return probe(forced);
  if (!cached || opts.refresh) cached = probe();
  return cached;
}

/**
 * Throw a SandboxUnavailableError naming the missing piece when sandboxing
 * was asked for but cannot be enforced: cairn never runs a stage unconfined
 * in place of a sandboxed one. `auto` takes bwrap when it works here, else
 * Landlock; the chosen one is `backend` in the answer.
 */
export async function requireSandbox(
  opts: AvailabilityOptions & { stage?: string; backend?: BackendChoice } = {},
): Promise<SandboxAvailability> {
  const choice = opts.backend ?? sandboxBackendChoice();
  const who = opts.stage ? ` for stage '${opts.stage}'` : "";
  if (choice === "landlock") {
    const a = await sandboxAvailable(opts);
    const ll = await probeLandlock();
    if (ll.works) return landlockChosen(a, ll.abi);
    throw new SandboxUnavailableError(
      "landlock",
      `the Landlock backend was requested${who} but cannot confine here: ${ll.problem}`,
      "Landlock needs Linux >= 5.13 with landlock in the active LSMs (lsm= boot option); or use --sandbox-backend bwrap / auto",
    );
  }
  if (choice === "bwrap") return { ...await requireBwrap(opts), backend: "bwrap" };
  const a = await sandboxAvailable(opts);
  if (a.available) return { ...a, backend: "bwrap" };
  const ll = await probeLandlock();
  if (ll.works) return landlockChosen(a, ll.abi);
  throw new SandboxUnavailableError(
    "sandbox",
    `sandboxing was requested${who} but no sandbox backend works here: bwrap: ${
      a.problems.join("; ")
    }; Landlock: ${ll.problem}`,
    "install bubblewrap with user namespaces enabled, or use a kernel with Landlock (Linux >= 5.13); or run with --sandbox=off",
  );
}

function landlockChosen(a: SandboxAvailability, abi: number): SandboxAvailability {
  prestartLandlockLauncher(); // the first stage need not wait for it
  return { ...a, backend: "landlock", landlockAbi: abi };
}

async function requireBwrap(
  opts: AvailabilityOptions & { stage?: string } = {},
): Promise<SandboxAvailability> {
  const a = await sandboxAvailable(opts);
  if (a.available) return a;
  const who = opts.stage ? ` for stage '${opts.stage}'` : "";
  if (!a.bwrap) {
    throw new SandboxUnavailableError(
      "bwrap",
      `sandboxing was requested${who} but bubblewrap (bwrap) is not installed`,
      "install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or run with --sandbox=off",
    );
  }
  throw new SandboxUnavailableError(
    "userns",
    `sandboxing was requested${who} but ${a.problems.join("; ")}`,
    "enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0), or run with --sandbox=off",
  );
}
