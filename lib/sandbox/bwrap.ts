/**
 * The bubblewrap mount plan for a sandboxed stage.
 *
 * `on`: the whole filesystem read-only, a private /tmp, each output's parent
 * folder writable with every pre-existing entry in it bind-mounted read-only
 * on top (so only new names - the outputs - can be created there), granted
 * write paths writable, and the DVC cache, `.git` and `.dvc` re-mounted
 * read-only last.
 *
 * `hermetic`: as `on`, but the project folder is an empty read-only tmpfs in
 * which only declared deps (read-only), granted paths and output parents
 * appear. Output parents are fresh "staging" folders (so the other files of
 * that folder stay invisible); declared outputs are moved from staging into
 * the workspace after the run, anything else written there is reported.
 *
 * planSandbox() only reads the filesystem; prepareSandbox() creates the
 * output parents and staging folders; finishSandbox() checks what the stage
 * did to the writable folders, restores them and returns the violations.
 */
import * as path from "node:path";
import { SandboxGrantError } from "./errors.ts";
import type { ResolvedGrants } from "./grants.ts";
import { refusalReason } from "./grants.ts";
import {
  absPath,
  depthOf,
  isWithin,
  lstatOrNull,
  parentOf,
  realPathOf,
  statOrNull,
} from "./_paths.ts";
import type { Violation } from "./violations.ts";
import { writeViolation } from "./violations.ts";

export type EnforcedPolicy = "on" | "hermetic";

/** A declared output: a path (relative to the stage cwd, or absolute). */
export interface OutDecl {
  path: string;
  persist?: boolean;
}

export type MountOp = "tmpfs" | "ro" | "rw" | "dir";

export interface Mount {
  op: MountOp;
  /** host path (ro/rw). */
  src?: string;
  /** path inside the sandbox. */
  dest: string;
  /** why it is there (for debugging and tests). */
  why: string;
  /** a staging folder: shows nothing of the host folder at `dest`. */
  staging?: boolean;
}

/** A folder that receives outputs. */
export interface OutParent {
  /** real host path of the folder. */
  host: string;
  /** where it appears inside the sandbox. */
  dest: string;
  /** output names (basenames) the stage may create here. */
  outs: string[];
  /** hermetic: host staging folder bound at `dest` instead of `host`. */
  staging?: string;
  /** `on`: entries present before the run, for the post-run check. */
  before?: Map<string, EntryState>;
  /** staging filled with symlinks to a read-only view of `host` (crowded folders). */
  links?: { view: string; names: string[] };
  /** true when cairn created `host` (removed again if left empty). */
  created?: boolean;
  /** parent dirs cairn had to create, shallow first. */
  createdDirs?: string[];
}

export interface EntryState {
  kind: "file" | "dir" | "symlink" | "other";
  target?: string;
}

export interface SandboxPlan {
  policy: EnforcedPolicy;
  /** bwrap arguments before `--` (namespaces, mounts, chdir). */
  args: string[];
  mounts: Mount[];
  outParents: OutParent[];
  /** sandbox paths that are mount points (bwrap leaves stub files for them in staging). */
  mountDests: string[];
  repoRoot: string;
  cacheDir: string;
  cwd: string;
  /** folder holding this run's staging folders (hermetic). */
  stagingRoot?: string;
  /** set when prepareSandbox had to create the staging base (removed again when empty). */
  createdStagingBase?: string;
  /** deps (absolute lexical) visible inside. */
  deps: string[];
  /** declared outputs, absolute lexical. */
  outs: string[];
}

export interface PlanOptions {
  policy: EnforcedPolicy;
  /** stage working dir, absolute. */
  cwd: string;
  repoRoot: string;
  cacheDir: string;
  /** declared deps, relative to cwd or absolute. */
  deps: string[];
  outs: (string | OutDecl)[];
  grants: ResolvedGrants;
  stage?: string;
  /** share the host network (net: true). */
  shareNet?: boolean;
  /** extra host paths bound read-only at the same place (tools cairn itself runs inside). */
  extraRo?: string[];
  /** extra host folders bound writable at `dest` (cairn's control folder). */
  extraRw?: { src: string; dest: string }[];
  /** where staging folders go (hermetic); default `<repo>/.dvc/tmp` or the system temp dir. */
  tmpBase?: string;
  /** device nodes (or folders of them) bound usable at the same place (GPU grants). */
  devices?: string[];
  /**
   * hermetic: look for symlinks inside folder deps (default true) and bind
   * their targets (or refuse folder links). The Landlock view skips it: its
   * rules are on real paths, so such a link's hidden target stays unreadable
   * there, and the walk costs ~10 ms per 10,000 files in the deps.
   */
  depLinks?: boolean;
}

/**
 * Entries of an output folder protected by one read-only mount each; above
 * this, symlinks into a single read-only view are used (bwrap re-reads the
 * mount table per mount: 100 mounts ~60 ms, 1000 ~5 s here).
 */
export const SIBLING_BIND_LIMIT = 64;

/** Where read-only views of crowded output folders appear inside the sandbox. */
const LINK_VIEW = "/tmp/.cairn-view";

/** Entries of a dependency folder beyond which symlinks are no longer scanned. */
const MAX_SCAN = 200_000;

const OP_ORDER: Record<MountOp, number> = { tmpfs: 0, ro: 1, rw: 2, dir: 3 };

function entryState(p: string): EntryState | null {
  const st = lstatOrNull(p);
  if (!st) return null;
  if (st.isSymlink) {
    let target: string | undefined;
    try {
      target = Deno.readLinkSync(p);
    } catch { /* unreadable link */ }
    return { kind: "symlink", target };
  }
  return { kind: st.isDirectory ? "dir" : st.isFile ? "file" : "other" };
}

function readDirNames(p: string): string[] {
  try {
    return [...Deno.readDirSync(p)].map((e) => e.name);
  } catch {
    return [];
  }
}

/** Symlinks below `dir` (not following links), capped. */
function symlinksBelow(dir: string, budget: { n: number }): string[] {
  const found: string[] = [];
  const stack = [dir];
  while (stack.length && budget.n > 0) {
    const d = stack.pop()!;
    let it: Iterable<Deno.DirEntry>;
    try {
      it = Deno.readDirSync(d);
    } catch {
      continue;
    }
    for (const e of it) {
      if (--budget.n <= 0) break;
      const p = `${d}/${e.name}`;
      if (e.isSymlink) found.push(p);
      else if (e.isDirectory) stack.push(p);
    }
  }
  return found;
}

function defaultTmpBase(repoRoot: string): string {
  const dvcTmp = `${repoRoot}/.dvc/tmp`;
  if (statOrNull(`${repoRoot}/.dvc`)?.isDirectory) return dvcTmp;
  return Deno.env.get("TMPDIR") || "/tmp";
}

/**
 * Compute the mounts. Reads the filesystem (real paths, folder listings) but
 * changes nothing; throws SandboxGrantError for outputs that would need a
 * refused folder to be writable.
 */
export function planSandbox(opts: PlanOptions): SandboxPlan {
  const hermetic = opts.policy === "hermetic";
  const root = realPathOf(opts.repoRoot);
  const cacheReal = realPathOf(opts.cacheDir);
  const cwd = absPath("/", opts.cwd);
  const grants = opts.grants;
  const home = Deno.env.get("HOME");
  const prot = {
    repoRoot: root,
    cache: cacheReal,
    git: `${root}/.git`,
    dvc: `${root}/.dvc`,
    home: home ? realPathOf(home) : undefined,
  };
  const mounts: Mount[] = [];
  const add = (m: Mount) => mounts.push(m);
  // Private in the sandbox: /tmp, and /run (Unix sockets such as
  // /run/docker.sock stay connectable through a read-only mount).
  const inTmp = (p: string) => isWithin(p, "/tmp") || isWithin(p, "/run");
  /** inside the project (masked in hermetic mode), the lexical spot is where it must appear. */
  const destFor = (lexical: string, real: string) =>
    hermetic && isWithin(lexical, root) ? lexical : real;

  const writeGrants = grants.write.filter((w) => w.exists);
  const inWriteGrant = (real: string) => writeGrants.some((w) => isWithin(real, w.real));

  // Outputs, grouped by parent folder.
  const outDecls = opts.outs.map((o) => typeof o === "string" ? { path: o } : o);
  const outsAbs = outDecls.map((o) => absPath(cwd, o.path));
  const parents = new Map<string, OutParent>();
  for (let i = 0; i < outDecls.length; i++) {
    const lexical = outsAbs[i];
    const lexParent = parentOf(lexical);
    const hostParent = realPathOf(lexParent);
    const real = `${hostParent}/${path.posix.basename(lexical)}`;
    if (
      isWithin(real, prot.cache) || isWithin(real, prot.git) ||
      isWithin(real, prot.dvc)
    ) {
      throw new SandboxGrantError(
        opts.stage,
        `output '${
          outDecls[i].path
        }' lies inside the DVC cache, .git or .dvc; a sandboxed stage may not write there`,
      );
    }
    if (inWriteGrant(real)) continue; // writable already
    const why = refusalReason(hostParent, prot);
    if (why && hostParent !== root) {
      throw new SandboxGrantError(
        opts.stage,
        `output '${outDecls[i].path}' needs its folder ${hostParent} writable, but ${why}`,
        "put outputs in a subfolder of the project",
      );
    }
    const dest = destFor(lexParent, hostParent);
    const key = `${hostParent}\0${dest}`;
    let p = parents.get(key);
    if (!p) {
      p = { host: hostParent, dest, outs: [] };
      parents.set(key, p);
    }
    p.outs.push(path.posix.basename(lexical));
  }
  const outParents = [...parents.values()];
  const rwDests = new Set<string>([
    ...outParents.map((p) => p.dest),
    ...writeGrants.map((w) => w.real),
  ]);

  const depsAbs = opts.deps.map((d) => absPath(cwd, d)).filter((d) =>
    !outsAbs.some((o) => isWithin(d, o))
  );

  // Base: read-only root, fresh /dev, /proc, private /tmp.
  add({ op: "ro", src: "/", dest: "/", why: "root read-only" });
  add({ op: "tmpfs", dest: "/tmp", why: "private /tmp" });
  add({ op: "tmpfs", dest: "/run", why: "hide host sockets (/run/docker.sock, dbus...)" });
  if (opts.shareNet) {
    // DNS: /etc/resolv.conf often points into /run (systemd-resolved).
    const resolv = realPathOf("/etc/resolv.conf");
    if (isWithin(resolv, "/run") && statOrNull(resolv)) {
      add({ op: "ro", src: parentOf(resolv), dest: parentOf(resolv), why: "DNS resolver config" });
    }
  }
  if (hermetic) add({ op: "tmpfs", dest: root, why: "hermetic: project hidden" });
  else if (inTmp(root)) add({ op: "ro", src: root, dest: root, why: "project (under /tmp)" });
  // cairn itself is trusted and a stage may run it (`cairn nb run`): a checkout or a Deno
  // under /tmp would otherwise vanish behind the private /tmp.
  for (const self of cairnSelfDirs()) {
    if (inTmp(self) && !isWithin(self, root)) {
      add({ op: "ro", src: self, dest: self, why: "cairn itself (under /tmp)" });
    }
  }

  // Read-only views: deps and read grants.
  const visible: string[] = []; // sandbox paths whose whole subtree is visible
  const bindRo = (lexical: string, why: string) => {
    const real = realPathOf(lexical);
    if (!statOrNull(real)) return;
    const dest = destFor(lexical, real);
    // Outside the project everything is visible read-only already, except
    // under the private /tmp; inside it, only hermetic mode needs binds.
    const needed = isWithin(dest, root) ? hermetic : inTmp(dest);
    if (!needed) return;
    add({ op: "ro", src: real, dest, why });
    visible.push(dest);
  };
  for (const d of depsAbs) bindRo(d, "dep");
  for (const r of grants.read) if (r.exists) bindRo(r.path, "read grant");
  if (hermetic && opts.depLinks !== false) {
    // Symlinks inside deps that lead into the hidden project (DVC's symlink
    // cache type points into .dvc/cache): make their targets visible too.
    const budget = { n: MAX_SCAN };
    let cacheNeeded = false;
    for (const d of depsAbs) {
      const real = realPathOf(d);
      const st = statOrNull(real);
      if (!st?.isDirectory || !isWithin(d, root)) continue;
      for (const link of symlinksBelow(real, budget)) {
        const target = realPathOf(link);
        if (!isWithin(target, root)) continue;
        if (visible.some((v) => isWithin(target, v))) continue;
        if (isWithin(target, cacheReal)) cacheNeeded = true;
        else if (statOrNull(target)?.isDirectory) {
          // A link to a hidden project folder would show the whole folder; DVC
          // does not follow folder links inside a tracked folder either.
          throw new SandboxGrantError(
            opts.stage,
            `'${path.posix.relative(cwd, link)}' is a symlink to the project folder '${
              path.posix.relative(cwd, target) || "."
            }', which is not declared; hermetic mode would have to show that whole folder`,
            "declare the folder as a dep (or read grant), or remove the link",
          );
        } else if (statOrNull(target)) {
          add({ op: "ro", src: target, dest: target, why: "symlink target in dep" });
        }
      }
    }
    if (cacheNeeded) {
      add({ op: "ro", src: cacheReal, dest: cacheReal, why: "dep symlinks into cache" });
    }
  }

  // Writable: output parents (+ protected siblings), write grants.
  outParents.forEach((p, index) => {
    const inProject = isWithin(p.dest, root);
    // Existing entries of the folder the stage may see (read-only).
    const entries = readDirNames(p.host).filter((name) =>
      !p.outs.includes(name) && !rwDests.has(`${p.dest}/${name}`) &&
      !inWriteGrant(`${p.host}/${name}`)
    );
    const covered = !(hermetic && inProject) ||
      depsAbs.some((d) => isWithin(p.dest, d)) ||
      grants.read.some((r) => isWithin(p.dest, destFor(r.path, r.real)));
    const visibleEntries = covered ? entries : [];
    if (!(hermetic && inProject) && visibleEntries.length <= SIBLING_BIND_LIMIT) {
      // Direct: the real folder, each existing entry re-mounted read-only.
      add({ op: "rw", src: p.host, dest: p.dest, why: "output folder" });
      p.before = new Map();
      for (const name of readDirNames(p.host)) {
        if (p.outs.includes(name)) continue;
        const st = entryState(`${p.host}/${name}`);
        if (!st) continue;
        p.before.set(name, st);
        // A bind mount cannot sit on a symlink (mount follows it); symlinks
        // are checked and restored after the run instead.
        if (st.kind === "symlink" || !visibleEntries.includes(name)) continue;
        add({
          op: "ro",
          src: `${p.host}/${name}`,
          dest: `${p.dest}/${name}`,
          why: "protected sibling of output",
        });
      }
      return;
    }
    // Staging: a fresh folder at `dest`; outputs are moved back after the run.
    p.staging = ""; // path chosen below
    add({ op: "rw", src: "", dest: p.dest, why: "output staging", staging: true });
    if (visibleEntries.length <= SIBLING_BIND_LIMIT) {
      for (const name of visibleEntries) {
        const host = `${p.host}/${name}`;
        const src = lstatOrNull(host)?.isSymlink ? realPathOf(host) : host;
        if (statOrNull(src)) {
          add({ op: "ro", src, dest: `${p.dest}/${name}`, why: "visible entry" });
        }
      }
    } else {
      // Too many entries to mount one by one (bwrap's cost grows with the
      // square of the mount count): the real folder is mounted read-only
      // once, aside, and the staging folder gets a symlink per entry.
      const view = `${LINK_VIEW}/${index}`;
      add({ op: "ro", src: p.host, dest: view, why: "read-only view for links" });
      p.links = { view, names: visibleEntries };
    }
  });
  for (const w of writeGrants) {
    add({ op: "rw", src: w.real, dest: w.real, why: "write grant" });
    if (hermetic && isWithin(w.path, root) && w.path !== w.real) {
      add({ op: "rw", src: w.real, dest: w.path, why: "write grant (lexical)" });
    }
  }

  // Never writable: cache, .git, .dvc (unless a forced grant says otherwise).
  // Re-mounted read-only when a writable host folder contains them, or when
  // they sit in /tmp outside the project (else hidden by the private /tmp).
  const forced = grants.write.filter((w) => w.force && w.exists);
  const hostRw = mounts.filter((m) => m.op === "rw" && !m.staging).map((m) => m.dest);
  for (const [p, why] of [[cacheReal, "DVC cache"], [prot.git, ".git"], [prot.dvc, ".dvc"]]) {
    if (!statOrNull(p)) continue;
    if (forced.some((f) => isWithin(f.real, p))) continue;
    const underRw = hostRw.some((d) => isWithin(p, d));
    const hiddenByTmp = inTmp(p) && !isWithin(p, root);
    if (underRw || hiddenByTmp) add({ op: "ro", src: p, dest: p, why: `${why} read-only` });
  }

  for (const e of opts.extraRo ?? []) {
    if (inTmp(e) || (hermetic && isWithin(e, root))) {
      add({ op: "ro", src: e, dest: e, why: "tool" });
    }
  }
  for (const e of opts.extraRw ?? []) add({ op: "rw", src: e.src, dest: e.dest, why: "control" });

  // Working dir must exist inside (hermetic: may be an empty folder of the tmpfs).
  if (hermetic && isWithin(cwd, root)) add({ op: "dir", dest: cwd, why: "cwd" });

  const sorted = dedupe(mounts);
  const plan: SandboxPlan = {
    policy: opts.policy,
    args: [],
    mounts: sorted,
    outParents,
    mountDests: sorted.filter((m) => m.op !== "tmpfs" && m.dest !== "/").map((m) => m.dest),
    repoRoot: root,
    cacheDir: cacheReal,
    cwd,
    deps: depsAbs,
    outs: outsAbs,
  };
  if (outParents.some((p) => p.staging !== undefined)) {
    const base = opts.tmpBase ?? defaultTmpBase(root);
    const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
    plan.stagingRoot = `${base}/cairn-sandbox-${Deno.pid}-${rand}`;
    outParents.forEach((p, i) => {
      if (p.staging === undefined) return;
      p.staging = `${plan.stagingRoot}/${i}`;
      for (const m of sorted) {
        if (m.op === "rw" && m.src === "" && m.dest === p.dest) m.src = p.staging;
      }
    });
  }
  plan.args = bwrapArgs(plan, opts);
  return plan;
}

/** Same-dest duplicates: a writable mount wins over a read-only one; order shallow-first. */
function dedupe(mounts: Mount[]): Mount[] {
  const [base, ...rest] = mounts;
  const byDest = new Map<string, Mount>();
  for (const m of rest) {
    const prev = byDest.get(m.dest);
    if (!prev) {
      byDest.set(m.dest, m);
      continue;
    }
    if (prev.op === "tmpfs" || m.op === "tmpfs") {
      // tmpfs then a bind on the same spot: keep both by nudging order.
      byDest.set(m.dest + "\0" + m.op, m);
      continue;
    }
    if (prev.op === "rw") continue;
    if (m.op === "rw" || m.op === "ro") byDest.set(m.dest, m);
  }
  const list = [...byDest.values()];
  list.sort((a, b) => depthOf(a.dest) - depthOf(b.dest) || OP_ORDER[a.op] - OP_ORDER[b.op]);
  return [base, ...list];
}

function bwrapArgs(plan: SandboxPlan, opts: PlanOptions): string[] {
  const a: string[] = [
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--cap-drop",
    "ALL",
    "--die-with-parent",
    "--new-session",
  ];
  if (opts.shareNet) a.push("--share-net");
  let devDone = false;
  for (const m of plan.mounts) {
    if (!devDone && m.dest !== "/") {
      a.push("--dev", "/dev", "--proc", "/proc");
      devDone = true;
    }
    switch (m.op) {
      case "ro":
        a.push("--ro-bind", m.src!, m.dest);
        break;
      case "rw":
        a.push("--bind", m.src!, m.dest);
        break;
      case "tmpfs":
        a.push("--tmpfs", m.dest);
        break;
      case "dir":
        a.push("--dir", m.dest);
        break;
    }
  }
  if (!devDone) a.push("--dev", "/dev", "--proc", "/proc");
  // Granted device nodes (GPUs) on top of the fresh /dev, usable (not read-only).
  for (const d of opts.devices ?? []) a.push("--dev-bind", d, d);
  if (plan.policy === "hermetic") {
    // Freeze the project tmpfs so a write to an undeclared project path fails
    // (EROFS) instead of vanishing with the sandbox.
    const top = [...plan.mounts].reverse().find((m) => m.dest === plan.repoRoot && m.op !== "dir");
    if (top?.op === "tmpfs") a.push("--remount-ro", plan.repoRoot);
  }
  a.push("--chdir", plan.cwd);
  return a;
}

/**
 * Before the run: create missing output folders and staging folders, move
 * existing outputs into staging (hermetic) so the stage sees them where they
 * are declared.
 */
export function prepareSandbox(plan: SandboxPlan): void {
  if (plan.stagingRoot) {
    const base = parentOf(plan.stagingRoot);
    if (!lstatOrNull(base)) {
      Deno.mkdirSync(base, { recursive: true });
      plan.createdStagingBase = base;
    }
    Deno.mkdirSync(plan.stagingRoot);
  }
  for (const p of plan.outParents) {
    if (!statOrNull(p.host)) {
      const created: string[] = [];
      let d = p.host;
      while (!lstatOrNull(d) && d !== "/") {
        created.unshift(d);
        d = parentOf(d);
      }
      Deno.mkdirSync(p.host, { recursive: true });
      p.created = true;
      p.createdDirs = created;
    }
    // An existing output hard-linked into the cache (DVC's hardlink link
    // type) would let the stage rewrite the cache object: give it its own copy.
    for (const name of p.outs) breakHardlinks(`${p.host}/${name}`);
    if (p.staging) {
      Deno.mkdirSync(p.staging, { recursive: true });
      for (const name of p.links?.names ?? []) {
        Deno.symlinkSync(`${p.links!.view}/${name}`, `${p.staging}/${name}`);
      }
      for (const name of p.outs) {
        const src = `${p.host}/${name}`;
        if (lstatOrNull(src)) moveEntry(src, `${p.staging}/${name}`);
      }
    }
  }
}

/** Replace every multiply-linked regular file at/below `p` by a private copy. */
function breakHardlinks(p: string): void {
  const st = lstatOrNull(p);
  if (!st) return;
  if (st.isDirectory) {
    for (const e of Deno.readDirSync(p)) breakHardlinks(`${p}/${e.name}`);
    return;
  }
  if (!st.isFile || (st.nlink ?? 1) <= 1) return;
  const tmp = `${p}.cairn-unlink-${Deno.pid}`;
  Deno.copyFileSync(p, tmp);
  Deno.chmodSync(tmp, (st.mode ?? 0o644) & 0o777 | 0o200);
  Deno.renameSync(tmp, p);
}

/** rename, falling back to copy + remove across filesystems. */
function moveEntry(src: string, dest: string): void {
  try {
    Deno.renameSync(src, dest);
  } catch (e) {
    if (!(e instanceof Error) || !/EXDEV|cross-device/i.test(e.message)) throw e;
    copyTree(src, dest);
    Deno.removeSync(src, { recursive: true });
  }
}

function copyTree(src: string, dest: string): void {
  const st = Deno.lstatSync(src);
  if (st.isSymlink) Deno.symlinkSync(Deno.readLinkSync(src), dest);
  else if (st.isDirectory) {
    Deno.mkdirSync(dest);
    for (const e of Deno.readDirSync(src)) {
      copyTree(`${src}/${e.name}`, `${dest}/${e.name}`);
    }
  } else Deno.copyFileSync(src, dest);
}

/**
 * After the run: report and undo writes the mounts could not prevent (new
 * names beside the outputs, replaced symlinks), move staged outputs into the
 * workspace, remove staging and folders cairn created that stayed empty.
 */
export function finishSandbox(plan: SandboxPlan): Violation[] {
  const violations: Violation[] = [];
  for (const p of plan.outParents) {
    if (p.staging) {
      harvestStaging(plan, p, violations);
    } else if (p.before) {
      const after = new Set(readDirNames(p.host));
      for (const name of after) {
        if (p.outs.includes(name)) continue;
        const full = `${p.host}/${name}`;
        const was = p.before.get(name);
        const now = entryState(full);
        if (!was) {
          violations.push(writeViolation(full, plan, "created"));
          Deno.removeSync(full, { recursive: true });
        } else if (was.kind === "symlink" && now?.kind === "symlink" && now.target !== was.target) {
          violations.push(writeViolation(full, plan, "replaced"));
          Deno.removeSync(full);
          if (was.target !== undefined) Deno.symlinkSync(was.target, full);
        }
      }
      for (const [name, was] of p.before) {
        if (after.has(name) || was.kind !== "symlink") continue;
        const full = `${p.host}/${name}`;
        violations.push(writeViolation(full, plan, "removed"));
        if (was.target !== undefined) Deno.symlinkSync(was.target, full);
      }
    }
    if (p.createdDirs) {
      for (const d of [...p.createdDirs].reverse()) {
        try {
          Deno.removeSync(d); // only succeeds when empty
        } catch {
          break;
        }
      }
    }
  }
  if (plan.stagingRoot) {
    try {
      Deno.removeSync(plan.stagingRoot, { recursive: true });
    } catch { /* already gone */ }
    if (plan.createdStagingBase) {
      try {
        Deno.removeSync(plan.createdStagingBase); // only when empty
      } catch { /* in use by a parallel run */ }
    }
  }
  return violations;
}

function harvestStaging(plan: SandboxPlan, p: OutParent, violations: Violation[]) {
  const staging = p.staging!;
  for (const name of p.outs) {
    const src = `${staging}/${name}`;
    if (!lstatOrNull(src)) continue;
    const dest = `${p.host}/${name}`;
    if (lstatOrNull(dest)) Deno.removeSync(dest, { recursive: true });
    moveEntry(src, dest);
  }
  // Anything else in staging is either a stub bwrap created for a mount
  // point or a write to an undeclared path.
  const mountDests = new Set(plan.mountDests);
  const isStub = (dest: string) => mountDests.has(dest) || dest === plan.cwd;
  const leadsToStub = (dest: string) =>
    plan.mountDests.some((m) => isWithin(m, dest)) || isWithin(plan.cwd, dest);
  const walk = (hostDir: string, destDir: string) => {
    for (const name of readDirNames(hostDir)) {
      const host = `${hostDir}/${name}`;
      const dest = `${destDir}/${name}`;
      if (destDir === p.dest && p.outs.includes(name)) continue;
      if (destDir === p.dest && p.links?.names.includes(name)) {
        const t = lstatOrNull(host)?.isSymlink ? Deno.readLinkSync(host) : undefined;
        if (t === `${p.links.view}/${name}`) continue;
      }
      if (isStub(dest)) {
        if (dest === plan.cwd && lstatOrNull(host)?.isDirectory) walk(host, dest);
        continue;
      }
      if (leadsToStub(dest) && lstatOrNull(host)?.isDirectory) {
        walk(host, dest);
        continue;
      }
      violations.push(writeViolation(dest, plan, "created"));
    }
  };
  walk(staging, p.dest);
  // Links to existing entries the stage deleted or replaced: the real
  // entries were never touched, but the stage meant to change them.
  for (const name of p.links?.names ?? []) {
    const host = `${staging}/${name}`;
    const st = lstatOrNull(host);
    if (st?.isSymlink && Deno.readLinkSync(host) === `${p.links!.view}/${name}`) continue;
    if (!st) violations.push(writeViolation(`${p.dest}/${name}`, plan, "removed"));
  }
}

/** Real folders of cairn's own code and of the Deno running it (file: URLs only). */
function cairnSelfDirs(): string[] {
  const dirs: string[] = [];
  const here = new URL("../..", import.meta.url);
  if (here.protocol === "file:") dirs.push(path.posix.normalize(decodeURIComponent(here.pathname)));
  dirs.push(parentOf(Deno.execPath()));
  return dirs.map((d) => realPathOf(d)).filter((d) => statOrNull(d) !== null);
}
