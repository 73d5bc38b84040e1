/**
 * Parse `strace -f -y` output into file and connect events with absolute
 * paths. Pure: lines in, events out (the trace is produced by run_sandboxed
 * or explain_inputs).
 *
 * Expected flags: `-f -qq -y` (fds decoded as `3</path>`, AT_FDCWD as
 * `AT_FDCWD</cwd>`), optionally `-Z` (failed calls only) and
 * `--seccomp-bpf`. Lines look like
 *   `123   openat(AT_FDCWD</w>, "a.txt", O_RDONLY) = 3</w/a.txt>`
 *   `123   mkdir("sub", 0777)                = -1 EROFS (Read-only file system)`
 * and may be split by `<unfinished ...>` / `<... openat resumed>` under -f.
 */
import * as path from "../path.ts";

export interface NetAddress {
  family: "inet" | "inet6" | "unix";
  /** IP address, or the socket path for unix. */
  host: string;
  port?: number;
}

export interface TraceEvent {
  pid: number;
  syscall: string;
  /** absolute paths the call names (after dirfd / cwd resolution). */
  paths: string[];
  /** for opens: the path of the returned fd (strace -y). */
  opened?: string;
  /** return value (-1 on failure). */
  ret: number;
  /** errno name on failure (ENOENT, EROFS, ...). */
  errno?: string;
  /** true when the call modifies the filesystem (or opens for writing). */
  write: boolean;
  /** true for opens of a directory (listing). */
  directory?: boolean;
  /** connect(): destination. */
  addr?: NetAddress;
}

/** Syscalls that change the filesystem whatever their flags. */
const WRITE_CALLS = new Set([
  "creat",
  "mkdir",
  "mkdirat",
  "unlink",
  "unlinkat",
  "rmdir",
  "rename",
  "renameat",
  "renameat2",
  "link",
  "linkat",
  "symlink",
  "symlinkat",
  "chmod",
  "fchmodat",
  "fchmodat2",
  "chown",
  "lchown",
  "fchownat",
  "truncate",
  "utime",
  "utimes",
  "utimensat",
  "futimesat",
  "mknod",
  "mknodat",
  "setxattr",
  "lsetxattr",
  "removexattr",
  "lremovexattr",
]);

/** Decode a C-style string literal body as strace prints it. */
export function decodeCString(s: string): string {
  if (!s.includes("\\")) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== "\\") {
      bytes.push(...enc.encode(c));
      continue;
    }
    const n = s[++i];
    if (n === "x") {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n >= "0" && n <= "7") {
      let j = i;
      while (j < i + 3 && s[j] >= "0" && s[j] <= "7") j++;
      bytes.push(parseInt(s.slice(i, j), 8));
      i = j - 1;
    } else {
      const map: Record<string, number> = {
        n: 10,
        t: 9,
        r: 13,
        v: 11,
        f: 12,
        "\\": 92,
        '"': 34,
      };
      bytes.push(map[n] ?? n.charCodeAt(0));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Split a call's argument text at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inStr = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (c === "\\") i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === "{" || c === "[" || c === "(" || c === "<") depth++;
    else if (c === "}" || c === "]" || c === ")" || c === ">") depth--;
    else if (c === "," && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** `AT_FDCWD</dir>` or `3</path>` -> `/dir`. */
function fdPath(arg: string): string | undefined {
  const m = /^(?:AT_FDCWD|-?\d+)<(.*)>$/s.exec(arg);
  return m ? decodeCString(m[1]) : undefined;
}

function strArg(arg: string): string | undefined {
  // strace appends "..." after a truncated string: "abc"...
  const m = /^"((?:[^"\\]|\\.)*)"(?:\.\.\.)?$/s.exec(arg);
  return m ? decodeCString(m[1]) : undefined;
}

function parseAddr(arg: string): NetAddress | undefined {
  if (!arg.startsWith("{")) return undefined;
  const fam = /sa_family=AF_(INET6?|UNIX|LOCAL)/.exec(arg)?.[1];
  if (!fam) return undefined;
  if (fam === "UNIX" || fam === "LOCAL") {
    const p = /sun_path=@?"((?:[^"\\]|\\.)*)"/.exec(arg)?.[1];
    return { family: "unix", host: p !== undefined ? decodeCString(p) : "" };
  }
  const port = Number(/htons\((\d+)\)/.exec(arg)?.[1]);
  if (fam === "INET") {
    const host = /inet_addr\("([^"]+)"\)/.exec(arg)?.[1] ?? "";
    return { family: "inet", host, port };
  }
  const host = /inet_pton\(AF_INET6,\s*"([^"]+)"/.exec(arg)?.[1] ?? "";
  return { family: "inet6", host, port };
}

const LINE = /^(\d+)\s+(.*)$/s;
const CALL = /^([a-z0-9_]+)\((.*)\)\s+=\s+(-?\d+|\?)(?:<(.*)>)?(?:\s+([A-Z][A-Z0-9_]+)\b.*)?$/s;

export interface ParseOptions {
  /** cwd of the first traced process (for calls without a dirfd). */
  cwd: string;
}

/**
 * Turn strace lines into events. Lines that are not file/connect calls
 * (signals, exits, process calls) only update the per-process cwd table.
 */
export function parseStrace(
  lines: Iterable<string>,
  opts: ParseOptions,
): TraceEvent[] {
  const events: TraceEvent[] = [];
  const pending = new Map<number, string>();
  const cwdOf = new Map<number, string>();
  // Under -f a child's first calls can be printed before its parent's
  // clone() returns: learn parents first so the child inherits the cwd.
  const all = [...lines];
  const parentOf = new Map<number, number>();
  for (const l of all) {
    const m = /^(\d+)\s+(?:<\.\.\. (?:clone3?|v?fork) resumed>|(?:clone3?|v?fork)\().*=\s+(\d+)\s*$/
      .exec(l.trimEnd());
    if (m) parentOf.set(Number(m[2]), Number(m[1]));
  }
  const cwdFor = (pid: number): string | undefined => {
    for (let p: number | undefined = pid, n = 0; p !== undefined && n < 64; n++) {
      const c = cwdOf.get(p);
      if (c !== undefined) return c;
      p = parentOf.get(p);
    }
    return undefined;
  };
  for (const raw of all) {
    const lm = LINE.exec(raw.trimEnd());
    let pid: number;
    let body: string;
    if (lm) {
      pid = Number(lm[1]);
      body = lm[2];
    } else {
      // strace without -f prints no pid column.
      pid = 0;
      body = raw.trimEnd();
    }
    if (body.startsWith("---") || body.startsWith("+++")) continue;
    if (body.endsWith("<unfinished ...>")) {
      pending.set(pid, body.slice(0, -"<unfinished ...>".length).trimEnd());
      continue;
    }
    const rm = /^<\.\.\. ([a-z0-9_]+) resumed>\s?(.*)$/s.exec(body);
    if (rm) {
      const head = pending.get(pid);
      pending.delete(pid);
      if (head === undefined) continue;
      body = head + (head.endsWith("(") || rm[2].startsWith(")") ? "" : " ") + rm[2];
    }
    const cm = CALL.exec(body);
    if (!cm) continue;
    const [, syscall, argText, retText, retPath, errno] = cm;
    const ret = retText === "?" ? -1 : Number(retText);
    const args = splitArgs(argText);
    let cwd = cwdFor(pid) ?? opts.cwd;
    // Process bookkeeping: children inherit the cwd.
    if (/^(clone3?|fork|vfork)$/.test(syscall) && ret > 0) {
      if (!cwdOf.has(ret)) cwdOf.set(ret, cwd);
      continue;
    }
    for (const a of args) {
      const m = /^AT_FDCWD<(.*)>$/s.exec(a);
      if (m) {
        cwd = decodeCString(m[1]);
        cwdOf.set(pid, cwd);
      }
    }
    if (syscall === "fchdir" && ret === 0) {
      const p = fdPath(args[0] ?? "");
      if (p) cwdOf.set(pid, p);
      continue;
    }
    if (syscall === "connect") {
      const addr = parseAddr(args[1] ?? "");
      if (addr) {
        events.push({
          pid,
          syscall,
          paths: addr.family === "unix" && addr.host ? [addr.host] : [],
          ret,
          errno,
          write: false,
          addr,
        });
      }
      continue;
    }
    const paths: string[] = [];
    let dir: string | undefined;
    let skipFirstString = syscall === "symlink" || syscall === "symlinkat";
    for (const a of args) {
      const fp = fdPath(a);
      if (fp !== undefined) {
        dir = fp;
        continue;
      }
      const s = strArg(a);
      if (s === undefined) continue;
      if (skipFirstString) {
        skipFirstString = false;
        continue;
      }
      if (s === "") {
        if (dir !== undefined) paths.push(dir);
      } else paths.push(path.posix.resolve(dir ?? cwd, s));
      dir = undefined;
    }
    if (paths.length === 0) continue;
    if (syscall === "chdir") {
      if (ret === 0) cwdOf.set(pid, paths[0]);
      continue;
    }
    let write = WRITE_CALLS.has(syscall);
    let directory: boolean | undefined;
    if (syscall === "open" || syscall === "openat" || syscall === "openat2") {
      const flags = args.find((a) => /O_(RDONLY|WRONLY|RDWR)/.test(a)) ?? "";
      write = /O_(WRONLY|RDWR|CREAT|TRUNC|APPEND)/.test(flags);
      if (/O_DIRECTORY/.test(flags)) directory = true;
    }
    events.push({
      pid,
      syscall,
      paths,
      opened: retPath && ret >= 0 ? decodeCString(retPath) : undefined,
      ret,
      errno,
      write,
      directory,
    });
  }
  return events;
}

/**
 * The strace flags cairn uses. Successful calls are kept (children's cwd is
 * tracked through clone/fork, explain-inputs needs the reads); with
 * --seccomp-bpf only the traced syscalls stop the tracee, which keeps the
 * cost per traced call rather than per syscall.
 */
export function straceArgs(outFile: string): string[] {
  return [
    "-f",
    "-qq",
    "-y",
    "--seccomp-bpf",
    "-e",
    "trace=%file,%process,connect",
    "-o",
    outFile,
  ];
}
