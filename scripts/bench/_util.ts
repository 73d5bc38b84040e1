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
