/**
 * The Landlock backend: no helper binary, no namespaces, no root. cairn
 * starts `landlock_launcher.ts` (a second Deno process) which confines
 * itself and then runs the stage; cairn's own process is never restricted.
 * After the stage exits, cairn kills what it left below the launcher (the
 * child subreaper) and then closes the launcher's stdin to let it end.
 *
 * Rules from the same grants as bwrap:
 * - `on`: read and execute everywhere except host `/tmp` (as bwrap's private
 *   /tmp; the project stays readable when it lives there); `hermetic`: read
 *   everywhere except host `/tmp` and the project (every sibling along the
 *   path from `/` to the project root gets a read rule), plus the declared
 *   deps (real paths), read grants and the cache;
 * - writable: output folders that hold nothing but outputs (created if
 *   missing); in a folder with other entries only the outputs themselves (a
 *   missing one is created empty first so a rule can name it, removed again
 *   when the stage leaves it untouched); write grants; a private temp folder
 *   (TMPDIR); `/dev/null` and friends; device grants (GPU nodes);
 * - network (`net: false`): TCP connect and bind denied (ABI >= 4), and a
 *   seccomp filter refuses UDP and Unix-domain sockets, which Landlock does
 *   not cover. Host-list grants (the filtering proxy) are refused: Landlock
 *   port rules cannot restrict the address, so a proxy port would be a way
 *   out to any host on that port.
 */
import { fileURLToPath } from "node:url";
import { spawnProcess } from "../proc/spawn.ts";
import { InterruptedError } from "../errors.ts";
import type { OutParent, SandboxPlan } from "./bwrap.ts";
import { SandboxGrantError, SandboxUnavailableError } from "./errors.ts";
import type { ResolvedGrants } from "./grants.ts";
import {
  descendants,
  type LaunchReport,
  type LaunchRule,
  type LaunchSpec,
} from "./landlock_launcher.ts";
import { isWithin, lstatOrNull, realPathOf, statOrNull } from "./_paths.ts";

/** The launcher script next to this one: a path, or its URL when cairn was imported by URL. */
export function launcherScript(): string {
  const url = new URL("./landlock_launcher.ts", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url) : url.href;
}

/** argv that runs the launcher: this Deno, or the compiled cairn itself. */
export function launcherCommand(): string[] {
  const exe = Deno.execPath();
  if (!/(^|\/)deno$/.test(exe)) return [exe, "__landlock-launch"];
  return [
    Deno.execPath(),
    "run",
    "-A",
    "-q",
    "--no-config",
    "--no-lock",
    "--no-prompt",
    "--no-check",
    launcherScript(),
  ];
}

/** Where device nodes are looked up (tests point this at a stand-in /dev). */
export function devRoot(): string {
  return Deno.env.get("CAIRN_DEV_ROOT") || "/dev";
}

/**
 * Why the Landlock backend cannot honour these grants (undefined: it can).
 * Checked before anything runs (repro preflight) and again per run.
 */
export function landlockRefusal(
  grants: { net: boolean | unknown[] },
  opts: { trace?: boolean } = {},
): { why: string; hint: string } | undefined {
  if (Array.isArray(grants.net) && grants.net.length > 0) {
    return {
      why: "host-list network grants need the bwrap backend: Landlock can restrict TCP ports but " +
        "not addresses, so the filtering proxy's port would be open to every host",
      hint:
        "use --sandbox-backend bwrap (needs bubblewrap and user namespaces), or grant net: true",
    };
  }
  if (opts.trace) {
    return {
      why: "tracing (--explain-inputs, trace: true) runs only under the bwrap backend",
      hint: "use --sandbox-backend bwrap",
    };
  }
  return undefined;
}

/** Device nodes a `devices:` grant makes usable (existing ones only). */
export function deviceNodes(devices: string[], root = devRoot()): string[] {
  const out: string[] = [];
  if (devices.includes("gpu")) {
    try {
      for (const e of Deno.readDirSync(root)) {
        if (e.name.startsWith("nvidia")) out.push(`${root}/${e.name}`);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (statOrNull(`${root}/dri`)?.isDirectory) out.push(`${root}/dri`);
  }
  return out.sort();
}

/** Environment names a device grant passes through when set. */
export const DEVICE_ENV = ["CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"];

/** Device nodes every stage may use (the rest of /dev is not even readable: raw disks). */
const STD_DEVICES = [
  "/dev/null",
  "/dev/zero",
  "/dev/full",
  "/dev/random",
  "/dev/urandom",
  "/dev/tty",
  "/dev/ptmx",
  "/dev/pts",
];

export interface LandlockPlanInput {
  policy: "on" | "hermetic";
  /** the bwrap plan computed with policy `on` (output folders, siblings). */
  plan: SandboxPlan;
  grants: ResolvedGrants;
  /** device nodes to allow. */
  devices: string[];
  /** private temp folder (writable). */
  tmpDir: string;
  abi: number;
}

export interface LandlockLayout {
  rules: LaunchRule[];
  /** outputs cairn created empty so a rule could name them, with their mtime. */
  placeholders: { path: string; mtime: number }[];
}

/**
 * Rules for one run. Creates missing output folders and placeholder files
 * (callers undo with cleanupLayout). Throws SandboxGrantError for what
 * Landlock cannot express.
 */
export function layoutRules(inp: LandlockPlanInput): LandlockLayout {
  const { plan, grants } = inp;
  const rules: LaunchRule[] = [];
  const placeholders: { path: string; mtime: number }[] = [];
  const root = plan.repoRoot;
  // Read rules: every entry along / -> project root except the next step and
  // host /tmp (`on`: the project itself is readable; hermetic: only what is
  // declared in it). Landlock rules add up, so hiding means not granting.
  const chain: string[] = [];
  if (inp.policy === "hermetic" || isWithin(root, "/tmp")) {
    for (let d = root; d !== "/"; d = d.slice(0, d.lastIndexOf("/")) || "/") chain.unshift(d);
  }
  let dir = "/";
  for (const next of chain.length ? chain : [undefined]) {
    for (const e of Deno.readDirSync(dir)) {
      const p = dir === "/" ? `/${e.name}` : `${dir}/${e.name}`;
      if (p === next || isWithin(p, "/tmp") || p === "/proc" || p === "/dev") continue;
      rules.push({ path: p, access: "ro" });
    }
    if (next) dir = next;
  }
  if (inp.policy === "on" && chain.length) rules.push({ path: root, access: "ro" });
  // /proc without the numbered process folders: other processes' environ
  // (cairn's own, with variables the stage was not granted) stays unreadable.
  for (const e of Deno.readDirSync("/proc")) {
    if (/^\d+$/.test(e.name) || e.name === "self" || e.name === "thread-self") continue;
    rules.push({ path: `/proc/${e.name}`, access: "ro" });
  }
  for (const d of plan.deps) {
    const real = realOrNull(d);
    if (real) rules.push({ path: real, access: "ro" });
  }
  for (const r of grants.read) rules.push({ path: r.real, access: "ro" });
  if (statOrNull(plan.cacheDir)) rules.push({ path: realPathOf(plan.cacheDir), access: "ro" });
  for (const w of grants.write) rules.push({ path: w.real, access: "rw" });
  rules.push({ path: inp.tmpDir, access: "rw" });
  for (const d of STD_DEVICES) rules.push({ path: d, access: "dev" });
  // POSIX semaphores and shared memory (Python multiprocessing, PyTorch data
  // loaders) live here. Host-wide, unlike bwrap's private one: doctor says so.
  rules.push({ path: "/dev/shm", access: "rw" });
  for (const d of inp.devices) rules.push({ path: d, access: "dev" });
  for (const p of plan.outParents) outputRules(p, root, plan, rules, placeholders);
  return { rules, placeholders };
}

function realOrNull(p: string): string | undefined {
  try {
    return Deno.realPathSync(p);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

function outputRules(
  p: OutParent,
  root: string,
  plan: SandboxPlan,
  rules: LaunchRule[],
  placeholders: { path: string; mtime: number }[],
): void {
  if (!statOrNull(p.host)) Deno.mkdirSync(p.host, { recursive: true });
  const others = [...Deno.readDirSync(p.host)].filter((e) => !p.outs.includes(e.name));
  // A folder holding only outputs (never the project root, .dvc, .git, cache).
  const guarded = [root, `${root}/.dvc`, `${root}/.git`, plan.cacheDir].some((g) =>
    isWithin(g, p.host) || isWithin(p.host, g)
  );
  if (!others.length && !guarded) {
    rules.push({ path: p.host, access: "rw" });
    return;
  }
  for (const name of p.outs) {
    const full = `${p.host}/${name}`;
    const st = lstatOrNull(full);
    if (st?.isSymlink) {
      // A link checked out from the cache: the stage replaces it, which needs
      // the folder; refuse rather than make the folder writable.
      throw new SandboxGrantError(
        undefined,
        `output '${full}' is a symlink in a folder with other files, which the Landlock ` +
          `backend cannot make replaceable without making the folder writable`,
        "remove the output first (dvc remove / rm), move outputs into their own folder, or use --sandbox-backend bwrap",
      );
    }
    if (!st) {
      Deno.writeFileSync(full, new Uint8Array());
      placeholders.push({ path: full, mtime: Deno.statSync(full).mtime?.getTime() ?? 0 });
    }
    rules.push({ path: full, access: "rw" });
  }
}

/** Remove placeholder outputs the stage did not write. */
export function cleanupLayout(l: LandlockLayout): void {
  for (const ph of l.placeholders) {
    const st = lstatOrNull(ph.path);
    if (st?.isFile && st.size === 0 && (st.mtime?.getTime() ?? 0) === ph.mtime) {
      Deno.removeSync(ph.path);
    }
  }
}

export interface LandlockRun {
  exitCode: number;
  stderr: string;
  leftover: string[];
}

/**
 * Run `argv` confined by `rules`. Throws SandboxUnavailableError when the
 * launcher could not confine itself (nothing ran), InterruptedError on abort.
 */
export async function runConfined(
  argv: string[],
  o: {
    rules: LaunchRule[];
    net: "none" | "open";
    abi: number;
    cwd: string;
    env: Record<string, string>;
    ctl: string;
    onStdout?: (c: Uint8Array) => void;
    onStderr?: (c: Uint8Array) => void;
    signal?: AbortSignal;
    stage?: string;
    launcher?: string[];
  },
): Promise<LandlockRun> {
  const spec: LaunchSpec = {
    abi: o.abi,
    rules: o.rules,
    net: o.net,
    seccomp: o.net === "none",
    argv,
    cwd: o.cwd,
    report: `${o.ctl}/report.json`,
  };
  await Deno.writeTextFile(`${o.ctl}/spec.json`, JSON.stringify(spec));
  const reportPath = `${o.ctl}/report.json`;
  let exited = false;
  let leftover: string[] = [];
  let reaping: Promise<void> | undefined;
  const run = await spawnProcess([...(o.launcher ?? launcherCommand()), `${o.ctl}/spec.json`], {
    cwd: "/",
    env: { ...o.env, DENO_NO_UPDATE_CHECK: "1" },
    stdin: "piped",
    onStdout: o.onStdout ?? (() => {}),
    onStderr: o.onStderr ?? (() => {}),
    signal: o.signal,
    onSpawn: (child) => {
      // Once the stage has exited (report written), kill what it left below
      // the launcher (its subreaper), then let the launcher go.
      reaping = (async () => {
        while (!exited && !readReport(reportPath)) await new Promise((r) => setTimeout(r, 5));
        if (!exited) leftover = await killDescendants(child.pid);
        await child.stdin.close().catch(() => {});
      })();
    },
  });
  exited = true;
  await reaping;
  if (run.aborted) throw new InterruptedError();
  const report = readReport(reportPath);
  if (!report || report.error !== undefined || report.rc === undefined) {
    const why = report?.error ?? (run.stderrTail.trim().split("\n").slice(-3).join("; ") ||
      `launcher exit ${run.code}`);
    throw new SandboxUnavailableError(
      "landlock",
      `the Landlock sandbox could not start${o.stage ? ` for stage '${o.stage}'` : ""}: ${why}`,
      "check `cairn doctor`; or use --sandbox-backend bwrap",
    );
  }
  return { exitCode: report.rc, stderr: run.stderrTail, leftover };
}

/** Stop, then kill, every live descendant of `root`; the first round's list ("pid comm"). */
async function killDescendants(root: number): Promise<string[]> {
  // Helpers that end on their own once the command is gone (Python's
  // multiprocessing resource tracker sees EOF and exits) are not leftovers.
  for (let i = 0; i < 20 && descendants(root).length; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const first: string[] = [];
  for (let round = 0; round < 50; round++) {
    const left = descendants(root);
    if (!left.length) break;
    if (round === 0) first.push(...left.map((p) => `${p.pid} ${p.comm}`));
    // Stop all first so none acts on a sibling's death, then kill.
    for (const p of left) tryKill(p.pid, "SIGSTOP");
    for (const p of left) tryKill(p.pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 5));
  }
  return first;
}

function tryKill(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch { /* gone */ }
}

function readReport(p: string): LaunchReport | undefined {
  try {
    const st = Deno.lstatSync(p);
    if (!st.isFile || st.size > 1024 * 1024) return undefined;
    return JSON.parse(Deno.readTextFileSync(p)) as LaunchReport;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

export interface LandlockProbe {
  works: boolean;
  abi: number;
  problem?: string;
}

let probed: Promise<LandlockProbe> | undefined;

/** Can a launcher confine itself here? A real trial run (cached per process). */
export function probeLandlock(
  opts: { refresh?: boolean; abi?: number } = {},
): Promise<LandlockProbe> {
  if (probed && !opts.refresh && opts.abi === undefined) return probed;
  const p = (async (): Promise<LandlockProbe> => {
    const ctl = await Deno.makeTempDir({ prefix: "cairn-llprobe-" });
    try {
      const spec: LaunchSpec = {
        abi: 99,
        rules: [{ path: "/", access: "ro" }],
        net: "none",
        seccomp: true,
        argv: ["/bin/true"],
        cwd: "/",
        report: `${ctl}/report.json`,
        probe: true,
      };
      await Deno.writeTextFile(`${ctl}/spec.json`, JSON.stringify(spec));
      const run = await spawnProcess([...launcherCommand(), `${ctl}/spec.json`], {
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", DENO_NO_UPDATE_CHECK: "1" },
        onStdout: () => {},
        onStderr: () => {},
      });
      const r = readReport(`${ctl}/report.json`);
      if (r && r.error === undefined && r.rc === 0) return { works: true, abi: r.abi ?? 0 };
      return {
        works: false,
        abi: r?.abi ?? 0,
        problem: r?.error ?? (run.stderrTail.trim().split("\n").pop() || `exit ${run.code}`),
      };
    } finally {
      await Deno.remove(ctl, { recursive: true }).catch(() => {});
    }
  })();
  if (opts.abi === undefined) probed = p;
  return p;
}
