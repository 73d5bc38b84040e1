/** Helpers shared by the pipeline e2e tests. */

/** Stages that ran (or were restored from the run-cache), in order. */
export function ran(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^Running stage '(.+)':$/.exec(line) ??
      /^Stage '(.+)' is cached - skipping run/.exec(line);
    if (m && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}
