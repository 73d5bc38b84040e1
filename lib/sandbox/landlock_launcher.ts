/**
 * The Landlock launcher: a separate process (never cairn's main process)
 * that makes itself the child subreaper, confines itself with Landlock
 * through FFI, and then replaces itself (execve) with a small `/bin/sh`
 * wrapper that runs the stage command, which inherits the domain. The
 * subreaper setting survives the exec, so background processes the stage
 * leaves behind are re-parented to the wrapper, where cairn finds them in
 * /proc and kills them. No Deno runtime stays around while the stage runs:
 * no ~50 MB process to tear down after it, no extra process start. The
 * wrapper writes the stage's status to the report file once the stage has
 * ended (its only write rule outside the stage's), then waits for EOF on
 * stdin (cairn has killed the leftovers) and exits with the stage's status.
 * Failures before the exec go to the report through a descriptor opened
 * before confinement.
 *
 * Self-contained on purpose (no imports): it is started as
 * `deno run -A landlock_launcher.ts SPEC.json` and must start fast; the
 * compiled cairn binary runs it as `cairn __landlock-launch SPEC.json`
 * (cli.ts), since there is no `deno` to run it with.
 *
 * x86_64 syscall numbers: 444 landlock_create_ruleset, 445 landlock_add_rule,
 * 446 landlock_restrict_self.
 */

/** One filesystem rule of the launcher spec. */
export interface LaunchRule {
  path: string;
  /** ro: read+execute; rw: everything beneath; dev: read/write/ioctl a device (or a folder of them). */
  access: "ro" | "rw" | "dev";
}

/** What cairn hands the launcher (JSON file, first argument). */
export interface LaunchSpec {
  /** ABI to use (<= the kernel's). */
  abi: number;
  rules: LaunchRule[];
  /** "none": TCP connect and bind denied (ABI >= 4); "open": not handled. */
  net: "none" | "open";
  /** with net "none": TCP ports the stage may still connect to (cairn's filtering proxy). */
  connectPorts?: number[];
  /** also deny socket(AF_INET*, SOCK_DGRAM) and socket(AF_UNIX) with seccomp. */
  seccomp: boolean;
  argv: string[];
  cwd: string;
  /** the stage's whole environment (the launcher's own is not passed on). */
  env?: Record<string, string>;
  /** where the report goes (opened before confinement). */
  report: string;
  /** a named pipe cairn reads: the wrapper writes a byte to it once the stage has ended. */
  done?: string;
  /** probe only: confine, run argv, report; no subreaper scan needed. */
  probe?: boolean;
}

/** What the launcher writes to `report` (JSON). */
export interface LaunchReport {
  /** the stage's exit code (128+n for a signal), absent when it never started. */
  rc?: number;
  signal?: string | null;
  /** processes still alive after the command exited ("pid comm"). */
  leftover: string[];
  /** why confinement failed (nothing was started). */
  error?: string;
  abi?: number;
}

const SYS_CREATE = 444n, SYS_ADD = 445n, SYS_RESTRICT = 446n, SYS_CAPSET = 126n;
const SYS_GETTID = 186n;
const PR_SET_NO_NEW_PRIVS = 38, PR_SET_CHILD_SUBREAPER = 36, PR_SET_SECCOMP = 22;
const O_PATH = 0o10000000, O_CLOEXEC = 0o2000000, O_DIRECTORY = 0o200000;
const ENOENT = 2, ENOTDIR = 20;

// Access bits (include/uapi/linux/landlock.h).
const EXECUTE = 1n << 0n, WRITE_FILE = 1n << 1n, READ_FILE = 1n << 2n, READ_DIR = 1n << 3n;
const REFER = 1n << 13n, TRUNCATE = 1n << 14n, IOCTL_DEV = 1n << 15n;
const FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;

/** Every filesystem right the ABI knows. */
export function fsAll(abi: number): bigint {
  let all = (1n << 13n) - 1n;
  if (abi >= 2) all |= REFER;
  if (abi >= 3) all |= TRUNCATE;
  if (abi >= 5) all |= IOCTL_DEV;
  return all;
}

function accessFor(r: LaunchRule, abi: number, isDir: boolean): bigint {
  const all = fsAll(abi);
  let a = r.access === "ro"
    ? EXECUTE | READ_FILE | READ_DIR
    : r.access === "dev"
    ? READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV | READ_DIR
    : all;
  a &= all;
  return isDir ? a : a & FILE_ONLY;
}

type Libc = ReturnType<typeof openLibc>;

function openLibc() {
  return Deno.dlopen("libc.so.6", {
    syscall: { parameters: ["i64", "i64", "i64", "i64", "i64"], result: "i64" },
    prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
    open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    _exit: { parameters: ["i32"], result: "void" },
    __errno_location: { parameters: [], result: "pointer" },
    execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
    chdir: { parameters: ["buffer"], result: "i32" },
    signal: { parameters: ["i32", "pointer"], result: "pointer" },
    sigprocmask: { parameters: ["i32", "buffer", "pointer"], result: "i32" },
    dup2: { parameters: ["i32", "i32"], result: "i32" },
  }).symbols;
}

const errnoViews = new WeakMap<Libc, Deno.UnsafePointerView | null>();

/** errno of this thread (a Libc is opened per thread: __errno_location is per thread). */
function errno(c: Libc): number {
  let v = errnoViews.get(c);
  if (v === undefined) {
    const p = c.__errno_location();
    v = p ? new Deno.UnsafePointerView(p) : null;
    errnoViews.set(c, v);
  }
  return v ? v.getInt32() : 0;
}

function cstr(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s + "\0");
}

let filterBytes: Uint8Array | undefined;

/** Seccomp filter: socket(AF_UNIX) and socket(AF_INET/6, SOCK_DGRAM) -> EACCES. */
function seccompFilter(): Uint8Array {
  if (filterBytes) return filterBytes;
  // struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}
  const ins: [number, number, number, number][] = [];
  const LD_W_ABS = 0x20, JEQ_K = 0x15, JSET_K = 0x45, RET_K = 0x06, ALU_AND_K = 0x54;
  const ALLOW = 0x7fff0000, ERRNO_EACCES = 0x00050000 | 13, KILL = 0;
  ins.push([LD_W_ABS, 0, 0, 4]); // arch
  ins.push([JEQ_K, 1, 0, 0xc000003e]); // AUDIT_ARCH_X86_64
  ins.push([RET_K, 0, 0, ALLOW]);
  ins.push([LD_W_ABS, 0, 0, 0]); // nr
  ins.push([JEQ_K, 1, 0, 41]); // socket
  ins.push([RET_K, 0, 0, ALLOW]);
  ins.push([LD_W_ABS, 0, 0, 16]); // args[0] low word: domain
  ins.push([JEQ_K, 0, 1, 1]); // AF_UNIX
  ins.push([RET_K, 0, 0, ERRNO_EACCES]);
  ins.push([JEQ_K, 2, 0, 2]); // AF_INET
  ins.push([JEQ_K, 1, 0, 10]); // AF_INET6
  ins.push([RET_K, 0, 0, ALLOW]);
  ins.push([LD_W_ABS, 0, 0, 24]); // args[1] low word: type
  ins.push([ALU_AND_K, 0, 0, 0xf]);
  ins.push([JEQ_K, 0, 1, 2]); // SOCK_DGRAM
  ins.push([RET_K, 0, 0, ERRNO_EACCES]);
  ins.push([RET_K, 0, 0, ALLOW]);
  void JSET_K, KILL;
  const buf = new Uint8Array(ins.length * 8);
  const dv = new DataView(buf.buffer);
  ins.forEach(([code, jt, jf, k], i) => {
    dv.setUint16(i * 8, code, true);
    dv.setUint8(i * 8 + 2, jt);
    dv.setUint8(i * 8 + 3, jf);
    dv.setUint32(i * 8 + 4, k, true);
  });
  return filterBytes = buf;
}

function ptr(buf: BufferSource): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** Device nodes every stage may use (the rest of /dev is not even readable: raw disks). */
export const STD_DEVICES = [
  "/dev/null",
  "/dev/zero",
  "/dev/full",
  "/dev/random",
  "/dev/urandom",
  "/dev/tty",
  "/dev/ptmx",
  "/dev/pts",
];

/**
 * The rules every stage gets whatever its policy and project: `/proc`
 * without the numbered process folders (other processes' command lines and
 * cairn's environment stay unreadable), the standard device nodes and
 * `/dev/shm` (POSIX semaphores and shared memory: Python multiprocessing,
 * PyTorch data loaders). Kernel-made paths that do not change while a
 * launcher waits, so a launcher started ahead of time adds them before its
 * stage is known (most of the rules: ~60 of ~85 here).
 */
export function staticRules(): LaunchRule[] {
  const rules: LaunchRule[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (/^\d+$/.test(e.name) || e.name === "self" || e.name === "thread-self") continue;
    rules.push({ path: `/proc/${e.name}`, access: "ro" });
  }
  for (const d of STD_DEVICES) rules.push({ path: d, access: "dev" });
  rules.push({ path: "/dev/shm", access: "rw" });
  return rules;
}

const ruleKey = (r: LaunchRule) => `${r.access} ${r.path}`;

/**
 * Add one path-beneath rule per entry (missing paths skipped: optional
 * device nodes, dangling links); the rules added. One path buffer, errno
 * read on failures only: no allocation per FFI call (86 rules ~1 ms warm
 * instead of ~3-6 ms).
 */
function addPathRules(c: Libc, rs: number, rules: LaunchRule[], abi: number): LaunchRule[] {
  const added: LaunchRule[] = [];
  const rule = new Uint8Array(12);
  const dv = new DataView(rule.buffer);
  const rulePtr = ptr(rule);
  const rsArg = BigInt(rs);
  const enc = new TextEncoder();
  let path = new Uint8Array(4096);
  for (const r of rules) {
    // O_PATH opens (links followed) tell a folder from a file without a
    // Deno.statSync per rule, several times slower on a cold start.
    if (r.path.length * 3 + 1 > path.length) path = new Uint8Array(r.path.length * 3 + 1);
    path[enc.encodeInto(r.path, path).written] = 0;
    let isDir = true;
    let fd = c.open(path, O_PATH | O_CLOEXEC | O_DIRECTORY, 0);
    if (fd < 0 && errno(c) === ENOTDIR) {
      isDir = false;
      fd = c.open(path, O_PATH | O_CLOEXEC, 0);
    }
    if (fd < 0) {
      const e = errno(c);
      if (e === ENOENT) continue;
      throw new Error(`cannot open ${r.path} for a rule (errno ${e})`);
    }
    dv.setBigUint64(0, accessFor(r, abi, isDir), true);
    dv.setInt32(8, fd, true);
    const ok = Number(c.syscall(SYS_ADD, rsArg, 1n, rulePtr, 0n));
    const e = ok === 0 ? 0 : errno(c);
    c.close(fd);
    if (ok !== 0) throw new Error(`landlock_add_rule ${r.path} failed (errno ${e})`);
    added.push(r);
  }
  return added;
}

/** A ruleset built ahead of time (prebuildRuleset), not yet applied. */
export interface Prebuilt {
  fd: number;
  abi: number;
  net: "none" | "open";
  /** the rules it holds (paths missing then are not among them). */
  rules: LaunchRule[];
}

function createRuleset(c: Libc, abi: number, net: "none" | "open"): number {
  const attr = new BigUint64Array(3);
  attr[0] = fsAll(abi);
  attr[1] = net === "none" && abi >= 4 ? 3n : 0n; // BIND_TCP | CONNECT_TCP
  attr[2] = abi >= 6 ? 3n : 0n; // abstract unix sockets, signals outside the domain
  const rs = Number(c.syscall(SYS_CREATE, ptr(attr), abi >= 6 ? 24n : 16n, 0n, 0n));
  if (rs < 0) throw new Error(`landlock_create_ruleset failed (errno ${errno(c)})`);
  return rs;
}

/**
 * While a launcher waits for its stage: a ruleset holding `rules` (the
 * static ones), for a stage without network at the kernel's ABI; confine()
 * adds the stage's own rules to it when they include all of these, else
 * starts afresh. Undefined when Landlock is not there (confine() says why).
 */
export function prebuildRuleset(rules: LaunchRule[], c: Libc = openLibc()): Prebuilt | undefined {
  const abi = Number(c.syscall(SYS_CREATE, 0n, 0n, 1n, 0n));
  if (abi < 1) return undefined;
  const fd = createRuleset(c, abi, "none");
  try {
    return { fd, abi, net: "none", rules: addPathRules(c, fd, rules, abi) };
  } catch {
    c.close(fd);
    return undefined; // confine() reports real failures
  }
}

/**
 * Confine this thread (and what it starts) per `spec`; throws with the
 * reason. `pre`: a ruleset built ahead of time (prebuildRuleset), used when
 * it matches and holds nothing the spec does not; closed either way.
 */
export function confine(spec: LaunchSpec, c: Libc = openLibc(), pre?: Prebuilt): number {
  const kernelAbi = Number(c.syscall(SYS_CREATE, 0n, 0n, 1n, 0n));
  if (kernelAbi < 1) throw new Error(`Landlock is not available (errno ${errno(c)})`);
  const abi = Math.min(spec.abi, kernelAbi);
  if (c.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n) !== 0) {
    throw new Error(`prctl(NO_NEW_PRIVS) failed (errno ${errno(c)})`);
  }
  const wanted = new Set(spec.rules.map(ruleKey));
  let rs: number;
  let rules = spec.rules;
  if (
    pre && pre.abi === abi && pre.net === spec.net && pre.rules.every((r) => wanted.has(ruleKey(r)))
  ) {
    rs = pre.fd;
    const have = new Set(pre.rules.map(ruleKey));
    rules = spec.rules.filter((r) => !have.has(ruleKey(r)));
  } else {
    if (pre) c.close(pre.fd);
    rs = createRuleset(c, abi, spec.net);
  }
  addPathRules(c, rs, rules, abi);
  if (spec.net === "none" && abi >= 4) {
    // struct landlock_net_port_attr {u64 allowed_access; u64 port}: connect only.
    const net = new BigUint64Array(2);
    const netPtr = ptr(net);
    for (const port of spec.connectPorts ?? []) {
      net[0] = 2n; // LANDLOCK_ACCESS_NET_CONNECT_TCP
      net[1] = BigInt(port);
      if (Number(c.syscall(SYS_ADD, BigInt(rs), 2n, netPtr, 0n)) !== 0) {
        throw new Error(`landlock_add_rule for TCP port ${port} failed (errno ${errno(c)})`);
      }
    }
  } else if (spec.connectPorts?.length) {
    throw new Error(`kernel Landlock ABI ${abi} < 4 cannot restrict TCP to one port`);
  }
  if (spec.seccomp) {
    const filter = seccompFilter();
    const prog = new BigUint64Array(2);
    prog[0] = BigInt(filter.length / 8);
    prog[1] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(filter)));
    const p = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(prog)));
    if (c.prctl(PR_SET_SECCOMP, 2n, p, 0n, 0n) !== 0) {
      throw new Error(`seccomp filter refused (errno ${errno(c)})`);
    }
  }
  if (Deno.uid() === 0) {
    // Root keeps no capability (as bwrap --cap-drop ALL); with NO_NEW_PRIVS an
    // exec cannot give them back.
    const hdr = new Uint32Array([0x20080522, 0]);
    const data = new Uint32Array(6);
    const ok = c.syscall(
      SYS_CAPSET,
      BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(hdr))),
      BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(data))),
      0n,
      0n,
    );
    if (Number(ok) !== 0) throw new Error(`capset failed (errno ${errno(c)})`);
  }
  if (Number(c.syscall(SYS_RESTRICT, BigInt(rs), 0n, 0n, 0n)) !== 0) {
    throw new Error(`landlock_restrict_self failed (errno ${errno(c)})`);
  }
  c.close(rs);
  return abi;
}

/**
 * The wrapper the launcher execs into ($1: report file, $2: the named pipe
 * or "", $3: "9" when fd 9 lists the wrapper's children, then the stage's
 * argv). A trap (not an ignore, which the stage would inherit) keeps it
 * alive through an interrupt sent to the group, to report; the stage gets
 * the interrupt with default handling. It reaps adopted orphans as they die
 * (the shell waits for any child). When the stage has left no process (its
 * children file, opened before confinement, reads empty: every process the
 * stage left is below the wrapper, its child subreaper) it exits at once,
 * sparing cairn a look below it and a round trip; else it tells cairn
 * through the pipe and waits until cairn has killed the rest.
 */
const WRAPPER = [
  "r=$1; d=$2; k=$3; shift 3",
  "trap : INT TERM HUP",
  'if [ -n "$k" ]; then "$@" </dev/null 9<&-; else "$@" </dev/null; fi',
  "s=$?",
  `printf '{"rc":%d,"leftover":[]}\\n' "$s" >"$r" || exit "$s"`,
  'c=; [ -z "$k" ] || read -r c <&9 || :',
  '[ -z "$k" ] || [ -n "$c" ] || exit "$s"',
  // read-write: an open that never blocks, even when cairn is gone
  `[ -z "$d" ] || printf x 1<>"$d" || exit "$s"`,
  "while read -r _; do :; done",
  'exit "$s"',
].join("\n");

/**
 * The launcher's children list (its main thread's: the only thread after
 * exec, which keeps the pid), opened before confinement hides /proc/<pid>;
 * -1 when this is not the main thread or the file is not there.
 */
function openChildren(c: Libc): number {
  if (Number(c.syscall(SYS_GETTID, 0n, 0n, 0n, 0n)) !== Deno.pid) return -1;
  return c.open(cstr(`/proc/self/task/${Deno.pid}/children`), O_CLOEXEC, 0);
}

/** execve the wrapper running `spec.argv`; returns only on failure (the reason). */
function execStage(c: Libc, spec: LaunchSpec, children: number): string {
  const keep: Uint8Array<ArrayBuffer>[] = [];
  const list = (xs: string[]) => {
    const a = new BigUint64Array(xs.length + 1);
    xs.forEach((x, i) => {
      const b = cstr(x);
      keep.push(b);
      a[i] = ptr(b);
    });
    return a;
  };
  const argv = list([
    "/bin/sh",
    "-c",
    WRAPPER,
    "cairn-landlock",
    spec.report,
    spec.done ?? "",
    // fd 9 (a shell redirects single digits only): Deno's own there has
    // close-on-exec and is not used again before the exec.
    children >= 0 && c.dup2(children, 9) === 9 ? "9" : "",
    ...spec.argv,
  ]);
  const envp = list(
    Object.entries(spec.env ?? Deno.env.toObject()).map(([k, v]) => `${k}=${v}`),
  );
  if (c.chdir(cstr(spec.cwd)) !== 0) return `cannot enter ${spec.cwd} (errno ${errno(c)})`;
  // The Rust runtime ignores SIGPIPE, and an ignored signal stays ignored
  // across exec (a shell cannot even trap it then): give the stage the default.
  c.signal(13, null);
  c.sigprocmask(2, new Uint8Array(128), null); // SIG_SETMASK: nothing blocked
  c.execve(cstr("/bin/sh"), argv, envp);
  void keep;
  return `cannot start /bin/sh (errno ${errno(c)})`;
}

/** Children pids of `pid` (all its threads), or undefined when the kernel has no children files. */
function childrenOf(pid: number): number[] | undefined {
  let tasks: Deno.DirEntry[];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)];
  } catch {
    return []; // gone
  }
  const out: number[] = [];
  for (const t of tasks) {
    try {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`);
      for (const w of text.split(" ")) if (w.trim()) out.push(Number(w));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound && tasks.length === 1) return undefined;
    }
  }
  return out;
}

function procStat(pid: number): { comm: string; state: string; ppid: number } | undefined {
  let st: string;
  try {
    st = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  const close = st.lastIndexOf(")");
  const [state, ppid] = st.slice(close + 2).split(" ");
  return { comm: st.slice(st.indexOf("(") + 1, close), state, ppid: Number(ppid) };
}

/**
 * Descendants of `root` still alive (not zombies), from /proc: the
 * per-thread children lists when the kernel has them (a few reads when
 * nothing is left), else a scan of every process.
 */
export function descendants(root: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  const first = childrenOf(root);
  if (first !== undefined) {
    const stack = [...first];
    const seen = new Set<number>();
    while (stack.length) {
      const pid = stack.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const st = procStat(pid);
      if (!st) continue;
      if (st.state !== "Z") out.push({ pid, comm: st.comm });
      stack.push(...(childrenOf(pid) ?? []));
    }
    return out;
  }
  const kids = new Map<number, { pid: number; comm: string }[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const st = procStat(Number(e.name));
    if (!st || st.state === "Z") continue;
    const list = kids.get(st.ppid) ?? [];
    list.push({ pid: Number(e.name), comm: st.comm });
    kids.set(st.ppid, list);
  }
  const stack = [root];
  while (stack.length) {
    for (const k of kids.get(stack.pop()!) ?? []) {
      out.push(k);
      stack.push(k.pid);
    }
  }
  return out;
}

/**
 * Work that does not depend on the stage, done while a launcher started
 * ahead of time waits (each first FFI call also compiles its binding): the
 * static rules in a ruleset, no_new_privs (set again by confine()), the
 * seccomp filter's bytes.
 */
function warmUp(c: Libc): Prebuilt | undefined {
  c.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n);
  seccompFilter();
  try {
    return prebuildRuleset(staticRules(), c);
  } catch {
    return undefined; // /proc unreadable: confine() starts afresh and says why
  }
}

/**
 * Read one line from stdin (the spec); undefined at EOF before a newline.
 * Blocking: the launcher has nothing else to do meanwhile, and an async read
 * would hand the spec over from a pool thread (a wake-up more when it comes).
 */
function readLine(): string | undefined {
  const buf = new Uint8Array(64 * 1024);
  let line = "";
  const dec = new TextDecoder();
  for (;;) {
    const n = Deno.stdin.readSync(buf);
    if (n === null) return undefined;
    line += dec.decode(buf.subarray(0, n), { stream: true });
    const nl = line.indexOf("\n");
    if (nl >= 0) return line.slice(0, nl);
  }
}

/**
 * Confine this process and exec the wrapper that runs the stage (see the
 * module comment); a probe instead starts its command, reports and ends.
 *
 * `specPath` "-": the spec comes as the first line on stdin, as JSON (or
 * the path of a JSON file). cairn starts such a launcher ahead of time (the
 * next stage's, while nothing runs), so a stage does not wait for a Deno
 * start-up; EOF before a line ends it unused.
 */
export async function launcherMain(specPath: string): Promise<number> {
  let libc: Libc | undefined; // loaded while waiting for work
  try {
    libc = openLibc();
  } catch { /* confine() reports it */ }
  let pre: Prebuilt | undefined;
  let children = -1;
  let text: string;
  if (specPath === "-") {
    // Before the spec is read (it may be there already: a cold start), what
    // would be done after it otherwise; a spec on stdin is never a probe.
    if (libc) {
      libc.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
      children = openChildren(libc);
      pre = warmUp(libc);
    }
    const line = readLine();
    if (line === undefined) return 0;
    text = line.startsWith("{") ? line : Deno.readTextFileSync(line);
  } else text = Deno.readTextFileSync(specPath);
  const spec = JSON.parse(text) as LaunchSpec;
  const report = Deno.openSync(spec.report, { write: true, create: true, truncate: true });
  const send = (r: LaunchReport) => {
    report.writeSync(new TextEncoder().encode(JSON.stringify(r)));
    report.close();
  };
  if (libc && !spec.probe && specPath !== "-") {
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
    children = openChildren(libc);
  }
  let abi: number;
  try {
    // The wrapper writes the stage's status here (file rules, nothing beside them).
    const rules: LaunchRule[] = [...spec.rules];
    if (!spec.probe) rules.push({ path: spec.report, access: "rw" });
    if (!spec.probe && spec.done) rules.push({ path: spec.done, access: "rw" });
    abi = confine({ ...spec, rules }, libc, pre);
  } catch (e) {
    send({ leftover: [], error: (e as Error).message });
    return 125;
  }
  if (!spec.probe) {
    const why = libc ? execStage(libc, spec, children) : "libc not loaded";
    send({ leftover: [], error: why, abi });
    return 127;
  }
  // Interrupts go to the whole process group: stay alive to report.
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) Deno.addSignalListener(s, () => {});
  let status: Deno.CommandStatus;
  try {
    const child = new Deno.Command(spec.argv[0], {
      args: spec.argv.slice(1),
      cwd: spec.cwd,
      ...(spec.env ? { env: spec.env, clearEnv: true } : {}),
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    status = await child.status;
  } catch (e) {
    send({ leftover: [], error: `cannot start ${spec.argv[0]}: ${(e as Error).message}`, abi });
    return 127;
  }
  const rc = status.signal ? 128 + signo(status.signal) : status.code;
  send({ rc, signal: status.signal, leftover: [], abi });
  // Nothing left to flush: skip the runtime's teardown.
  libc?._exit(rc);
  return rc;
}

function signo(s: string): number {
  return ({
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGTERM: 15,
  } as Record<string, number>)[s] ?? 1;
}

if (import.meta.main) Deno.exit(await launcherMain(Deno.args[0]));
