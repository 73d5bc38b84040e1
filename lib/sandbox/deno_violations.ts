/**
 * Violations from Deno's permission errors (`NotCapable: Requires read access
 * to "/x", run again with the --allow-read flag`), for stages confined by
 * Deno's own permissions: the `deno` runner's child process and project
 * runner plugins in a Worker. Each names the path, host or variable and the
 * dvc.yaml change that would allow it, like the bwrap sandbox's violations.
 */
import { absPath, isWithin, relPath } from "./_paths.ts";
import { envViolation, netViolation, type Violation, writeViolation } from "./violations.ts";

export interface DenoViolationContext {
  repoRoot: string;
  cacheDir: string;
  /** stage working dir (absolute); relative paths in messages start here. */
  cwd: string;
  /** what was denied is "the deno runner" / "runner 'x'" in messages. */
  who?: string;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const REQUIRES = /Requires (\w+) access to "?([^",]*)"?(?:, run again|$|\s)/g;

function quoteYaml(s: string): string {
  return /^[\w./@+-]+$/.test(s) && !/^[-?:]/.test(s) ? s : JSON.stringify(s);
}

/** One denied Deno permission as a Violation. */
export function denoPermissionViolation(
  kind: string,
  target: string,
  ctx: DenoViolationContext,
): Violation {
  const who = ctx.who ?? "the deno runner";
  switch (kind) {
    case "read": {
      const p = absPath(ctx.cwd, target);
      if (isWithin(p, ctx.repoRoot) && !isWithin(p, ctx.cacheDir)) {
        const rel = relPath(ctx.cwd, p);
        return {
          kind: "read",
          subject: p,
          message: `tried to read '${rel}', which is not a declared dependency (${who} ` +
            `may read only deps, outs, its own code and read grants)`,
          fix: `deps:\n  - ${quoteYaml(rel)}`,
          source: "stderr",
          fatal: true,
        };
      }
      return {
        kind: "read",
        subject: p,
        message: `tried to read '${p}', which ${who} does not grant`,
        fix: `meta: {sandbox: {read: [${quoteYaml(p)}]}}`,
        source: "stderr",
        fatal: true,
      };
    }
    case "write": {
      const v = writeViolation(absPath(ctx.cwd, target), ctx, "denied", "stderr");
      // Outside the project bwrap's refusal is non-fatal (tool caches); here the
      // program died of it, so it is what failed the stage.
      return { ...v, fatal: true };
    }
    case "net": {
      const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(target.replace(/^\[(.*)\](:\d+)?$/, "$1$2"));
      const host = m?.[1] || target;
      const port = m?.[2] ? Number(m[2]) : undefined;
      return netViolation(host, port, `${who} grants only the stage's net grants`, "stderr");
    }
    case "env":
      return envViolation(target, `${who} grants only the stage's env grants`, "stderr");
    default:
      return {
        kind: "process",
        subject: `${kind}:${target}`,
        message: `tried to use ${kind} access ('${target}'), which ${who} never grants` +
          (kind === "run" ? " (a confined stage may not start programs)" : ""),
        source: "stderr",
        fatal: true,
      };
  }
}

/** Every `Requires X access to "Y"` in a Deno program's error output. */
export function denoViolations(stderr: string, ctx: DenoViolationContext): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  const text = stderr.replace(ANSI, "");
  for (const m of text.matchAll(REQUIRES)) {
    const v = denoPermissionViolation(m[1], m[2], ctx);
    const key = `${v.kind}\0${v.subject}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}
