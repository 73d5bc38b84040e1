/**
 * runSandboxed(): run one stage command under the requested policy and
 * report what the sandbox stopped, each with the grant that would allow it.
 *
 * Process layout inside bwrap (own pid namespace, so nothing survives it):
 *   pid 1 bwrap init
 *   └ outer sh: starts the network forwarder (host-list grants), then
 *     └ [strace -f] inner sh: runs `$SHELL -c cmd`, records its exit code,
 *       lists processes still alive (background jobs left behind), kills them.
 */
import { span, spanAsync } from "../trace.ts";
import { InterruptedError } from "../errors.ts";
import { type BackendChoice, requireSandbox, type SandboxBackend, which } from "./availability.ts";
import {
  cleanupLayout,
  DEVICE_ENV,
  deviceNodes,
  explainSharedFolder,
  type LandlockLayout,
  landlockRefusal,
  layoutRules,
  prestartLandlockLauncher,
  runConfined,
  sharedFolderViolations,
} from "./landlock.ts";
import { signalNumber, spawnProcess } from "../proc/spawn.ts";
import { shellCommand } from "../proc/shell.ts";
import {
  finishSandbox,
  type OutDecl,
  planSandbox,
  prepareSandbox,
  type SandboxPlan,
} from "./bwrap.ts";
import { SandboxGrantError, SandboxUnavailableError } from "./errors.ts";
import {
  filterEnv,
  type ResolvedGrants,
  resolveGrants,
  type SandboxPolicy,
  type SandboxSpec,
} from "./grants.ts";
import { FORWARDER_JS, type NetProxy, PROXY_PORT, proxyEnv, startNetProxy } from "./net_proxy.ts";
import { parseStrace, straceArgs } from "./strace.ts";
import {
  netViolation,
  processViolation,
  readViolation,
  type Violation,
  type ViolationContext,
  violationsFromEnv,
  violationsFromStderr,
  violationsFromTrace,
  writeViolation,
} from "./violations.ts";
import { absPath } from "./_paths.ts";
import { checkOutputs, ControlFileTampered, readControlFile } from "./output_check.ts";

/** Where cairn's control folder appears inside the sandbox (private /tmp). */
export const CTL_MOUNT = "/tmp/.cairn";

export interface RunSandboxedOptions {
  /** stage working dir (absolute). */
  cwd: string;
  /** the user's environment; the sandbox gets the basic set plus granted names. */
  env: Record<string, string | undefined>;
  policy: SandboxPolicy;
  /** the stage's grants: parsed `meta.sandbox` (resolved here) or already resolved. */
  grants?: SandboxSpec | ResolvedGrants;
  /** declared deps, relative to cwd or absolute. */
  deps: string[];
  /** declared outs (and metrics/plots), relative to cwd or absolute. */
  outs: (string | OutDecl)[];
  repoRoot: string;
  cacheDir: string;
  /** shell that runs `cmd` (DVC: $SHELL, else /bin/sh). */
  shell?: string;
  /** stage name, for messages. */
  stage?: string;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  signal?: AbortSignal;
  /**
   * Trace file and connect calls with strace to name exact paths and hosts.
   * "auto" (default): in hermetic mode when strace is installed. Tracing
   * costs per file syscall (ptrace), so `on` relies on messages and checks.
   */
  trace?: boolean | "auto";
  /** argv that starts the forwarder JS (default: this Deno binary). */
  forwarderCommand?: string[];
  /** where hermetic staging folders go (default `<repo>/.dvc/tmp`). */
  tmpBase?: string;
  /** use this bwrap binary instead of the one on PATH. */
  bwrapPath?: string;
  /** receives the raw strace output when the run was traced (explain-inputs). */
  onTrace?: (text: string) => void;
  /** which sandbox implementation: `auto` (default: bwrap when it works here, else Landlock). */
  backend?: BackendChoice;
}

export interface RunSandboxedResult {
  exitCode: number;
  /** everything the sandbox stopped or undid; a `fatal` one fails the stage. */
  violations: Violation[];
  /** exitCode 0 and no fatal violation. */
  ok: boolean;
  policy: SandboxPolicy;
  traced: boolean;
  /** last 64 KiB of stderr (for messages). */
  stderrTail: string;
  durationMs: number;
  /** hosts the proxy let through / refused (host-list grants). */
  net?: { host: string; port: number; allowed: boolean }[];
  /** the backend that confined the run (absent for policy off). */
  backend?: SandboxBackend;
}

const INNER = `
ctl=$1; sh_=$2; cmd=$3; skip=$4
"$sh_" -c "$cmd"
rc=$?
echo "$rc" > "$ctl/rc"
round=0
while :; do
  pids=; left=
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    case " 1 $$ $PPID $skip " in *" $p "*) continue;; esac
    read -r st < "$d/stat" 2>/dev/null || continue
    s=\${st##*) }; s=\${s%% *}
    [ "$s" = Z ] && continue
    c=\${st#*(}; c=\${c%)*}
    pids="$pids $p"
    left="$left$p $c
"
  done
  [ -z "$pids" ] && break
  [ "$round" = 0 ] && printf '%s' "$left" > "$ctl/leftover"
  # Stop all first so none acts on a sibling's death, then kill.
  kill -STOP $pids 2>/dev/null; kill -KILL $pids 2>/dev/null
  round=$((round+1)); [ "$round" -gt 50 ] && break
done
exit "$rc"
`;

/** The outer script; INNER and the strace flags are inlined (quoted). */
const outerScript = (straceFlags: string[]) => `
ctl=$1; sh_=$2; cmd=$3; trace=$4; shift 4
fwd=
if [ "$#" -gt 0 ]; then
  DENO_DIR=/tmp/.cairn-deno DENO_NO_UPDATE_CHECK=1 "$@" </dev/null >/dev/null 2>"$ctl/fwd.err" &
  fwd=$!
  i=0
  while [ ! -e "$ctl/ready" ]; do
    i=$((i+1))
    if [ "$i" -gt 1500 ] || ! kill -0 "$fwd" 2>/dev/null; then
      echo "cairn: the sandbox network forwarder did not start" >&2; exit 125
    fi
    sleep 0.01
  done
fi
if [ "$trace" = 1 ]; then
  strace ${straceFlags.map(shQuote).join(" ")} -- /bin/sh -c ${
  shQuote(INNER)
} sh "$ctl" "$sh_" "$cmd" "$$ $fwd"
else
  /bin/sh -c ${shQuote(INNER)} sh "$ctl" "$sh_" "$cmd" "$$ $fwd"
fi
rc=$?
[ -n "$fwd" ] && kill -9 "$fwd" 2>/dev/null
exit "$rc"
`;

function isResolved(g: SandboxSpec | ResolvedGrants): g is ResolvedGrants {
  return g.read.every((r) => "real" in r) && g.write.every((w) => "real" in w);
}

/** Run `cmd` the way DVC does (policy off): `$SHELL [--noprofile --norc] -c cmd`, no sandbox. */
async function runPlain(
  cmd: string,
  opts: RunSandboxedOptions,
): Promise<RunSandboxedResult> {
  const t0 = performance.now();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
  if (opts.shell) env.SHELL = opts.shell;
  const { code, stderr, aborted } = await spawnStreaming(shellCommand(cmd, env), {
    cwd: opts.cwd,
    env,
    onStdout: opts.onStdout,
    onStderr: opts.onStderr,
    signal: opts.signal,
  });
  if (aborted) throw new InterruptedError();
  return {
    exitCode: code,
    violations: [],
    ok: code === 0,
    policy: "off",
    traced: false,
    stderrTail: stderr,
    durationMs: performance.now() - t0,
  };
}

interface SpawnResult {
  code: number;
  stderr: string;
  aborted: boolean;
}

/** lib/proc/spawn.ts with this module's result shape (own process group, escalation on abort). */
async function spawnStreaming(
  argv: string[],
  o: {
    cwd: string;
    env: Record<string, string>;
    onStdout?: (c: Uint8Array) => void;
    onStderr?: (c: Uint8Array) => void;
    signal?: AbortSignal;
  },
): Promise<SpawnResult> {
  const r = await spawnProcess(argv, {
    cwd: o.cwd,
    env: o.env,
    onStdout: o.onStdout ?? (() => {}),
    onStderr: o.onStderr ?? (() => {}),
    signal: o.signal,
  });
  return {
    code: r.signal ? 128 + signalNumber(r.signal) : r.code,
    stderr: r.stderrTail,
    aborted: r.aborted,
  };
}

/**
 * Run a stage command under `policy`. With `on`/`hermetic`, fails before
 * running anything (SandboxUnavailableError) when bwrap cannot be used, and
 * throws SandboxGrantError for invalid or refused grants. The returned
 * violations explain what was stopped; callers fail the stage unless `ok`.
 */
export async function runSandboxed(
  cmd: string,
  opts: RunSandboxedOptions,
): Promise<RunSandboxedResult> {
  if (opts.policy === "off") return await runPlain(cmd, opts);
  if (opts.policy !== "on" && opts.policy !== "hermetic") {
    throw new SandboxGrantError(opts.stage, `unknown policy '${opts.policy}'`);
  }
  const avail = await requireSandbox({
    stage: opts.stage,
    bwrap: opts.bwrapPath,
    backend: opts.backend,
  });
  const t0 = performance.now();
  const cwd = absPath("/", opts.cwd);
  const grantsIn = opts.grants ?? { net: [], env: [], read: [], write: [] };
  const grants: ResolvedGrants = isResolved(grantsIn) ? grantsIn : resolveGrants(
    grantsIn as SandboxSpec,
    {
      stage: opts.stage,
      cwd,
      repoRoot: opts.repoRoot,
      cacheDir: opts.cacheDir,
      env: opts.env,
    },
  );
  if (avail.backend === "landlock") {
    return await runUnderLandlock(cmd, opts, grants, avail.landlockAbi, t0);
  }
  const wantTrace = opts.trace ?? "auto";
  const traced = wantTrace === "auto"
    ? opts.policy === "hermetic" && avail.strace !== undefined
    : wantTrace;
  if (traced && !avail.strace) {
    throw new SandboxUnavailableError(
      "strace",
      "tracing was requested but strace is not installed",
      "install it (apt-get install strace) or run without tracing",
    );
  }
  const netList = Array.isArray(grants.net) && grants.net.length > 0 ? grants.net : undefined;
  const netOpen = grants.net === true;

  const ctl = await Deno.makeTempDir({ prefix: "cairn-sbx-" });
  let proxy: NetProxy | undefined;
  let plan: SandboxPlan | undefined;
  try {
    const forwarder: string[] = [];
    if (netList) {
      proxy = startNetProxy(netList, { socketPath: `${ctl}/proxy.sock` });
      await Deno.writeTextFile(`${ctl}/forwarder.js`, FORWARDER_JS);
      const base = opts.forwarderCommand ?? defaultForwarderCommand();
      forwarder.push(
        ...base,
        `${CTL_MOUNT}/forwarder.js`,
        `${CTL_MOUNT}/proxy.sock`,
        String(PROXY_PORT),
        `${CTL_MOUNT}/ready`,
      );
    }
    plan = planSandbox({
      policy: opts.policy,
      cwd,
      repoRoot: opts.repoRoot,
      cacheDir: opts.cacheDir,
      deps: opts.deps,
      outs: opts.outs,
      grants,
      stage: opts.stage,
      shareNet: netOpen,
      extraRo: forwarder.length ? [forwarder[0]] : [],
      extraRw: [{ src: ctl, dest: CTL_MOUNT }],
      tmpBase: opts.tmpBase,
      devices: deviceNodes(grants.devices ?? []),
    });
    // Outputs that are symlinks already (a persisted output checked out as a
    // link into the cache): unchanged ones are the user's, not the stage's.
    const linksBefore = outputLinks(plan.outs);
    prepareSandbox(plan);

    const { env, withheld } = filterEnv(opts.env, [
      ...grants.env,
      ...(grants.devices?.length ? DEVICE_ENV : []),
    ]);
    if (netList) Object.assign(env, proxyEnv());
    const shell = opts.shell ?? opts.env.SHELL ?? "/bin/sh";
    const bwrap = avail.bwrap!;
    const run = await spawnStreaming([
      bwrap,
      ...plan.args,
      "--",
      "/bin/sh",
      "-c",
      outerScript(straceArgs(`${CTL_MOUNT}/trace`)),
      "sh",
      CTL_MOUNT,
      shell,
      cmd,
      traced ? "1" : "0",
      ...forwarder,
    ], {
      cwd: "/",
      env,
      onStdout: opts.onStdout,
      onStderr: opts.onStderr,
      signal: opts.signal,
    });
    if (run.aborted) throw new InterruptedError();

    // The control folder is writable inside the sandbox: everything read back
    // from it is read no-follow, regular files only, size-capped.
    const tampered: Violation[] = [];
    const control = (name: string, cap?: number, truncate = false): string | null => {
      try {
        return readControlFile(`${ctl}/${name}`, cap, { truncate });
      } catch (err) {
        if (!(err instanceof ControlFileTampered)) throw err;
        tampered.push({
          kind: "process",
          subject: `${CTL_MOUNT}/${name}`,
          message: `replaced cairn's control file ${CTL_MOUNT}/${name} (it ${err.why}); ` +
            `it was not read`,
          source: "check",
          fatal: true,
        });
        return null;
      }
    };
    const rcText = control("rc", 64);
    if (rcText === null && !tampered.length) {
      // The command never ran: bwrap, strace or the forwarder failed to start.
      const why = run.stderr.trim().split("\n").slice(-3).join("; ") ||
        `exit ${run.code}`;
      const fwdErr = control("fwd.err", 64 * 1024)?.trim();
      throw new SandboxUnavailableError(
        "bwrap",
        `the sandbox could not start${opts.stage ? ` for stage '${opts.stage}'` : ""}: ${why}${
          fwdErr ? ` (forwarder: ${fwdErr.split("\n")[0]})` : ""
        }`,
        "check that bubblewrap works here: bwrap --ro-bind / / --unshare-all true",
      );
    }
    const rcOk = rcText !== null && /^\d{1,3}\n?$/.test(rcText);
    // A forged or unreadable rc: the wrapper's own exit status (= the command's), never 0.
    const exitCode = rcOk ? Number(rcText.trim()) : (run.code || 1);

    const { repoRoot, cacheDir, deps: planDeps, outs: planOuts } = plan;
    const visible = visibleDests(plan);
    const mounts = plan.mounts;
    // Outputs back in place first, so real paths resolve as on the host.
    const checks = finishSandbox(plan);
    plan = undefined;
    // Then judge them as the sandbox saw them, before anything hashes them.
    checks.push(...checkOutputs({ mounts, outs: planOuts, cwd, repoRoot, linksBefore, cacheDir }));
    const ctx: ViolationContext & { exitCode: number } = {
      repoRoot,
      cacheDir,
      cwd,
      deps: planDeps,
      outs: planOuts,
      hermetic: opts.policy === "hermetic",
      visible,
      netOpen,
      proxyPort: netList ? PROXY_PORT : undefined,
      exitCode,
    };
    const violations: Violation[] = [];
    const add = (vs: Violation[]) => {
      for (const v of vs) {
        if (!violations.some((w) => w.kind === v.kind && w.subject === v.subject)) {
          violations.push(v);
        }
      }
    };
    if (proxy) {
      for (const r of proxy.log) {
        if (!r.allowed) {
          add([netViolation(r.host, r.port, "not in the stage's net grants", "proxy")]);
        }
      }
    }
    if (traced) {
      const text = control("trace", undefined, true) ?? "";
      opts.onTrace?.(text);
      const events = parseStrace(text.split("\n"), { cwd });
      add(violationsFromTrace(events, ctx));
    }
    const fromErr = violationsFromStderr(run.stderr, ctx);
    // With a trace, keep only what it cannot know: host names of failed DNS lookups.
    add(traced ? fromErr.filter((v) => v.kind === "net") : fromErr);
    if (violations.some((v) => v.kind === "net" && v.source === "stderr")) {
      // "DNS lookup of 10.x.x.x:53" is noise once stderr named the host.
      for (let i = violations.length - 1; i >= 0; i--) {
        if (
          violations[i].kind === "net" && violations[i].subject.endsWith(":53") &&
          violations[i].source === "trace"
        ) {
          violations.splice(i, 1);
        }
      }
    }
    add(violationsFromEnv(cmd, run.stderr, withheld, exitCode));
    const left = control("leftover", 1024 * 1024, true);
    if (left) {
      for (const line of left.trim().split("\n")) {
        const [pid, ...name] = line.trim().split(" ");
        add([processViolation(`pid ${pid}: ${name.join(" ")}`)]);
      }
    }
    add(checks);
    add(tampered);
    const collapsed = collapseWrites(violations);
    return {
      exitCode,
      violations: collapsed,
      ok: exitCode === 0 && !collapsed.some((v) => v.fatal),
      policy: opts.policy,
      traced,
      stderrTail: run.stderr,
      durationMs: performance.now() - t0,
      net: proxy?.log.map(({ host, port, allowed }) => ({ host, port, allowed })),
      backend: "bwrap",
    };
  } finally {
    if (plan) {
      try {
        finishSandbox(plan);
      } catch { /* best effort on the error path */ }
    }
    await proxy?.close();
    await Deno.remove(ctl, { recursive: true }).catch(() => {});
  }
}

/** Declared outputs that are symlinks, with their targets. */
function outputLinks(outs: string[]): Map<string, string> {
  const links = new Map<string, string>();
  for (const o of outs) {
    try {
      if (Deno.lstatSync(o).isSymlink) links.set(o, Deno.readLinkSync(o));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return links;
}

/** Many refused writes into one folder outside the project (tool caches): one entry. */
function collapseWrites(vs: Violation[]): Violation[] {
  const out: Violation[] = [];
  const groups = new Map<string, Violation[]>();
  for (const v of vs) {
    if (v.kind !== "write" || v.fatal || !v.fix) {
      out.push(v);
      continue;
    }
    const g = groups.get(v.fix);
    if (g) g.push(v);
    else {
      groups.set(v.fix, [v]);
      out.push(v);
    }
  }
  return out.map((v) => {
    const g = v.fix ? groups.get(v.fix) : undefined;
    if (!g || g[0] !== v || g.length === 1) return v;
    return { ...v, message: `${v.message} (and ${g.length - 1} more in that folder)` };
  });
}

/** Sandbox paths that show host content (deps, grants; not staging folders). */
function visibleDests(plan: SandboxPlan): string[] {
  return plan.mounts.filter((m) => (m.op === "ro" || m.op === "rw") && m.dest !== "/" && !m.staging)
    .map((m) => m.dest);
}

function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** `deno run` with just enough permission for the forwarder. */
function defaultForwarderCommand(): string[] {
  const exe = Deno.execPath();
  if (!/(^|\/)deno$/.test(exe)) {
    const deno = which("deno");
    if (!deno) {
      throw new SandboxUnavailableError(
        "deno",
        "host-list network grants need a `deno` binary for the in-sandbox forwarder",
        "install deno, or pass forwarderCommand",
      );
    }
    return forwarderArgs(deno);
  }
  return forwarderArgs(exe);
}

function forwarderArgs(deno: string): string[] {
  return [
    deno,
    "run",
    "-q",
    "--no-config",
    "--no-lock",
    "--no-prompt",
    `--allow-net=127.0.0.1:${PROXY_PORT},unix:${CTL_MOUNT}/proxy.sock`,
    `--allow-read=${CTL_MOUNT}`,
    `--allow-write=${CTL_MOUNT}`,
  ];
}

/**
 * The Landlock path of runSandboxed(): same grants, same post-run checks
 * (new names in writable output folders, output links judged as the stage
 * could see them, leftover processes), no namespaces. Refuses, before
 * anything runs, what Landlock cannot honour: host-list network grants and
 * requested tracing.
 */
async function runUnderLandlock(
  cmd: string,
  opts: RunSandboxedOptions,
  grants: ResolvedGrants,
  abi: number,
  t0: number,
): Promise<RunSandboxedResult> {
  const refusal = landlockRefusal(grants, { trace: opts.trace === true });
  if (refusal) throw new SandboxGrantError(opts.stage, refusal.why, refusal.hint);
  if (grants.net !== true && abi < 4) {
    throw new SandboxUnavailableError(
      "landlock",
      `this kernel's Landlock ABI is ${abi}: TCP cannot be restricted (needs ABI >= 4, Linux 6.7)`,
      "grant net: true if the stage may use the network, or use --sandbox-backend bwrap",
    );
  }
  const cwd = absPath("/", opts.cwd);
  const planFor = (policy: "on" | "hermetic") =>
    planSandbox({
      policy,
      cwd,
      repoRoot: opts.repoRoot,
      cacheDir: opts.cacheDir,
      deps: opts.deps,
      outs: opts.outs,
      grants,
      stage: opts.stage,
      shareNet: grants.net === true,
      depLinks: false,
    });
  // The bwrap plan with policy `on` names the output folders and their entries.
  const plan = span("sandbox.landlock.plan", () => planFor("on"));
  // What the stage may see, for judging output links: the bwrap view of the
  // same policy is never wider than the Landlock one (private /tmp, hidden
  // project; no targets of links inside deps, which Landlock does not show).
  const viewPlan = opts.policy === "hermetic" ? planFor("hermetic") : plan;
  for (const p of plan.outParents) {
    p.staging = undefined;
    p.links = undefined;
  }
  plan.stagingRoot = undefined;
  const linksBefore = outputLinks(plan.outs);
  const ctl = Deno.makeTempDirSync({ prefix: "cairn-ll-" });
  const tmpDir = Deno.makeTempDirSync({ prefix: "cairn-stage-tmp-" });
  const netList = Array.isArray(grants.net) && grants.net.length > 0 ? grants.net : undefined;
  let layout: LandlockLayout | undefined;
  let proxy: NetProxy | undefined;
  let finished = false;
  try {
    // Host-list grants: the filtering proxy on a 127.0.0.1 port, the only
    // TCP port the stage may connect to.
    if (netList) proxy = startNetProxy(netList, { tcp: true });
    prepareSandbox(plan);
    const devices = deviceNodes(grants.devices ?? []);
    layout = span("sandbox.landlock.rules", () =>
      layoutRules({
        policy: opts.policy as "on" | "hermetic",
        plan,
        grants,
        devices,
        tmpDir,
        abi,
        dirOuts: opts.outs.map((o) => typeof o === "string" ? o : o.path)
          .filter((o) => o.endsWith("/")).map((o) => absPath(cwd, o)),
      }));

    const granted = [...grants.env, ...(grants.devices?.length ? DEVICE_ENV : [])];
    const { env, withheld } = filterEnv(opts.env, granted);
    Object.assign(env, { TMPDIR: tmpDir, TMP: tmpDir, TEMP: tmpDir });
    if (proxy) Object.assign(env, proxyEnv(proxy.port));
    const envForShell: Record<string, string> = { ...env };
    if (opts.shell) envForShell.SHELL = opts.shell;
    const run = await spanAsync(
      "sandbox.landlock.run",
      () =>
        runConfined(shellCommand(cmd, envForShell), {
          rules: layout!.rules,
          net: grants.net === true ? "open" : "none",
          abi,
          cwd,
          env,
          ctl,
          onStdout: opts.onStdout,
          onStderr: opts.onStderr,
          signal: opts.signal,
          stage: opts.stage,
          connectPorts: proxy ? [proxy.port] : undefined,
        }),
    );

    const exitCode = run.exitCode;
    const checks = span("sandbox.landlock.finish", () => finishSandbox(plan));
    finished = true;
    checks.push(
      ...checkOutputs({
        mounts: viewPlan.mounts,
        outs: plan.outs,
        cwd,
        repoRoot: plan.repoRoot,
        linksBefore,
        cacheDir: plan.cacheDir,
      }),
    );
    const ctx: ViolationContext & { exitCode: number } = {
      repoRoot: plan.repoRoot,
      cacheDir: plan.cacheDir,
      cwd,
      deps: plan.deps,
      outs: plan.outs,
      hermetic: opts.policy === "hermetic",
      visible: visibleDests(viewPlan),
      netOpen: grants.net === true,
      proxyPort: proxy?.port,
      exitCode,
    };
    const violations: Violation[] = [];
    const add = (vs: Violation[]) => {
      for (const v of vs) {
        if (!violations.some((w) => w.kind === v.kind && w.subject === v.subject)) {
          violations.push(v);
        }
      }
    };
    for (const r of proxy?.log ?? []) {
      if (!r.allowed) add([netViolation(r.host, r.port, "not in the stage's net grants", "proxy")]);
    }
    const show = (p: string) => isWithinSafe(p, cwd) ? p.slice(cwd.length + 1) : p;
    if (exitCode !== 0) add(sharedFolderViolations(layout!, run.stderr, show));
    add(landlockDenials(run.stderr, ctx));
    add(violationsFromStderr(run.stderr, ctx));
    add(violationsFromEnv(cmd, run.stderr, withheld, exitCode));
    for (const line of run.leftover) {
      const [pid, ...name] = line.trim().split(" ");
      add([processViolation(`pid ${pid}: ${name.join(" ")}`)]);
    }
    add(checks);
    const collapsed = collapseWrites(violations).map((v) => explainSharedFolder(v, layout!, show));
    return {
      exitCode,
      violations: collapsed,
      ok: exitCode === 0 && !collapsed.some((v) => v.fatal),
      policy: opts.policy,
      traced: false,
      stderrTail: run.stderr,
      durationMs: performance.now() - t0,
      net: proxy?.log.map(({ host, port, allowed }) => ({ host, port, allowed })),
      backend: "landlock",
    };
  } finally {
    if (!finished) {
      try {
        finishSandbox(plan);
      } catch { /* best effort on the error path */ }
    }
    if (layout) cleanupLayout(layout);
    if (proxy) await proxy.close();
    removeQuietly(ctl);
    removeQuietly(tmpDir);
    // The next stage's launcher (when kept ready), once this one is wholly
    // done and its result on the way: its start-up takes no CPU from this stage.
    setTimeout(prestartLandlockLauncher, 0);
  }
}

/**
 * Landlock refuses with EACCES ("Permission denied") where bwrap gave EROFS
 * or ENOENT: a named path that exists and is hidden in hermetic mode is an
 * undeclared input, anything else a refused write.
 */
function landlockDenials(stderr: string, ctx: ViolationContext): Violation[] {
  const out: Violation[] = [];
  const named = /Permission denied:? '([^']+)'/g; // Python: "...: [Errno 13] Permission denied: 'x'"
  const before = /([^\s:'"`]+)'?:?\s*Permission denied/g; // sh, coreutils: "x: Permission denied"
  for (const line of stderr.split("\n")) {
    if (!/Permission denied/.test(line)) continue;
    const quoted = [...line.matchAll(named)].map((m) => m[1]);
    for (const found of quoted.length ? quoted : [...line.matchAll(before)].map((m) => m[1])) {
      const raw = found.replace(/^['"]|['"]$/g, "");
      if (!raw || raw.startsWith("-") || !/[A-Za-z0-9_]/.test(raw)) continue;
      // A path, not a word of the message ("PermissionError: [Errno 13] ...").
      if (!raw.includes("/") && !raw.includes(".") && !lstatOrNullSafe(absPath(ctx.cwd, raw))) {
        continue;
      }
      const p = absPath(ctx.cwd, raw);
      if (p === ctx.cwd || !lstatOrNullSafe(p) && !lstatOrNullSafe(parentOfSafe(p))) continue;
      const hidden = ctx.hermetic && isWithinSafe(p, ctx.repoRoot) &&
        !(ctx.visible ?? []).some((v) => isWithinSafe(p, v)) &&
        !(ctx.outs ?? []).some((o) => isWithinSafe(p, o));
      if (hidden && lstatOrNullSafe(p)) {
        out.push(readViolation(p, ctx, "stderr"));
      } else if (!(ctx.outs ?? []).some((o) => isWithinSafe(p, o))) {
        out.push(writeViolation(p, ctx, "denied", "stderr"));
      }
    }
  }
  return out;
}

/** Remove a temporary folder (sync: see runConfined), best effort. */
function removeQuietly(p: string): void {
  try {
    Deno.removeSync(p, { recursive: true });
  } catch { /* best effort: a temp folder */ }
}

function lstatOrNullSafe(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function parentOfSafe(p: string): string {
  return p.slice(0, p.lastIndexOf("/")) || "/";
}

function isWithinSafe(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith("/") ? dir : dir + "/");
}
