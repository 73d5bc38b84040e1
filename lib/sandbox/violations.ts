/**
 * Violations: what a sandboxed stage tried and was stopped from doing, each
 * explained with the dvc.yaml change that would allow it. Detected from an
 * strace trace (exact), from the proxy's log (exact), from post-run checks of
 * the writable folders (exact), and from the command's stderr and text
 * (best effort, used when strace is not installed or not enabled).
 */
import { absPath, isWithin, lstatOrNull, parentOf, realPathOf, relPath } from "./_paths.ts";
import type { TraceEvent } from "./strace.ts";

/** `output`: something the stage handed back that cairn must not cache (lib/sandbox/output_check.ts). */
export type ViolationKind = "write" | "read" | "net" | "env" | "process" | "output";

export interface Violation {
  kind: ViolationKind;
  /** the path, host:port, variable name or process it concerns. */
  subject: string;
  /** one sentence for the user. */
  message: string;
  /** the dvc.yaml change that would allow it (absent when nothing may allow it). */
  fix?: string;
  /** how it was detected. */
  source: "trace" | "stderr" | "proxy" | "check" | "cmd";
  /**
   * fails the stage even when the command exited 0: everything except a
   * refused write outside the project, which a program that then carried on
   * (a tool's own cache under ~/.cache, say) could not have relied on.
   */
  fatal: boolean;
}

/** What the analysis needs to know about the run. */
export interface ViolationContext {
  repoRoot: string;
  cacheDir: string;
  cwd: string;
  /** declared deps and outs, absolute. */
  deps?: string[];
  outs?: string[];
  hermetic?: boolean;
  /** sandbox paths visible read-only in hermetic mode (deps, grants...). */
  visible?: string[];
  /** true when the network is fully open (net: true). */
  netOpen?: boolean;
  /** the in-sandbox proxy port (connections to it are not violations). */
  proxyPort?: number;
}

function quoteYaml(s: string): string {
  return /^[\w./@+-]+$/.test(s) && !/^[-?:]/.test(s) ? s : JSON.stringify(s);
}

/** "/tmp" or "/run" when `p` lies in a folder the sandbox replaces with its own. */
function privateArea(p: string): string | undefined {
  if (isWithin(p, "/tmp")) return "/tmp";
  if (isWithin(p, "/run")) return "/run";
  return undefined;
}

/** "the DVC cache" / "the git directory" / "the .dvc directory" when `p` is inside one. */
function specialArea(p: string, ctx: ViolationContext): string | undefined {
  if (isWithin(p, ctx.cacheDir)) return "the DVC cache";
  if (isWithin(p, `${ctx.repoRoot}/.git`)) return "the git directory";
  if (isWithin(p, `${ctx.repoRoot}/.dvc`)) return "the .dvc directory";
  return undefined;
}

/** A write the sandbox stopped (or undid) at `path` (absolute). */
export function writeViolation(
  path: string,
  ctx: ViolationContext,
  how: "denied" | "created" | "replaced" | "removed" = "denied",
  source: Violation["source"] = "check",
): Violation {
  const verb = {
    denied: "tried to write",
    created: "wrote",
    replaced: "replaced",
    removed: "removed",
  }[how];
  const undone = how === "denied" ? "" : how === "created" ? " (removed again)" : " (restored)";
  // Judge by where the write would really land (a symlink may lead out).
  const real = realPathOf(path);
  const via = real !== path ? ` (through a symlink: ${real})` : "";
  const shown = isWithin(path, ctx.repoRoot) ? relPath(ctx.cwd, path) : path;
  const what = specialArea(real, ctx);
  if (what) {
    return {
      kind: "write",
      subject: real,
      message:
        `${verb} '${shown}'${via} inside ${what}${undone}; sandboxed stages may never write there`,
      source,
      fatal: true,
    };
  }
  if (isWithin(real, ctx.repoRoot)) {
    const rel = relPath(ctx.cwd, real);
    return {
      kind: "write",
      subject: real,
      message: `${verb} '${shown}'${via}, which is not a declared output${undone}`,
      fix: `outs:\n  - ${quoteYaml(rel)}`,
      source,
      fatal: true,
    };
  }
  const dir = parentOf(real);
  return {
    kind: "write",
    subject: real,
    message: `${verb} '${shown}'${via} outside the project${undone}${
      privateArea(real) ? ` (the sandbox has its own private ${privateArea(real)})` : ""
    }`,
    fix: `meta: {sandbox: {write: [${quoteYaml(dir)}]}}`,
    source,
    fatal: how !== "denied",
  };
}

/** A read of an undeclared project path (hermetic mode). */
export function readViolation(
  path: string,
  ctx: ViolationContext,
  source: Violation["source"],
): Violation {
  const special = specialArea(path, ctx);
  if (special) {
    return {
      kind: "read",
      subject: path,
      message: `tried to use '${
        relPath(ctx.cwd, path)
      }' inside ${special}; hermetic stages do not see the DVC cache, .git or .dvc`,
      source,
      fatal: true,
    };
  }
  if (isWithin(path, ctx.repoRoot)) {
    const rel = relPath(ctx.cwd, path);
    return {
      kind: "read",
      subject: path,
      message:
        `tried to read '${rel}', which is not a declared dependency (hermetic mode hides it)`,
      fix: `deps:\n  - ${quoteYaml(rel)}`,
      source,
      fatal: true,
    };
  }
  return {
    kind: "read",
    subject: path,
    message: `tried to read '${path}', which is not visible in the sandbox${
      privateArea(path) ? ` (it has its own private ${privateArea(path)})` : ""
    }`,
    fix: `meta: {sandbox: {read: [${quoteYaml(path)}]}}`,
    source,
    fatal: true,
  };
}

export function netViolation(
  host: string,
  port: number | undefined,
  detail: string,
  source: Violation["source"],
): Violation {
  const hp = port !== undefined ? `${host.includes(":") ? `[${host}]` : host}:${port}` : host;
  return {
    kind: "net",
    subject: hp,
    message: `network access to ${hp} denied${detail ? ` (${detail})` : ""}`,
    fix: `meta: {sandbox: {net: [${quoteYaml(hp)}]}}`,
    source,
    fatal: true,
  };
}

export function envViolation(
  name: string,
  detail: string,
  source: Violation["source"],
): Violation {
  return {
    kind: "env",
    subject: name,
    message: `environment variable ${name} was withheld from the sandbox (${detail})`,
    fix: `meta: {sandbox: {env: [${name}]}}`,
    source,
    fatal: true,
  };
}

export function processViolation(desc: string): Violation {
  return {
    kind: "process",
    subject: desc,
    message:
      `left a background process running after the command exited (${desc}); it was killed. Wait for background jobs before the command ends`,
    source: "check",
    fatal: true,
  };
}

const NET_ERRNOS = new Set([
  "ENETUNREACH",
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "EACCES",
  "EPERM",
  "ETIMEDOUT",
  "EADDRNOTAVAIL",
]);

function isLoopback(host: string): boolean {
  return host.startsWith("127.") || host === "::1" || host === "::ffff:127.0.0.1";
}

/**
 * Violations visible in an strace trace of the sandboxed command: writes
 * refused with EROFS/EBUSY, hermetic reads of project paths that exist on
 * the host but were hidden (ENOENT), and refused connections.
 */
export function violationsFromTrace(
  events: TraceEvent[],
  ctx: ViolationContext & { exitCode?: number },
): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  const push = (v: Violation) => {
    const k = `${v.kind}\0${v.subject}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(v);
  };
  const outs = ctx.outs ?? [];
  const visible = ctx.visible ?? ctx.deps ?? [];
  for (const e of events) {
    if (e.addr) {
      if (ctx.netOpen || e.addr.family === "unix") continue;
      const { host, port } = e.addr;
      if (isLoopback(host) && port === ctx.proxyPort) continue;
      const failed = e.errno !== undefined && NET_ERRNOS.has(e.errno);
      // Non-blocking connects report EINPROGRESS; inside the sandbox's own
      // network namespace they can only reach its loopback, so count them
      // when the command failed.
      const tried = e.errno === "EINPROGRESS" && (ctx.exitCode ?? 0) !== 0;
      if (!failed && !tried) continue;
      const detail = port === 53
        ? "DNS lookup; the sandbox has no network"
        : isLoopback(host)
        ? "the host's loopback is not reachable from the sandbox"
        : "the sandbox has no direct network access";
      push(netViolation(host, port, detail, "trace"));
      continue;
    }
    if (e.ret >= 0 || !e.errno) continue;
    const p = e.syscall.startsWith("rename") || e.syscall.startsWith("link")
      ? e.paths[e.paths.length - 1]
      : e.paths[0];
    if (!p) continue;
    if (e.errno === "EROFS" || (e.errno === "EBUSY" && e.write)) {
      // The private /tmp is writable: an EROFS under /tmp is a read-only
      // bind of the project or a dep, so it counts.
      if (isWithin(p, "/proc") || isWithin(p, "/sys") || isWithin(p, "/dev")) continue;
      push(writeViolation(p, ctx, "denied", "trace"));
      continue;
    }
    if (
      e.errno === "ENOENT" && privateArea(p) && !isWithin(p, "/tmp/.cairn") &&
      !visible.some((v) => isWithin(p, v)) &&
      // a project under /tmp: a declared output probed before it was written (cp stats it)
      !outs.some((o) => isWithin(p, o))
    ) {
      // The sandbox's /tmp is private: host /tmp paths are not there.
      if (e.write ? lstatOrNull(parentOf(p)) && parentOf(p) !== privateArea(p) : lstatOrNull(p)) {
        push(
          e.write ? writeViolation(p, ctx, "denied", "trace") : readViolation(p, ctx, "trace"),
        );
      }
      continue;
    }
    if (e.errno === "ENOENT" && ctx.hermetic && isWithin(p, ctx.repoRoot)) {
      if (visible.some((v) => isWithin(p, v))) continue;
      if (outs.some((o) => isWithin(p, o))) continue;
      if (e.write) {
        // Creating a file in a hidden folder: the folder is what is missing.
        if (lstatOrNull(parentOf(p))) push(writeViolation(p, ctx, "denied", "trace"));
        continue;
      }
      if (!lstatOrNull(p)) continue; // missing on the host too: not hidden by us
      push(readViolation(p, ctx, "trace"));
    }
  }
  return out;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Quoted strings and `prefix: token:` candidates for a path in an error line. */
function pathCandidates(line: string, marker: RegExp): string[] {
  const c: string[] = [];
  for (const m of line.matchAll(/'([^']+)'|"([^"]+)"|‘([^’]+)’|`([^']+)'/g)) {
    c.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  const idx = line.search(marker);
  if (idx > 0) {
    const before = line.slice(0, idx).replace(/[:\s]+$/, "");
    const parts = before.split(": ");
    const last = parts[parts.length - 1].trim();
    if (last) c.push(last.split(/\s+/).pop()!);
  }
  return c.filter((s) => s && !/\s{2,}/.test(s) && !/^\[Errno/.test(s));
}

/**
 * Best-effort violations from the command's stderr: the messages common
 * tools print for EROFS, ENOENT (hermetic), refused connections and failed
 * DNS lookups. Used when strace is not available or not enabled.
 */
export function violationsFromStderr(
  stderr: string,
  ctx: ViolationContext & { exitCode?: number },
): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  const push = (v: Violation) => {
    const k = `${v.kind}\0${v.subject}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  };
  const visible = ctx.visible ?? ctx.deps ?? [];
  const outs = ctx.outs ?? [];
  let sawErofs = false;
  let sawNet = false;
  const EROFS = /read-only file system|EROFS/i;
  const ENOENT = /no such file or directory|ENOENT/i;
  for (const raw of stderr.split("\n")) {
    const line = raw.replace(ANSI, "");
    if (EROFS.test(line)) {
      sawErofs = true;
      for (const cand of pathCandidates(line, EROFS)) {
        const p = absPath(ctx.cwd, cand);
        if (!lstatOrNull(parentOf(p))) continue;
        push(writeViolation(p, ctx, "denied", "stderr"));
        break;
      }
      continue;
    }
    if (ENOENT.test(line)) {
      for (const cand of pathCandidates(line, ENOENT)) {
        const p = absPath(ctx.cwd, cand);
        if (privateArea(p) && !isWithin(p, ctx.repoRoot)) {
          if (visible.some((v) => isWithin(p, v))) continue;
          const dir = parentOf(p);
          if (lstatOrNull(p)) push(readViolation(p, ctx, "stderr"));
          else if (dir !== privateArea(p) && lstatOrNull(dir)) {
            push(writeViolation(p, ctx, "denied", "stderr"));
          } else continue;
          break;
        }
        if (!ctx.hermetic || !isWithin(p, ctx.repoRoot)) continue;
        if (visible.some((v) => isWithin(p, v)) || outs.some((o) => isWithin(p, o))) continue;
        if (!lstatOrNull(p)) continue;
        push(readViolation(p, ctx, "stderr"));
        break;
      }
      continue;
    }
    if (ctx.netOpen || (ctx.exitCode ?? 0) === 0) continue;
    if (NET_TROUBLE.test(line)) sawNet = true;
    let m: RegExpExecArray | null;
    if ((m = /Failed to connect to (\S+) port (\d+)/.exec(line))) {
      push(netViolation(m[1], Number(m[2]), "connection failed", "stderr"));
    } else if (
      (m = /Could not resolve host: (\S+)/.exec(line)) ||
      (m = /unable to resolve host address [‘'"]([^’'"]+)/.exec(line)) ||
      (m = /Resolving (\S+) \(.*failed/.exec(line)) ||
      (m = /getaddrinfo \w+ (\S+)/.exec(line)) ||
      (m = /Failed to resolve '([^']+)'/.exec(line))
    ) {
      push(
        netViolation(m[1], undefined, "DNS lookup failed; the sandbox has no network", "stderr"),
      );
    } else if (
      (m = /connect E\w+ ([\d.]+):(\d+)/.exec(line)) ||
      (m = /HTTPS?ConnectionPool\(host='([^']+)', port=(\d+)\)/.exec(line))
    ) {
      push(netViolation(m[1], Number(m[2]), "connection failed", "stderr"));
    } else if (
      (m = /error sending request for url \((\w+):\/\/([^/:)]+)(?::(\d+))?/.exec(line))
    ) {
      const port = m[3] ? Number(m[3]) : m[1] === "https" ? 443 : 80;
      push(netViolation(m[2], port, "connection failed", "stderr"));
    }
  }
  // The failure is there but no message named its path or host: say so,
  // rather than failing the stage without a word.
  const unnamed = (kind: ViolationKind, what: string) => ({
    kind,
    subject: "(unknown)",
    message:
      `${what}, but the error message does not say which; run with tracing (strace) to name it`,
    source: "stderr" as const,
    fatal: true,
  });
  if ((ctx.exitCode ?? 0) !== 0) {
    if (sawErofs && !out.some((v) => v.kind === "write")) {
      push(unnamed("write", "a write was refused (Read-only file system)"));
    }
    if (sawNet && !out.some((v) => v.kind === "net")) {
      push(unnamed("net", "a network connection was refused (the sandbox has no network)"));
    }
  }
  return out;
}

const NET_TROUBLE =
  /Network is unreachable|Temporary failure in name resolution|Name or service not known|Could not resolve|Connection refused|ENETUNREACH|EAI_AGAIN|dns error/i;

/** Shell variables the shell sets itself: never "withheld". */
const SHELL_VARS = new Set([
  "PWD",
  "OLDPWD",
  "SHLVL",
  "_",
  "IFS",
  "PS1",
  "PS2",
  "PS4",
  "OPTIND",
  "RANDOM",
  "LINENO",
  "SECONDS",
  "PPID",
  "HOSTNAME",
]);

/**
 * Withheld variables the command used: referenced in the command text
 * (`$NAME`, `${NAME}`, `os.environ["NAME"]`, `getenv("NAME")`, ...), or named
 * in stderr of a failed command (`KeyError: 'NAME'`, `NAME: unbound variable`).
 */
export function violationsFromEnv(
  cmd: string,
  stderr: string,
  withheld: string[],
  exitCode: number,
): Violation[] {
  const out: Violation[] = [];
  const set = new Set(withheld.filter((n) => !SHELL_VARS.has(n)));
  const seen = new Set<string>();
  const refs = [
    /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g,
    /environ(?:\.get\(|\[)\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]/g,
    /getenv\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]/g,
    /env\.get\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]/g,
    /process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g,
    /process\.env\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]/g,
  ];
  for (const re of refs) {
    for (const m of cmd.matchAll(re)) {
      const name = m[1];
      if (set.has(name) && !seen.has(name)) {
        seen.add(name);
        out.push(envViolation(name, "the command refers to it", "cmd"));
      }
    }
  }
  if (exitCode !== 0 && stderr) {
    const text = stderr.replace(ANSI, "");
    for (const name of set) {
      if (seen.has(name) || name.length < 3 || !/^[A-Z][A-Z0-9_]+$/.test(name)) continue;
      if (new RegExp(`(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)`).test(text)) {
        seen.add(name);
        out.push(envViolation(name, "the failed command's error output names it", "stderr"));
      }
    }
  }
  return out;
}

export { formatViolations } from "./violation_text.ts";
