/** Helpers shared by benchmark modules (timing, shell references). */

/** Wall time of `fn` in seconds. */
export async function timeIt(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Wall time of a shell command in seconds (fails loudly on error). */
export async function timeShell(script: string, cwd?: string): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command("sh", {
    args: ["-c", script],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  const t = (performance.now() - t0) / 1000;
  if (!out.success) {
    throw new Error(`'${script}' failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return t;
}

export async function shell(script: string, cwd?: string): Promise<void> {
  await timeShell(script, cwd);
}

/** Deterministic pseudo-random bytes (xorshift), fast enough for GiB inputs. */
export function fillRandom(buf: Uint8Array, seed: number): void {
  const u32 = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >> 2);
  let x = seed | 1;
  for (let i = 0; i < u32.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    u32[i] = x;
  }
}

/** One process run under `/usr/bin/time`: wall and CPU seconds, peak RSS, output. */
export interface Measured {
  seconds: number;
  /** user + sys CPU seconds (of the process and the children it waited for). */
  cpu: number;
  /** peak resident set size in KiB (`/usr/bin/time -v`'s "Maximum resident set size"). */
  rssKiB: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `cmd args` under `/usr/bin/time` (throws with its output when it
 * fails): wall time measured here (time(1)'s has 10 ms steps), CPU and peak
 * RSS from time(1).
 */
export async function measure(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Measured> {
  const out = Deno.makeTempFileSync({ prefix: "cairn-bench-time-" });
  try {
    const t0 = performance.now();
    const r = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "%U %S %M", "-o", out, cmd, ...args],
      cwd: opts.cwd,
      env: opts.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - t0) / 1000;
    const dec = new TextDecoder();
    const stdout = dec.decode(r.stdout);
    const stderr = dec.decode(r.stderr);
    if (!r.success) {
      throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}): ${stderr}${stdout}`);
    }
    const last = Deno.readTextFileSync(out).trim().split("\n").pop() ?? "";
    const [u, s, m] = last.split(" ").map(Number);
    return { seconds, cpu: u + s, rssKiB: m, stdout, stderr };
  } finally {
    Deno.removeSync(out);
  }
}

/** `measure` of a shell script. */
export function measureShell(script: string, cwd?: string): Promise<Measured> {
  return measure("sh", ["-c", script], { cwd });
}

/** The run with the least wall time of `n` (on a shared machine the least disturbed one). */
export async function bestOf(n: number, fn: () => Promise<Measured>): Promise<Measured> {
  let best: Measured | undefined;
  for (let i = 0; i < n; i++) {
    const m = await fn();
    if (!best || m.seconds < best.seconds) best = m;
  }
  return best!;
}

/**
 * `n` files of `size` bytes, distinct contents, spread over `folders`
 * folders: `dir/d<i % folders>/f<i>`.
 */
export function writeTree(dir: string, n: number, size = 1024, folders = 100): void {
  const buf = new Uint8Array(size);
  for (let d = 0; d < Math.min(folders, n); d++) {
    Deno.mkdirSync(`${dir}/d${d}`, { recursive: true });
  }
  for (let i = 0; i < n; i++) {
    fillRandom(buf, 2 * i + 1); // odd seeds: fillRandom uses seed | 1
    Deno.writeFileSync(`${dir}/d${i % folders}/f${i}`, buf);
  }
}

/** One file of `mib` MiB of pseudo-random bytes. */
export function writeBigFile(path: string, mib: number): void {
  const chunk = new Uint8Array(1 << 20);
  const f = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    for (let i = 0; i < mib; i++) {
      fillRandom(chunk, i + 1);
      let off = 0;
      while (off < chunk.length) off += f.writeSync(chunk.subarray(off));
    }
  } finally {
    f.close();
  }
}
