/**
 * The `deno` runner's command line: a stage whose command is a Deno script
 * (`deno run [flags] x.ts args`, `deno x.ts`, or a `.ts`/`.js` path) runs
 * with Deno's own permissions set from its declaration:
 *   --allow-read  = deps + the script + outs + read grants + the Deno cache
 *   --allow-write = outs + write grants
 *   --allow-net / --allow-env = exactly the grants
 * and no run/ffi/sys. The user's own permission flags are dropped.
 *
 * Deno checks permissions on the path as named, without resolving symlinks,
 * so a symlink inside a granted folder would lead out of it: links inside
 * read-granted folders have their real targets granted explicitly (so DVC's
 * symlink checkouts keep working), links inside writable folders that lead
 * elsewhere are refused.
 */
import * as path from "../path.ts";
import { SandboxGrantError } from "./errors.ts";
import { filterEnv, type ResolvedGrants } from "./grants.ts";
import type { OutDecl } from "./bwrap.ts";
import {
  absPath,
  isWithin,
  lstatOrNull,
  parentOf,
  realPathOf,
  relPath,
  statOrNull,
} from "./_paths.ts";

const SCRIPT_EXT = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

/** Deno flags that take the next word as their value. */
const VALUE_FLAGS = new Set([
  "-c",
  "--config",
  "--import-map",
  "--lock",
  "--cert",
  "--location",
  "--seed",
  "--ext",
  "-L",
  "--log-level",
  "--inspect-wait",
  "--preload",
]);

/** Permission flags: never taken from the command, cairn sets them. */
const PERMISSION_FLAG =
  /^(-A|--allow-all|--allow-[a-z-]+(=.*)?|-[RWNESI](=.*)?|--deny-[a-z-]+(=.*)?|-P(=.*)?|--permission-set(=.*)?|--no-prompt)$/;

export interface DenoStageCommand {
  /** the script as written. */
  script: string;
  scriptArgs: string[];
  /** flags kept (not permission flags). */
  flags: string[];
  /** permission flags removed from the command. */
  dropped: string[];
}

/**
 * Split a command into words like a POSIX shell would, or return undefined
 * when it uses shell features (pipes, redirection, expansion, lists): such a
 * command is not a plain Deno invocation.
 */
export function shellWords(cmd: string): string[] | undefined {
  const words: string[] = [];
  let cur = "";
  let has = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === "'") {
      const j = cmd.indexOf("'", i + 1);
      if (j < 0) return undefined;
      cur += cmd.slice(i + 1, j);
      has = true;
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < cmd.length && cmd[j] !== '"'; j++) {
        if (cmd[j] === "$" || cmd[j] === "`") return undefined;
        if (cmd[j] === "\\" && j + 1 < cmd.length && '"\\$`'.includes(cmd[j + 1])) j++;
        cur += cmd[j];
      }
      if (j >= cmd.length) return undefined;
      has = true;
      i = j;
    } else if (c === "\\") {
      if (i + 1 < cmd.length) cur += cmd[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) words.push(cur);
      cur = "";
      has = false;
    } else if ("|&;<>()$`*?[]{}~#".includes(c) && !(c === "~" && has) && !(c === "#" && has)) {
      return undefined;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) words.push(cur);
  return words;
}

/** Recognise a Deno stage command; undefined when it is not one. */
export function parseDenoCommand(cmd: string): DenoStageCommand | undefined {
  const words = shellWords(cmd.trim());
  if (!words || words.length === 0) return undefined;
  let i = 0;
  const flags: string[] = [];
  const dropped: string[] = [];
  if (path.posix.basename(words[0]) === "deno") {
    i = 1;
    if (words[i] === "run") i++;
    for (; i < words.length && words[i].startsWith("-"); i++) {
      const f = words[i];
      if (PERMISSION_FLAG.test(f)) {
        dropped.push(f);
        continue;
      }
      flags.push(f);
      if (VALUE_FLAGS.has(f) && i + 1 < words.length) flags.push(words[++i]);
    }
    if (i >= words.length || !SCRIPT_EXT.test(words[i])) return undefined;
  } else if (!SCRIPT_EXT.test(words[0])) {
    return undefined;
  }
  return { script: words[i], scriptArgs: words.slice(i + 1), flags, dropped };
}

export interface DenoArgsOptions {
  /** stage working dir (absolute). */
  cwd: string;
  repoRoot: string;
  cacheDir: string;
  deps: string[];
  outs: (string | OutDecl)[];
  grants: ResolvedGrants;
  /** the user's environment (filtered to granted names for the child). */
  env?: Record<string, string | undefined>;
  /** Deno's cache dir (DENO_DIR), readable for npm/remote modules. */
  denoDir?: string;
  /** the deno binary (default: `deno`). */
  deno?: string;
  stage?: string;
}

export interface DenoRunPlan {
  /** argv: [deno, "run", ...permissions, ...flags, script, ...args]. */
  argv: string[];
  allowRead: string[];
  allowWrite: string[];
  /** true = all; [] = none. */
  allowNet: true | string[];
  allowEnv: string[];
  /** permission flags removed from the user's command. */
  dropped: string[];
  /** output folders to create before running (Deno may not create them). */
  outParents: string[];
  /** environment for the child: basic set + granted names. */
  env: Record<string, string>;
}

/** Links below `dir` (not followed), capped. */
function linksBelow(dir: string, cap = 100_000): string[] {
  const out: string[] = [];
  const stack = [dir];
  let n = 0;
  while (stack.length && n < cap) {
    const d = stack.pop()!;
    let entries: Iterable<Deno.DirEntry>;
    try {
      entries = Deno.readDirSync(d);
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++n >= cap) break;
      const p = `${d}/${e.name}`;
      if (e.isSymlink) out.push(p);
      else if (e.isDirectory) stack.push(p);
    }
  }
  return out;
}

/** Longest argument Linux accepts (MAX_ARG_STRLEN), with room to spare. */
const MAX_FLAG = 120_000;

/**
 * Build the `deno run` argv for a Deno stage. Throws SandboxGrantError when
 * `cmd` is not a Deno command or a grant cannot be expressed safely.
 */
export function denoArgs(cmd: string, opts: DenoArgsOptions): DenoRunPlan {
  const parsed = parseDenoCommand(cmd);
  if (!parsed) {
    throw new SandboxGrantError(
      opts.stage,
      `the deno runner needs a command of the form 'deno run [flags] script.ts [args]' or 'script.ts [args]' without shell syntax (got '${cmd}')`,
      "use the shell runner (sandboxed with bwrap) for other commands",
    );
  }
  const cwd = absPath("/", opts.cwd);
  const root = realPathOf(opts.repoRoot);
  const cache = realPathOf(opts.cacheDir);
  const script = absPath(cwd, parsed.script);
  const outs = opts.outs.map((o) => absPath(cwd, typeof o === "string" ? o : o.path));
  const deps = opts.deps.map((d) => absPath(cwd, d));
  const g = opts.grants;

  for (const o of outs) {
    const real = realPathOf(o);
    if (
      isWithin(real, cache) || isWithin(real, `${root}/.git`) || isWithin(real, `${root}/.dvc`)
    ) {
      throw new SandboxGrantError(
        opts.stage,
        `output '${
          path.posix.relative(cwd, o)
        }' lies inside the DVC cache, .git or .dvc; a sandboxed stage may not write there`,
      );
    }
  }

  const read = new Set<string>();
  const addBoth = (set: Set<string>, p: string) => {
    set.add(p);
    const r = realPathOf(p);
    if (r !== p) set.add(r);
  };
  for (const p of [...deps, script, ...outs]) addBoth(read, p);
  for (const r of g.read) if (r.exists) addBoth(read, r.path);
  for (const w of g.write) addBoth(read, w.path);
  if (opts.denoDir && statOrNull(opts.denoDir)) addBoth(read, opts.denoDir);

  const write = new Set<string>();
  for (const o of outs) addBoth(write, o);
  for (const w of g.write) addBoth(write, w.path);

  // Symlinks inside granted folders (see the module comment).
  const inRead = (p: string) => [...read].some((r) => isWithin(p, r));
  const inWrite = (p: string) => [...write].some((w) => isWithin(p, w));
  const targets = new Set<string>();
  const denoDir = opts.denoDir ? realPathOf(opts.denoDir) : undefined;
  for (const dir of [...read]) {
    if (!statOrNull(dir)?.isDirectory || lstatOrNull(dir)?.isSymlink) continue;
    if (denoDir && (dir === opts.denoDir || dir === denoDir)) continue; // cairn's own module cache
    for (const link of linksBelow(dir)) {
      const t = realPathOf(link);
      if (inWrite(link) && !inWrite(t)) {
        throw new SandboxGrantError(
          opts.stage,
          `'${link}' is a symlink inside a writable folder pointing to '${t}'; writes through it would escape the grant`,
          "remove the link, or grant its target for writing",
        );
      }
      // Deno grants path prefixes: `dep/link/anything` passes the check for `dep`,
      // so a link to a folder would open that whole folder. DVC does not follow
      // folder links inside a tracked folder either; links to files are part of
      // the dep (their targets are granted below).
      if (statOrNull(t)?.isDirectory && !inRead(t)) {
        throw new SandboxGrantError(
          opts.stage,
          `'${
            relPath(cwd, link)
          }' is a symlink to the folder '${t}', which is not declared; through it the stage ` +
            `could read that whole folder`,
          "declare the folder as a dep (or read grant), or remove the link",
        );
      }
      if (!inRead(t)) targets.add(t);
    }
  }
  if (targets.size) {
    const list = [...targets];
    const text = list.join(",");
    if (text.length > MAX_FLAG / 2) {
      // Too many to list: DVC symlink checkouts point into the cache, which
      // holds data only; grant it (read-only) as a whole.
      if (list.every((t) => isWithin(t, cache))) read.add(cache);
      else {
        throw new SandboxGrantError(
          opts.stage,
          `deps contain ${list.length} symlinks leading outside the declared paths`,
          "declare the link targets as deps or read grants",
        );
      }
    } else for (const t of list) read.add(t);
  }

  const allowRead = [...read].sort();
  const allowWrite = [...write].sort();
  let allowNet: true | string[];
  if (g.net === true) allowNet = true;
  else if (g.net === false) allowNet = [];
  else {
    allowNet = g.net.map((h) => {
      if (h.host.startsWith("*.")) {
        throw new SandboxGrantError(
          opts.stage,
          `net: '${h.raw}': Deno's --allow-net has no wildcards`,
          "list the hosts, or run the stage with the shell runner",
        );
      }
      const host = h.host.includes(":") ? `[${h.host}]` : h.host;
      return h.port !== undefined ? `${host}:${h.port}` : host;
    });
  }
  const allowEnv = [...g.env];
  const join = (flag: string, xs: string[]) => {
    const v = `${flag}=${xs.join(",")}`;
    if (v.length > MAX_FLAG) {
      throw new SandboxGrantError(opts.stage, `${flag} would exceed the command line limit`);
    }
    return v;
  };
  const argv = [opts.deno ?? "deno", "run", "--no-prompt"];
  if (allowRead.length) argv.push(join("--allow-read", allowRead));
  if (allowWrite.length) argv.push(join("--allow-write", allowWrite));
  if (allowNet === true) argv.push("--allow-net");
  else if (allowNet.length) argv.push(join("--allow-net", allowNet));
  if (allowEnv.length) argv.push(join("--allow-env", allowEnv));
  argv.push(...parsed.flags, parsed.script, ...parsed.scriptArgs);

  const outParents = [...new Set(outs.map((o) => parentOf(o)))].filter((p) => !statOrNull(p));
  return {
    argv,
    allowRead,
    allowWrite,
    allowNet,
    allowEnv,
    dropped: parsed.dropped,
    outParents,
    env: filterEnv(opts.env ?? {}, g.env).env,
  };
}
