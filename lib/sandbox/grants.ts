/**
 * The grants model: what a sandboxed stage may touch beyond its declared deps
 * and outs. Grants live under the stage's free-form `meta:` key so dvc.yaml
 * stays valid for DVC:
 *
 *   meta: {sandbox: {policy: on, net: [pypi.org:443], env: [WANDB_API_KEY],
 *                    read: [/datasets/shared], write: [/scratch/$USER]}}
 */
import { SandboxGrantError } from "./errors.ts";
import { absPath, expandVars, isWithin, realPathOf, statOrNull } from "./_paths.ts";

import { POLICIES, type SandboxPolicy } from "../config/cairn_config.ts";
import { pyJsonDumps } from "../py/json_dumps.ts";

/** A value from dvc.yaml for a message: ints may be bigints (JSON.stringify throws); short. */
function shown(v: unknown): string {
  const text = pyJsonDumps(v);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

export { POLICIES, type SandboxPolicy };

/** One entry of `net: [...]`: `host`, `host:port`, `*.domain:port`, `[::1]:port`. */
export interface HostGrant {
  /** lower-case host name or IP, without brackets; `*.x` kept as written. */
  host: string;
  /** undefined = any port. */
  port?: number;
  raw: string;
}

export interface PathGrantSpec {
  /** as written (before expansion). */
  path: string;
  /** lifts the refusal of `/`, the home folder, the project, the cache. */
  force: boolean;
}

/** `meta.sandbox` parsed and validated, paths not yet resolved. */
export interface SandboxSpec {
  policy?: SandboxPolicy;
  /** the runner plugin (`shell`, `deno`, a project runner); chosen by lib/pipeline/run_stage.ts. */
  runner?: string;
  /** true = full network; [] = none; a list = only those hosts (through cairn's proxy). */
  net: boolean | HostGrant[];
  /** variable names; a trailing `*` grants a prefix (`AWS_*`). */
  env: string[];
  read: PathGrantSpec[];
  write: PathGrantSpec[];
  /** device classes usable inside (`gpu`: /dev/nvidia*, /dev/dri/*). */
  devices?: DeviceClass[];
}

/** Device classes a stage may be granted. */
export type DeviceClass = "gpu";
const DEVICE_CLASSES: DeviceClass[] = ["gpu"];

export function emptySpec(): SandboxSpec {
  return { net: [], env: [], read: [], write: [] };
}

const SPEC_KEYS = new Set(["policy", "runner", "net", "env", "read", "write", "devices"]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

/** Parse a policy word (`repro --sandbox=...`, project config, stage meta). */
export function parsePolicy(value: unknown, stage?: string): SandboxPolicy {
  if (value === true) return "on";
  if (value === false) return "off";
  if (typeof value === "string" && (POLICIES as string[]).includes(value)) {
    return value as SandboxPolicy;
  }
  throw new SandboxGrantError(
    stage,
    `policy must be one of off, on, hermetic (got ${shown(value)})`,
  );
}

/** Parse one `net:` entry. */
export function parseHostGrant(raw: string, stage?: string): HostGrant {
  const bad = (why: string) =>
    new SandboxGrantError(
      stage,
      `net: '${raw}' ${why}`,
      "write hosts as host, host:port, *.domain:port or [ipv6]:port",
    );
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\*|\d+))?$/.exec(raw);
  if (v6) {
    host = v6[1].toLowerCase();
    portText = v6[2];
  } else {
    const m = /^([A-Za-z0-9*._-]+)(?::(\*|\d+))?$/.exec(raw);
    if (!m) throw bad("is not a host");
    host = m[1].toLowerCase();
    portText = m[2];
    if (host === "*") throw bad("would open every host; use net: true");
    if (host.includes("*") && !/^\*\.[a-z0-9._-]+$/.test(host)) {
      throw bad("may only use a wildcard as a leading '*.'");
    }
  }
  let port: number | undefined;
  if (portText !== undefined && portText !== "*") {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw bad("has an invalid port");
    }
  }
  return { host, port, raw };
}

/** Does a host list allow `host:port`? (`*.x.org` matches `a.x.org`, not `x.org`.) */
export function hostAllowed(
  grants: HostGrant[],
  host: string,
  port: number,
): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  return grants.some((g) => {
    if (g.port !== undefined && g.port !== port) return false;
    if (g.host.startsWith("*.")) return h.endsWith(g.host.slice(1));
    return g.host === h;
  });
}

function parsePathList(
  key: "read" | "write",
  value: unknown,
  stage?: string,
): PathGrantSpec[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list)) {
    throw new SandboxGrantError(stage, `${key} must be a list of paths`);
  }
  return list.map((item) => {
    if (typeof item === "string" && item !== "") {
      return { path: item, force: false };
    }
    if (
      item && typeof item === "object" && !Array.isArray(item) &&
      typeof (item as Record<string, unknown>).path === "string"
    ) {
      const o = item as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (k !== "path" && k !== "force") {
          throw new SandboxGrantError(
            stage,
            `${key}: unknown key '${k}' (allowed: path, force)`,
          );
        }
      }
      if (o.force !== undefined && typeof o.force !== "boolean") {
        throw new SandboxGrantError(stage, `${key}: force must be true/false`);
      }
      return { path: o.path as string, force: o.force === true };
    }
    throw new SandboxGrantError(
      stage,
      `${key}: entries must be paths or {path, force} (got ${shown(item)})`,
    );
  });
}

/**
 * Parse a stage's `meta` value and return its `sandbox` grants (empty when
 * absent). Unknown keys are errors: a typo such as `writes:` must not
 * silently grant nothing.
 */
export function parseSandboxMeta(
  meta: unknown,
  opts: { stage?: string } = {},
): SandboxSpec {
  const stage = opts.stage;
  if (meta === undefined || meta === null) return emptySpec();
  if (typeof meta !== "object" || Array.isArray(meta)) return emptySpec();
  const raw = (meta as Record<string, unknown>).sandbox;
  if (raw === undefined || raw === null) return emptySpec();
  if (typeof raw === "string" || typeof raw === "boolean") {
    return { ...emptySpec(), policy: parsePolicy(raw, stage) };
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new SandboxGrantError(stage, "must be a mapping or a policy word");
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!SPEC_KEYS.has(k)) {
      throw new SandboxGrantError(
        stage,
        `unknown key '${k}'`,
        "allowed keys: policy, runner, net, env, read, write, devices",
      );
    }
  }
  const spec = emptySpec();
  if (o.policy !== undefined) spec.policy = parsePolicy(o.policy, stage);
  if (o.runner !== undefined && o.runner !== null) {
    if (typeof o.runner !== "string" || !/^[a-z][a-z0-9_-]*$/.test(o.runner)) {
      throw new SandboxGrantError(stage, `runner must be a runner name such as shell or deno`);
    }
    spec.runner = o.runner;
  }
  if (o.net === true || o.net === false) spec.net = o.net;
  else if (o.net === undefined || o.net === null) spec.net = [];
  else if (Array.isArray(o.net)) {
    spec.net = o.net.map((h) => {
      if (typeof h !== "string") {
        throw new SandboxGrantError(stage, `net: entries must be host strings`);
      }
      return parseHostGrant(h, stage);
    });
  } else if (typeof o.net === "string") {
    spec.net = [parseHostGrant(o.net, stage)];
  } else {
    throw new SandboxGrantError(stage, "net must be true, false or a host list");
  }
  if (o.env !== undefined && o.env !== null) {
    const list = typeof o.env === "string" ? [o.env] : o.env;
    if (!Array.isArray(list)) {
      throw new SandboxGrantError(stage, "env must be a list of variable names");
    }
    spec.env = list.map((n) => {
      if (typeof n !== "string" || !ENV_NAME.test(n)) {
        throw new SandboxGrantError(
          stage,
          `env: '${String(n)}' is not a variable name`,
        );
      }
      return n;
    });
  }
  spec.read = parsePathList("read", o.read, stage);
  spec.write = parsePathList("write", o.write, stage);
  if (o.devices !== undefined && o.devices !== null) {
    const list = typeof o.devices === "string" ? [o.devices] : o.devices;
    if (!Array.isArray(list)) {
      throw new SandboxGrantError(stage, "devices must be a list (e.g. [gpu])");
    }
    spec.devices = list.map((d) => {
      if (!DEVICE_CLASSES.includes(d as DeviceClass)) {
        throw new SandboxGrantError(
          stage,
          `devices: unknown device class '${String(d).slice(0, 60)}'`,
          `allowed: ${DEVICE_CLASSES.join(", ")}`,
        );
      }
      return d as DeviceClass;
    });
  }
  return spec;
}

/** A grant path resolved against the stage's working dir. */
export interface ResolvedPath {
  /** as written in dvc.yaml. */
  spec: string;
  /** absolute, lexically normalised (after `$VAR` / `~` expansion). */
  path: string;
  /** symlinks resolved: what is actually granted. */
  real: string;
  exists: boolean;
  isDir: boolean;
  force: boolean;
}

export interface ResolvedGrants {
  net: boolean | HostGrant[];
  env: string[];
  read: ResolvedPath[];
  write: ResolvedPath[];
  devices?: DeviceClass[];
}

export interface ResolveGrantsOptions {
  stage?: string;
  /** stage working dir (absolute); relative grant paths start here. */
  cwd: string;
  repoRoot: string;
  cacheDir: string;
  /** environment used for `$VAR` expansion (the user's, not the sandbox's). */
  env: Record<string, string | undefined>;
  home?: string;
}

/**
 * Expand and resolve grant paths to real paths, and refuse write grants that
 * would defeat the sandbox (`/`, the home folder, the project, the DVC cache,
 * `.git`) unless the entry says `force: true`.
 */
export function resolveGrants(
  spec: SandboxSpec,
  opts: ResolveGrantsOptions,
): ResolvedGrants {
  const home = opts.home ?? opts.env.HOME;
  const resolveOne = (g: PathGrantSpec, key: "read" | "write"): ResolvedPath => {
    const ex = expandVars(g.path, opts.env, home);
    if ("missing" in ex) {
      throw new SandboxGrantError(
        opts.stage,
        `${key}: '${g.path}' uses $${ex.missing}, which is not set`,
        `set ${ex.missing} or write the path out`,
      );
    }
    const path = absPath(opts.cwd, ex.value);
    const real = realPathOf(path);
    const st = statOrNull(real);
    return {
      spec: g.path,
      path,
      real,
      exists: st !== null,
      isDir: st?.isDirectory ?? false,
      force: g.force,
    };
  };
  const read = spec.read.map((g) => resolveOne(g, "read"));
  const write = spec.write.map((g) => resolveOne(g, "write"));
  const protectedDirs = protectedPaths(opts.repoRoot, opts.cacheDir, home);
  for (const w of write) {
    if (!w.exists) {
      throw new SandboxGrantError(
        opts.stage,
        `write: '${w.spec}' (${w.real}) does not exist`,
        "create the folder first; cairn does not create granted folders outside the stage's outputs",
      );
    }
    if (w.force) continue;
    const why = refusalReason(w.real, protectedDirs);
    if (why) {
      throw new SandboxGrantError(
        opts.stage,
        `refusing write grant '${w.spec}'${w.real !== w.spec ? ` (${w.real})` : ""}: ${why}`,
        `if you really mean it, write {path: ${w.spec}, force: true}`,
      );
    }
  }
  return {
    net: spec.net,
    env: [...spec.env],
    read,
    write,
    ...(spec.devices?.length ? { devices: [...spec.devices] } : {}),
  };
}

interface Protected {
  repoRoot: string;
  cache: string;
  git: string;
  dvc: string;
  home?: string;
}

function protectedPaths(
  repoRoot: string,
  cacheDir: string,
  home: string | undefined,
): Protected {
  const root = realPathOf(repoRoot);
  return {
    repoRoot: root,
    cache: realPathOf(cacheDir),
    git: `${root}/.git`,
    dvc: `${root}/.dvc`,
    home: home ? realPathOf(home) : undefined,
  };
}

/** Why a (real) path may not be granted for writing, or undefined. */
export function refusalReason(
  real: string,
  p: Protected,
): string | undefined {
  if (real === "/") return "it is the whole filesystem";
  if (p.home && isWithin(p.home, real)) {
    return real === p.home ? "it is the home folder" : "it contains the home folder";
  }
  if (isWithin(p.repoRoot, real)) {
    return "it contains the whole project; declare outputs instead";
  }
  if (isWithin(p.cache, real) || isWithin(real, p.cache)) {
    return "it would make the DVC cache writable";
  }
  if (isWithin(real, p.git) || isWithin(real, p.dvc)) {
    return "it is inside the project's .git or .dvc folder";
  }
  return undefined;
}

/** Environment names always passed into a sandbox (plus LC_*). */
export const BASIC_ENV = [
  "PATH",
  "HOME",
  "LANG",
  "LANGUAGE",
  "TERM",
  "USER",
  "LOGNAME",
  "SHELL",
  "TZ",
  "DVC_ROOT",
  "DVC_STAGE",
  "DVC_EXP_BASELINE_REV",
  "DVC_EXP_NAME",
];

/** The environment a sandboxed command gets: the basic set plus granted names. */
export function filterEnv(
  env: Record<string, string | undefined>,
  granted: string[],
): { env: Record<string, string>; withheld: string[] } {
  const out: Record<string, string> = {};
  const withheld: string[] = [];
  const prefixes = granted.filter((g) => g.endsWith("*")).map((g) => g.slice(0, -1));
  const exact = new Set([...BASIC_ENV, ...granted.filter((g) => !g.endsWith("*"))]);
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (
      exact.has(k) || k.startsWith("LC_") || prefixes.some((p) => k.startsWith(p))
    ) {
      out[k] = v;
    } else withheld.push(k);
  }
  return { env: out, withheld };
}
