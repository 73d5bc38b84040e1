/**
 * Timing spans and counters for profiling what a command spends its time on.
 * Off unless the environment has CAIRN_TRACE set (then the CLI prints a
 * summary to stderr at exit); when off every call costs one boolean test.
 */

import { ignoreDenied } from "./errors.ts";

let on: boolean | undefined;

/** True when CAIRN_TRACE is set (checked once). */
export function tracing(): boolean {
  if (on === undefined) {
    try {
      on = !!Deno.env.get("CAIRN_TRACE");
    } catch (err) {
      ignoreDenied(err);
      on = false; // no env permission
    }
  }
  return on;
}

/** Per span: wall and CPU time, and the process's peak RSS when it last ended (which span raised it). */
const spans = new Map<string, { ms: number; calls: number; cpu: number; peak: number }>();

/** CPU ms (user + sys, all threads) of this process so far; 0 without /proc. */
function cpuMs(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 100 Hz ticks
  } catch {
    return 0; // a figure for traces only: without /proc (or permission to read it), none
  }
}
/** Peak resident set so far (VmHWM) in MiB; 0 without /proc. */
function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0; // as cpuMs()
  }
}

const counts = new Map<string, number>();
const marks: [string, number][] = [];

function record(name: string, ms: number, cpu: number): void {
  const peak = peakRssMiB();
  const s = spans.get(name);
  if (s) {
    s.ms += ms;
    s.cpu += cpu;
    s.calls++;
    s.peak = peak;
  } else spans.set(name, { ms, calls: 1, cpu, peak });
}

/** Run `fn`, adding its wall time to span `name`. */
export function span<T>(name: string, fn: () => T): T {
  if (!tracing()) return fn();
  const t0 = performance.now();
  const c0 = cpuMs();
  try {
    return fn();
  } finally {
    record(name, performance.now() - t0, cpuMs() - c0);
  }
}

/** Async form of span(). */
export async function spanAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!tracing()) return await fn();
  const t0 = performance.now();
  const c0 = cpuMs();
  try {
    return await fn();
  } finally {
    record(name, performance.now() - t0, cpuMs() - c0);
  }
}

/** Add `n` to counter `name`. */
export function traceCount(name: string, n = 1): void {
  if (tracing()) counts.set(name, (counts.get(name) ?? 0) + n);
}

/** Remember the time since the runtime started (e.g. "modules loaded"). */
export function traceMark(name: string): void {
  if (tracing()) marks.push([name, performance.now()]);
}

/** The summary lines (empty when tracing is off). */
export function traceReport(): string[] {
  if (!tracing()) return [];
  const fmt = (ms: number) => ms.toFixed(1).padStart(9);
  const lines: string[] = [];
  for (const [name, at] of marks) lines.push(`trace: ${fmt(at)} ms  @ ${name}`);
  for (const [name, s] of spans) {
    const calls = s.calls > 1 ? ` (${s.calls} calls)` : "";
    const cost = `cpu ${s.cpu} ms (all threads), peak rss ${s.peak} MiB`;
    lines.push(`trace: ${fmt(s.ms)} ms  ${name}${calls}, ${cost}`);
  }
  for (const [name, n] of counts) lines.push(`trace: ${String(n).padStart(9)}     ${name}`);
  lines.push(
    `trace: ${fmt(performance.now())} ms  @ exit, cpu ${cpuMs()} ms, peak rss ${peakRssMiB()} MiB`,
  );
  return lines;
}
