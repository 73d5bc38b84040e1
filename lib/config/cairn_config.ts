/**
 * cairn's own project settings, in `.dvc/cairn.yaml`: everything DVC has no
 * key for. It cannot go into `.dvc/config`, which DVC validates (an unknown
 * section makes every `dvc` command fail); DVC ignores other files in
 * `.dvc/`, and this one is committed with the project like `.dvc/config`.
 *
 *   sandbox:
 *     policy: on            # off | on | hermetic: default for every stage
 *     backend: auto         # auto | bwrap | landlock (docs/sandbox.md)
 *   plugins:                # project plugins (remotes, runners), by path
 *     - tools/runner_r      #   relative to the project root
 *   runner: slurm           # the project's default stage runner (stage meta and
 *                           #   `repro --runner` win over it)
 *   slurm:                  # defaults for the slurm runner (docs/slurm.md)
 *     partition: gpu
 *     time: "1:00:00"
 *
 * A missing file means DVC's behaviour (policy off, built-in plugins only).
 */
import { ConfigError, DvcFileSyntaxError } from "../errors.ts";
import { loadYaml } from "../py/yaml_parse.ts";

/** How strictly stages are confined (lib/sandbox/grants.ts re-exports these). */
export type SandboxPolicy = "off" | "on" | "hermetic";
/** The policy words, in order of strictness. */
export const POLICIES: readonly SandboxPolicy[] = ["off", "on", "hermetic"];

/** Repo-relative location of the file. */
export const CAIRN_CONFIG = ".dvc/cairn.yaml";

export interface CairnConfig {
  sandbox: {
    /** the project's default policy (stage meta and `repro --sandbox` win over it). */
    policy?: SandboxPolicy;
    /** `auto` (bwrap when it works here, else Landlock), `bwrap` or `landlock`. */
    backend?: "auto" | "bwrap" | "landlock";
  };
  /** plugin paths as written (relative ones are relative to the project root). */
  plugins: string[];
  /** the project's default runner (`slurm`); stage meta and `repro --runner` win. */
  runner?: string;
  /** `slurm:` defaults for the slurm runner, as written (checked by the runner). */
  slurm?: Record<string, unknown>;
  /** the file it came from (absolute), or undefined when there is none. */
  file?: string;
}

const TOP_KEYS = new Set(["sandbox", "plugins", "runner", "slurm"]);
const SANDBOX_KEYS = new Set(["policy", "backend"]);
const BACKENDS = ["auto", "bwrap", "landlock"];

/** Parse the text of a cairn.yaml; `file` is used in messages. */
export function parseCairnConfig(text: string, file: string): CairnConfig {
  const bad = (why: string): never => {
    throw new ConfigError(`'${file}' is invalid: ${why}`, {
      hint: "see docs/sandbox.md for its keys (sandbox.policy, plugins)",
    });
  };
  let raw: unknown;
  try {
    // the repo's file is untrusted: cairn's YAML reader bounds aliases and depth, says
    // file:line, and (unlike the library's own parse) never prints warnings
    raw = loadYaml(text, file);
  } catch (err) {
    if (!(err instanceof DvcFileSyntaxError)) throw err;
    throw new ConfigError(err.message, {
      hint: "see docs/sandbox.md for its keys (sandbox.policy, plugins)",
    });
  }
  const out: CairnConfig = { sandbox: {}, plugins: [], file };
  if (raw === null || raw === undefined) return out;
  if (typeof raw !== "object" || Array.isArray(raw)) bad("the top level must be a mapping");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!TOP_KEYS.has(k)) bad(`unknown key '${k}' (known: ${[...TOP_KEYS].join(", ")})`);
  }
  const sb = o.sandbox;
  if (typeof sb === "string" || typeof sb === "boolean") {
    out.sandbox.policy = policyOf(sb, bad);
  } else if (sb !== undefined && sb !== null) {
    if (typeof sb !== "object" || Array.isArray(sb)) bad("'sandbox' must be a mapping");
    const s = sb as Record<string, unknown>;
    for (const k of Object.keys(s)) {
      if (!SANDBOX_KEYS.has(k)) bad(`unknown key 'sandbox.${k}' (known: policy, backend)`);
    }
    if (s.policy !== undefined && s.policy !== null) out.sandbox.policy = policyOf(s.policy, bad);
    if (s.backend !== undefined && s.backend !== null) {
      if (typeof s.backend !== "string" || !BACKENDS.includes(s.backend)) {
        bad(`sandbox.backend must be one of ${BACKENDS.join(", ")} (got ${shown(s.backend)})`);
      }
      out.sandbox.backend = s.backend as "auto" | "bwrap" | "landlock";
    }
  }
  const pl = o.plugins;
  if (pl !== undefined && pl !== null) {
    const list = typeof pl === "string" ? [pl] : pl;
    if (!Array.isArray(list) || list.some((p) => typeof p !== "string" || p === "")) {
      bad("'plugins' must be a list of paths");
    }
    out.plugins = list as string[];
  }
  if (o.runner !== undefined && o.runner !== null) {
    if (typeof o.runner !== "string" || !/^[a-z][a-z0-9_]*$/.test(o.runner)) {
      bad(`'runner' must be a runner name such as shell or slurm (got ${shown(o.runner)})`);
    }
    out.runner = o.runner as string;
  }
  if (o.slurm !== undefined && o.slurm !== null) {
    if (typeof o.slurm !== "object" || Array.isArray(o.slurm)) bad("'slurm' must be a mapping");
    out.slurm = o.slurm as Record<string, unknown>;
  }
  return out;
}

function policyOf(v: unknown, bad: (why: string) => never): SandboxPolicy {
  if (v === true) return "on";
  if (v === false) return "off";
  if (typeof v === "string" && (POLICIES as string[]).includes(v)) return v as SandboxPolicy;
  return bad(`sandbox.policy must be one of off, on, hermetic (got ${shown(v)})`);
}

/** A value from the file, for a message (ints can be bigints; keep it short). */
function shown(v: unknown): string {
  const text = typeof v === "bigint" ? String(v) : JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/** Read `<root>/.dvc/cairn.yaml` (empty settings when it does not exist). */
export function loadCairnConfig(root: string): CairnConfig {
  const file = `${root.replace(/\/+$/, "")}/${CAIRN_CONFIG}`;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { sandbox: {}, plugins: [] };
    throw new ConfigError(`cannot read '${file}': ${(err as Error).message}`, { cause: err });
  }
  return parseCairnConfig(text, file);
}
