/**
 * What each sandbox backend guarantees, and whether it works here (for
 * `cairn doctor` and docs/sandbox.md). Probes for real: a trial bwrap run, a
 * trial Landlock launcher.
 */
import {
  type BackendChoice,
  sandboxAvailable,
  type SandboxBackend,
  sandboxBackendChoice,
} from "./availability.ts";
import { probeLandlock } from "./landlock.ts";

/** One guarantee of a backend. */
export interface Guarantee {
  what: string;
  /** yes: enforced; partial: enforced with the limit in `note`; no: not enforced. */
  held: "yes" | "partial" | "no";
  note?: string;
}

/** One backend on this machine. */
export interface BackendReport {
  name: SandboxBackend;
  works: boolean;
  /** why it does not work here. */
  problem?: string;
  /** version / kernel ABI. */
  detail?: string;
  guarantees: Guarantee[];
}

export interface SandboxReport {
  /** what was asked for (`--sandbox-backend`, `sandbox.backend`, default auto). */
  choice: BackendChoice;
  /** the backend that would be used, if any. */
  chosen?: SandboxBackend;
  backends: BackendReport[];
}

const BWRAP: Guarantee[] = [
  { what: "filesystem read-only except outputs and write grants", held: "yes" },
  {
    what: "only declared outputs created beside existing files",
    held: "yes",
    note: "others undone after the run",
  },
  { what: "hermetic: undeclared project files hidden", held: "yes" },
  { what: "private /tmp", held: "yes" },
  { what: "DVC cache, .git, .dvc untouchable", held: "yes" },
  { what: "no TCP unless granted", held: "yes" },
  {
    what: "no UDP / Unix-socket escape (docker.sock, dbus)",
    held: "yes",
    note: "own network namespace, private /run",
  },
  { what: "host-list network grants (filtering proxy)", held: "yes" },
  { what: "own pid namespace (host processes invisible, unsignalable)", held: "yes" },
  { what: "background processes killed and reported", held: "yes" },
  { what: "environment limited to granted names", held: "yes" },
  { what: "GPU devices (devices: [gpu])", held: "yes" },
  {
    what: "exact violation reports (strace)",
    held: "yes",
    note: "hermetic, when strace is installed",
  },
];

function landlockGuarantees(abi: number): Guarantee[] {
  return [
    { what: "filesystem read-only except outputs and write grants", held: "yes" },
    {
      what: "only declared outputs created beside existing files",
      held: "partial",
      note: "in a folder with other files only the declared outputs are writable, in place: " +
        "no temp files, renames or new folders there (cairn creates each missing output " +
        "beforehand, a folder when declared with a trailing slash); give outputs their own folder",
    },
    { what: "hermetic: undeclared project files hidden", held: "yes" },
    {
      what: "private /tmp",
      held: "partial",
      note: "host /tmp neither readable nor writable; TMPDIR is a private folder; /dev/shm " +
        "(semaphores, shared memory) is the host's",
    },
    {
      what: "DVC cache, .git, .dvc untouchable",
      held: "partial",
      note: "contents protected; Landlock does not cover chmod/chown/utime of files the user owns",
    },
    {
      what: "no TCP unless granted",
      held: abi >= 4 ? "yes" : "no",
      note: abi >= 4 ? undefined : `kernel Landlock ABI ${abi} < 4: runs needing it are refused`,
    },
    {
      what: "no UDP / Unix-socket escape (docker.sock, dbus)",
      held: "yes",
      note: "seccomp refuses UDP and Unix-domain sockets, which Landlock does not cover",
    },
    {
      what: "host-list network grants (filtering proxy)",
      held: abi >= 4 ? "partial" : "no",
      note: abi >= 4
        ? "HTTP(S)_PROXY points at cairn's filtering proxy on a 127.0.0.1 port, the only TCP " +
          "port the stage may connect to; Landlock filters ports, not addresses, so any host " +
          "listening on that same port number is reachable too, and other local users can use " +
          "the proxy while the stage runs; UDP is refused by seccomp, not Landlock"
        : `kernel Landlock ABI ${abi} < 4: refused before running`,
    },
    {
      what: "own pid namespace (host processes invisible, unsignalable)",
      held: abi >= 6 ? "partial" : "no",
      note: abi >= 6
        ? "processes visible in /proc; signals outside the sandbox refused (ABI >= 6)"
        : "processes visible and signalable like the user's own",
    },
    { what: "background processes killed and reported", held: "yes", note: "child subreaper" },
    { what: "environment limited to granted names", held: "yes" },
    { what: "GPU devices (devices: [gpu])", held: "yes" },
    {
      what: "exact violation reports (strace)",
      held: "no",
      note: "messages and post-run checks only; --explain-inputs needs bwrap",
    },
  ];
}

/** Probe every backend and say which one `choice` would use. */
export async function sandboxReport(choice = sandboxBackendChoice()): Promise<SandboxReport> {
  const b = await sandboxAvailable();
  const ll = await probeLandlock();
  const backends: BackendReport[] = [
    {
      name: "bwrap",
      works: b.available,
      problem: b.available ? undefined : b.problems.join("; "),
      detail: b.bwrap ? `${b.bwrap}${b.bwrapVersion ? ` ${b.bwrapVersion}` : ""}` : undefined,
      guarantees: BWRAP,
    },
    {
      name: "landlock",
      works: ll.works,
      problem: ll.works ? undefined : ll.problem,
      detail: ll.abi ? `kernel ABI ${ll.abi}` : undefined,
      guarantees: landlockGuarantees(ll.abi),
    },
  ];
  const works = (n: SandboxBackend) => backends.find((x) => x.name === n)!.works;
  const chosen = choice === "auto"
    ? works("bwrap") ? "bwrap" : works("landlock") ? "landlock" : undefined
    : works(choice)
    ? choice
    : undefined;
  return { choice, chosen, backends };
}
