/**
 * The Landlock backend: no helper binary, no namespaces, no root. cairn
 * starts `landlock_launcher.ts` (a second Deno process) which confines
 * itself and then execs a small shell wrapper that runs the stage; cairn's
 * own process is never restricted. After the stage exits, cairn kills what
 * it left below the wrapper (the child subreaper) and then closes the
 * wrapper's stdin to let it end with the stage's status.
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
 *   not cover. Host-list grants: cairn's filtering proxy listens on a free
 *   127.0.0.1 port and TCP connect is allowed to that port number only
 *   (Landlock port rules cannot restrict the address: a server on that same
 *   port number elsewhere is reachable too; doctor and docs list it).
 */
import { fromFileUrl } from "../path.ts";
import { spawnProcess, type SpawnResult } from "../proc/spawn.ts";
import { InterruptedError } from "../errors.ts";
import { spanAsync } from "../trace.ts";
import type { OutParent, SandboxPlan } from "./bwrap.ts";
import { SandboxGrantError, SandboxUnavailableError } from "./errors.ts";
import type { ResolvedGrants } from "./grants.ts";
import type { Violation } from "./violations.ts";
import {
  descendants,
  type LaunchReport,
  type LaunchRule,
  type LaunchSpec,
  staticRules,
} from "./landlock_launcher.ts";
import { isWithin, lstatOrNull, realPathOf, statOrNull } from "./_paths.ts";
import { makeFifo } from "./_fifo.ts";
import { landlockLauncherWanted, wantLandlockLauncher } from "./backend_choice.ts";

/** The launcher script next to this one: a path, or its URL when cairn was imported by URL. */
export function launcherScript(): string {
  const url = new URL("./landlock_launcher.ts", import.meta.url);
  return url.protocol === "file:" ? fromFileUrl(url) : url.href;
}

/**
 * argv that runs the launcher: this Deno running the launcher module, or
 * (`exe` is not a `deno`: the `deno compile`d cairn) cairn itself in its
 * launcher mode (cli.ts).
 */
export function launcherCommand(exe = Deno.execPath()): string[] {
  if (!/(^|\/)deno$/.test(exe)) return [exe, "__landlock-launch"];
  return [
    exe,
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
  _grants: { net: boolean | unknown[] },
  opts: { trace?: boolean } = {},
): { why: string; hint: string } | undefined {
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
  /** outputs declared as folders (`outs: [model/]`), absolute: a missing one is created as a folder. */
  dirOuts?: string[];
}

/** An output cairn created so that a rule could name it. */
export interface Placeholder {
  path: string;
  mtime: number;
  /** created as an empty folder (declared with a trailing slash), else an empty file. */
  dir?: boolean;
}

export interface LandlockLayout {
  rules: LaunchRule[];
  /** outputs cairn created empty so a rule could name them, with their mtime. */
  placeholders: Placeholder[];
  /** folders with other entries, where only the outputs themselves are writable. */
  shared: string[];
}

/**
 * Rules for one run. Creates missing output folders and placeholder files
 * (callers undo with cleanupLayout). Throws SandboxGrantError for what
 * Landlock cannot express.
 */
export function layoutRules(inp: LandlockPlanInput): LandlockLayout {
  const { plan, grants } = inp;
  const rules: LaunchRule[] = [];
  const placeholders: Placeholder[] = [];
  const shared: string[] = [];
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
  // /proc without the numbered process folders (other processes' environ,
  // cairn's own with variables the stage was not granted, stays unreadable),
  // standard devices, /dev/shm: what a waiting launcher adds ahead of time.
  // /dev/shm is host-wide, unlike bwrap's private one: doctor says so.
  rules.push(...staticRules());
  for (const d of plan.deps) {
    const real = realOrNull(d);
    if (real) rules.push({ path: real, access: "ro" });
  }
  for (const r of grants.read) rules.push({ path: r.real, access: "ro" });
  if (statOrNull(plan.cacheDir)) rules.push({ path: realPathOf(plan.cacheDir), access: "ro" });
  for (const w of grants.write) rules.push({ path: w.real, access: "rw" });
  rules.push({ path: inp.tmpDir, access: "rw" });
  for (const d of inp.devices) rules.push({ path: d, access: "dev" });
  const dirOuts = new Set(inp.dirOuts ?? []);
  for (const p of plan.outParents) {
    if (outputRules(p, root, plan, rules, placeholders, dirOuts)) shared.push(p.host);
  }
  return { rules, placeholders, shared };
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
  placeholders: Placeholder[],
  dirOuts: Set<string>,
): boolean {
  if (!statOrNull(p.host)) Deno.mkdirSync(p.host, { recursive: true });
  const others = [...Deno.readDirSync(p.host)].filter((e) => !p.outs.includes(e.name));
  // A folder holding only outputs (never the project root, .dvc, .git, cache).
  const guarded = [root, `${root}/.dvc`, `${root}/.git`, plan.cacheDir].some((g) =>
    isWithin(g, p.host) || isWithin(p.host, g)
  );
  if (!others.length && !guarded) {
    rules.push({ path: p.host, access: "rw" });
    return false;
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
      // Landlock cannot allow creating one name in a folder (a folder's
      // rights cover everything beneath it), so cairn creates the output:
      // a folder when declared with a trailing slash, else an empty file.
      const dir = dirOuts.has(full);
      if (dir) Deno.mkdirSync(full);
      else Deno.writeFileSync(full, new Uint8Array());
      placeholders.push({ path: full, mtime: Deno.statSync(full).mtime?.getTime() ?? 0, dir });
    }
    rules.push({ path: full, access: "rw" });
  }
  return true;
}

/** Remove placeholder outputs the stage did not write. */
export function cleanupLayout(l: LandlockLayout): void {
  for (const ph of untouchedPlaceholders(l)) Deno.removeSync(ph.path);
}

/** Placeholders the stage left as cairn created them (empty, same mtime). */
export function untouchedPlaceholders(l: LandlockLayout): Placeholder[] {
  return l.placeholders.filter((ph) => {
    const st = lstatOrNull(ph.path);
    if (!st || (st.mtime?.getTime() ?? 0) !== ph.mtime) return false;
    if (ph.dir) return st.isDirectory && [...Deno.readDirSync(ph.path)].length === 0;
    return st.isFile && st.size === 0;
  });
}

/**
 * Why a failed stage's outputs in folders shared with other files could not
 * be made (Landlock only): an output prepared as an empty file that the
 * stage wanted as a folder, names it tried to create beside its outputs.
 */
export function sharedFolderViolations(
  l: LandlockLayout,
  stderr: string,
  show: (p: string) => string,
): Violation[] {
  const out: Violation[] = [];
  for (const ph of untouchedPlaceholders(l)) {
    if (ph.dir) continue;
    const shown = show(ph.path);
    const name = ph.path.slice(ph.path.lastIndexOf("/") + 1);
    const mentioned = stderr.split("\n").some((line) =>
      (line.includes(shown) || line.includes(name)) &&
      /File exists|Not a directory|Is a directory|exists and is not a directory/i.test(line)
    );
    if (!mentioned) continue;
    out.push({
      kind: "write",
      subject: ph.path,
      message: `'${shown}' was prepared as an empty file: under the Landlock backend a stage ` +
        `cannot create names in '${show(parentOf(ph.path)) || "."}' (a folder with other files), ` +
        `so cairn creates each output there beforehand, as a folder only when declared with a ` +
        `trailing slash`,
      fix: `outs:\n  - ${shown}/`,
      source: "check",
      fatal: true,
    });
  }
  return out;
}

/** Explain refused new names beside outputs in a shared folder (Landlock cannot allow them). */
export function explainSharedFolder(
  v: Violation,
  l: LandlockLayout,
  show: (p: string) => string,
): Violation {
  if (v.kind !== "write" || !l.shared.includes(parentOf(v.subject))) return v;
  if (l.placeholders.some((ph) => ph.path === v.subject)) return v; // says so already
  return {
    ...v,
    message: `${v.message} (under the Landlock backend a stage cannot create, rename or remove ` +
      `anything in '${show(parentOf(v.subject)) || "."}', a folder with other files, temporary ` +
      `files included: only the declared outputs there can be written in place; give the ` +
      `outputs a folder of their own, or use --sandbox-backend bwrap)`,
  };
}

function parentOf(p: string): string {
  return p.slice(0, p.lastIndexOf("/")) || "/";
}

export interface LandlockRun {
  exitCode: number;
  stderr: string;
  leftover: string[];
}

/** A launcher process waiting for its spec path on stdin. */
interface Launcher {
  child?: Deno.ChildProcess;
  done: Promise<SpawnResult>;
  /** where its output goes (set when a stage claims it). */
  sink: { out?: (c: Uint8Array) => void; err?: (c: Uint8Array) => void };
  abort: AbortController;
}

/** The launcher's own environment (the stage's comes in its spec). */
function launcherEnv(): Record<string, string> {
  const env: Record<string, string> = { DENO_NO_UPDATE_CHECK: "1" };
  for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  return env;
}

function startLauncher(argv = launcherCommand()): Launcher {
  const sink: Launcher["sink"] = {};
  const abort = new AbortController();
  const l: Launcher = { sink, abort, done: Promise.resolve(undefined as never) };
  l.done = spawnProcess([...argv, "-"], {
    cwd: "/",
    env: launcherEnv(),
    stdin: "piped",
    onStdout: (c) => sink.out?.(c),
    onStderr: (c) => sink.err?.(c),
    signal: abort.signal,
    onSpawn: (child) => (l.child = child),
  });
  l.done.catch(() => {}); // an unused launcher that failed to start is not an error
  return l;
}

let spare: Launcher | undefined;

/**
 * Keep one launcher started ahead of time, so that a stage does not wait for
 * a Deno start-up (most of the Landlock backend's cost per stage): one
 * starts when the Landlock backend is chosen (requireSandbox), the next once
 * a stage's command has ended. For the CLI; an idle launcher does not keep
 * cairn alive and ends when cairn does (EOF on its stdin). Off by default,
 * so library users and tests leak no process.
 */
export function keepLandlockLauncherReady(on = true): void {
  wantLandlockLauncher(on);
  if (!on && spare) {
    const s = spare;
    spare = undefined;
    s.child?.stdin.close().catch(() => {});
  }
}

/** Start the launcher kept ready (keepLandlockLauncherReady), if none is waiting. */
export function prestartLandlockLauncher(): void {
  if (!landlockLauncherWanted() || spare) return;
  spare = startLauncher();
  spare.child?.unref();
}

function takeLauncher(): Launcher {
  const l = spare ?? startLauncher();
  spare = undefined;
  l.child?.ref();
  return l;
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
    /** TCP ports the stage may connect to (the filtering proxy's). */
    connectPorts?: number[];
  },
): Promise<LandlockRun> {
  if (o.signal?.aborted) throw new InterruptedError();
  const reportPath = `${o.ctl}/report.json`;
  const donePath = `${o.ctl}/done`;
  // Sync file calls here and around the run: each await of an async one is
  // a hand-off to a pool thread and back, a scheduling delay on a busy machine.
  const done = makeFifo(donePath)
    ? Deno.openSync(donePath, { read: true, write: true })
    : undefined;
  const spec: LaunchSpec = {
    abi: o.abi,
    rules: o.rules,
    net: o.net,
    connectPorts: o.connectPorts,
    seccomp: o.net !== "open",
    argv,
    cwd: o.cwd,
    env: o.env,
    report: reportPath,
    done: done ? donePath : undefined,
  };
  const l = o.launcher ? startLauncher(o.launcher) : takeLauncher();
  l.sink.out = o.onStdout;
  l.sink.err = o.onStderr;
  const onAbort = () => l.abort.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  let exited = false;
  let leftover: string[] = [];
  let reaping: Promise<void> | undefined;
  // Resolves once the stage's command has ended (the wrapper wrote its byte),
  // or, released below, once the launcher is gone.
  let stageEnded = false;
  const ended = done?.read(new Uint8Array(8)).then(() => void (stageEnded = true), () => {});
  const child = l.child;
  if (child) {
    reaping = (async () => {
      const w = child.stdin.getWriter();
      // The spec itself on the pipe (JSON has no raw newline): no file to write and read.
      await w.write(new TextEncoder().encode(`${JSON.stringify(spec)}\n`)).catch(() => {});
      // Once the stage has exited, kill what it left below the wrapper (its
      // subreaper), then let the wrapper go.
      await spanAsync("sandbox.landlock.stage", async () => {
        if (ended) await ended;
        else {
          while (!exited && !reportWritten(reportPath)) {
            await new Promise((r) => setTimeout(r, 5));
          }
        }
      });
      if (!exited) {
        leftover = await spanAsync("sandbox.landlock.reap", () => killDescendants(child.pid));
      }
      await w.close().catch(() => {});
    })();
  }
  let run: SpawnResult;
  try {
    run = await l.done;
  } finally {
    exited = true;
    o.signal?.removeEventListener("abort", onAbort);
    if (done) {
      // A launcher that failed before its wrapper ran never writes: release the read.
      if (!stageEnded) done.writeSync(new Uint8Array([0]));
      await ended;
      done.close();
    }
  }
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
  // The wrapper ends with the stage's status (the report only says when it
  // ended); the report's figure when the wrapper itself was killed.
  const exitCode = run.signal ? report.rc : run.code;
  return { exitCode, stderr: run.stderrTail, leftover };
}

/** Has the launcher or its wrapper written the report (it starts out empty)? */
function reportWritten(p: string): boolean {
  try {
    return Deno.lstatSync(p).size > 0;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Stop, then kill, every live descendant of `root`; the first round's list ("pid comm"). */
async function killDescendants(root: number): Promise<string[]> {
  // Helpers that end on their own once the command is gone (Python's
  // multiprocessing resource tracker sees EOF and exits) are not leftovers.
  // A time limit, not a count: on a loaded machine they take a while.
  const until = performance.now() + 1000;
  while (descendants(root).length && performance.now() < until) {
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

/**
 * The probe on a throwaway Worker thread (see _landlock_probe_worker.ts);
 * undefined when no Worker could run it (then a launcher process probes).
 */
async function probeInWorker(): Promise<LandlockProbe | undefined> {
  let w: Worker;
  try {
    w = new Worker(new URL("./_landlock_probe_worker.ts", import.meta.url), { type: "module" });
  } catch {
    return undefined;
  }
  try {
    return await new Promise<LandlockProbe | undefined>((resolve) => {
      w.onmessage = (e: MessageEvent<LandlockProbe>) => resolve(e.data);
      w.onerror = (e) => {
        e.preventDefault();
        resolve(undefined);
      };
    });
  } finally {
    w.terminate();
  }
}

/** Can a launcher confine itself here? A real trial run (cached per process). */
export function probeLandlock(
  opts: { refresh?: boolean; abi?: number } = {},
): Promise<LandlockProbe> {
  if (probed && !opts.refresh && opts.abi === undefined) return probed;
  const p = (async (): Promise<LandlockProbe> => {
    if (opts.abi === undefined) {
      const inThread = await probeInWorker();
      if (inThread) return inThread;
    }
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
