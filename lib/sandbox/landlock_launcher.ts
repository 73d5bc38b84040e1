/**
 * The Landlock launcher: a separate process (never cairn's main process)
 * that confines itself with Landlock through FFI, then starts the stage
 * command, which inherits the domain. It also makes itself the child
 * subreaper so background processes the stage leaves behind are re-parented
 * to it, where cairn finds them in /proc and kills them; it reports the exit
 * code through a report file it opened before confining itself (the stage
 * cannot open it: no write rule covers it).
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
  /** also deny socket(AF_INET*, SOCK_DGRAM) and socket(AF_UNIX) with seccomp. */
  seccomp: boolean;
  argv: string[];
  cwd: string;
  /** where the report goes (opened before confinement). */
  report: string;
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
const PR_SET_NO_NEW_PRIVS = 38, PR_SET_CHILD_SUBREAPER = 36, PR_SET_SECCOMP = 22;
const O_PATH = 0o10000000, O_CLOEXEC = 0o2000000;

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
    __errno_location: { parameters: [], result: "pointer" },
  }).symbols;
}

function errno(c: Libc): number {
  const p = c.__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(s + "\0");
}

/** Seccomp filter: socket(AF_UNIX) and socket(AF_INET/6, SOCK_DGRAM) -> EACCES. */
function seccompFilter(): Uint8Array {
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
  return buf;
}

/** Confine this thread (and what it starts) per `spec`; throws with the reason. */
export function confine(spec: LaunchSpec): number {
  const c = openLibc();
  const kernelAbi = Number(c.syscall(SYS_CREATE, 0n, 0n, 1n, 0n));
  if (kernelAbi < 1) throw new Error(`Landlock is not available (errno ${errno(c)})`);
  const abi = Math.min(spec.abi, kernelAbi);
  if (c.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n) !== 0) {
    throw new Error(`prctl(NO_NEW_PRIVS) failed (errno ${errno(c)})`);
  }
  const attr = new BigUint64Array(3);
  attr[0] = fsAll(abi);
  attr[1] = spec.net === "none" && abi >= 4 ? 3n : 0n; // BIND_TCP | CONNECT_TCP
  attr[2] = abi >= 6 ? 3n : 0n; // abstract unix sockets, signals outside the domain
  const size = abi >= 6 ? 24n : 16n;
  const rs = Number(c.syscall(
    SYS_CREATE,
    BigInt(Deno.UnsafePointer.value(
      Deno.UnsafePointer.of(attr),
    )),
    size,
    0n,
    0n,
  ));
  if (rs < 0) throw new Error(`landlock_create_ruleset failed (errno ${errno(c)})`);
  const rule = new Uint8Array(12);
  const dv = new DataView(rule.buffer);
  const rulePtr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(rule)));
  for (const r of spec.rules) {
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(r.path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // optional (device nodes)
      throw e;
    }
    const fd = c.open(cstr(r.path), O_PATH | O_CLOEXEC, 0);
    if (fd < 0) throw new Error(`cannot open ${r.path} for a rule (errno ${errno(c)})`);
    dv.setBigUint64(0, accessFor(r, abi, st.isDirectory), true);
    dv.setInt32(8, fd, true);
    const ok = Number(c.syscall(SYS_ADD, BigInt(rs), 1n, rulePtr, 0n));
    const e = errno(c);
    c.close(fd);
    if (ok !== 0) throw new Error(`landlock_add_rule ${r.path} failed (errno ${e})`);
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

/** Descendants of `root` still alive (not zombies), from /proc. */
export function descendants(root: number): { pid: number; comm: string }[] {
  const kids = new Map<number, { pid: number; comm: string }[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let st: string;
    try {
      st = Deno.readTextFileSync(`/proc/${e.name}/stat`);
    } catch {
      continue;
    }
    const close = st.lastIndexOf(")");
    const comm = st.slice(st.indexOf("(") + 1, close);
    const [state, ppid] = st.slice(close + 2).split(" ");
    if (state === "Z") continue;
    const list = kids.get(Number(ppid)) ?? [];
    list.push({ pid: Number(e.name), comm });
    kids.set(Number(ppid), list);
  }
  const out: { pid: number; comm: string }[] = [];
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
 * Confine this process, start the stage, report its status, then (unless
 * probing) wait until cairn closes stdin: meanwhile the launcher, the child
 * subreaper, still holds the stage's orphaned background processes, which
 * cairn (unconfined) finds in /proc below the launcher and kills.
 */
export async function launcherMain(specPath: string): Promise<number> {
  const spec = JSON.parse(Deno.readTextFileSync(specPath)) as LaunchSpec;
  const report = Deno.openSync(spec.report, { write: true, create: true, truncate: true });
  const send = (r: LaunchReport) => {
    report.writeSync(new TextEncoder().encode(JSON.stringify(r)));
    report.close();
  };
  if (!spec.probe) openLibc().prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
  let abi: number;
  try {
    abi = confine(spec);
  } catch (e) {
    send({ leftover: [], error: (e as Error).message });
    return 125;
  }
  // Interrupts go to the whole process group: stay alive to report.
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) Deno.addSignalListener(s, () => {});
  let status: Deno.CommandStatus;
  try {
    const child = new Deno.Command(spec.argv[0], {
      args: spec.argv.slice(1),
      cwd: spec.cwd,
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
  if (!spec.probe) {
    // Until cairn has killed what the stage left behind.
    const buf = new Uint8Array(64);
    while ((await Deno.stdin.read(buf)) !== null) { /* wait for EOF */ }
  }
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
