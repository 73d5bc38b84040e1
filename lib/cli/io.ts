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
