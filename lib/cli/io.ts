/** Terminal output for the CLI: the only place (with lib/cli) that writes to stdout/stderr. */

const enc = new TextEncoder();

export interface Io {
  /** print a line (or text) to stdout; a newline is added unless the text ends with one. */
  out(text: string): void;
  /** print to stderr (warnings, errors, progress). */
  err(text: string): void;
  /** informational message: stderr-free, suppressed by -q. */
  info(text: string): void;
  warn(text: string): void;
  debug(text: string): void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** stdin is a terminal: confirmation prompts may ask (otherwise they refuse). */
  readonly stdinIsTTY: boolean;
  /**
   * Receives what stage commands print. Absent: they write to cairn's own
   * stdout/stderr directly (the terminal); an in-memory Io sets it so a
   * command run in-process (tests) captures their output too.
   */
  childOutput?: (stream: "stdout" | "stderr", data: Uint8Array) => void;
  quiet: boolean;
  verbose: boolean;
}

function writeAll(fd: { writeSync(p: Uint8Array): number }, text: string) {
  const data = enc.encode(text.endsWith("\n") ? text : text + "\n");
  let off = 0;
  while (off < data.length) off += fd.writeSync(data.subarray(off));
}

export function terminalIo(): Io {
  const io: Io = {
    quiet: false,
    verbose: false,
    stdoutIsTTY: Deno.stdout.isTerminal(),
    stderrIsTTY: Deno.stderr.isTerminal(),
    stdinIsTTY: Deno.stdin.isTerminal(),
    out: (t) => writeAll(Deno.stdout, t),
    err: (t) => writeAll(Deno.stderr, t),
    info: (t) => {
      if (!io.quiet) writeAll(Deno.stdout, t);
    },
    warn: (t) => writeAll(Deno.stderr, `WARNING: ${t}`),
    debug: (t) => {
      if (io.verbose) writeAll(Deno.stderr, `DEBUG: ${t}`);
    },
  };
  return io;
}

/** Collects output in memory (tests of rendering code). */
export function bufferIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io = {
    quiet: false,
    verbose: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    stdinIsTTY: false,
    stdout,
    stderr,
    out: (t: string) => void stdout.push(t),
    err: (t: string) => void stderr.push(t),
    info: (t: string) => {
      if (!io.quiet) stdout.push(t);
    },
    warn: (t: string) => void stderr.push(`WARNING: ${t}`),
    debug: (t: string) => {
      if (io.verbose) stderr.push(`DEBUG: ${t}`);
    },
  };
  return io;
}

/**
 * Collects everything as a terminal would receive it through pipes: text
 * with the same newline rule as terminalIo, and stage commands' output
 * (childOutput) in between. For running main() in-process (tests).
 */
export function captureIo(): Io & { stdoutText(): string; stderrText(): string } {
  let out = "";
  let err = "";
  const line = (t: string) => t.endsWith("\n") ? t : t + "\n";
  const dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const io = {
    quiet: false,
    verbose: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    stdinIsTTY: false,
    out: (t: string) => void (out += line(t)),
    err: (t: string) => void (err += line(t)),
    info: (t: string) => {
      if (!io.quiet) out += line(t);
    },
    warn: (t: string) => void (err += line(`WARNING: ${t}`)),
    debug: (t: string) => {
      if (io.verbose) err += line(`DEBUG: ${t}`);
    },
    childOutput: (stream: "stdout" | "stderr", data: Uint8Array) => {
      const text = dec[stream].decode(data, { stream: true });
      if (stream === "stdout") out += text;
      else err += text;
    },
    stdoutText: () => out,
    stderrText: () => err,
  };
  return io;
}
