/** The lines `repro` prints for its events, worded as DVC prints them. */
import type { ReproEvent } from "../../repo/reproduce.ts";

export interface ReproLine {
  text: string;
  /** warnings go to stderr. */
  warn?: boolean;
}

/** `parallel`: several stages at once, so stage-specific lines carry the stage name. */
export function reproEventLine(e: ReproEvent, parallel = false): ReproLine | null {
  switch (e.type) {
    case "separator":
      return { text: "" };
    case "frozen":
      return {
        text: `stage: '${e.address}' is frozen. Its dependencies are not going to be reproduced.`,
        warn: true,
      };
    case "skip":
      return {
        text: e.dataSource
          ? `'${e.address}' didn't change, skipping`
          : `Stage '${e.address}' didn't change, skipping`,
      };
    case "cached":
      return { text: `Stage '${e.address}' is cached - skipping run, checking out outputs` };
    case "running":
      return { text: `Running stage '${e.address}':` };
    case "command":
      return { text: parallel ? `[${e.address}] > ${e.cmd}` : `> ${e.cmd}` };
    case "verify":
      return {
        text: e.what === "outputs"
          ? `Verifying outputs in frozen stage: '${e.address}'`
          : `Verifying data sources in stage: '${e.address}'`,
      };
    case "lock": {
      const lines: string[] = [];
      if (e.generated) lines.push(`Generating lock file '${e.file}'`);
      if (e.updated) lines.push(`Updating lock file '${e.file}'`);
      return lines.length ? { text: lines.join("\n") } : null;
    }
    case "failed": {
      const msg = e.error instanceof Error ? e.error.message : String(e.error);
      return { text: `failed to reproduce '${e.address}': ${msg}`, warn: true };
    }
    case "pull":
      return { text: `Pulling data for stage: '${e.address}'` };
    case "pull-failed":
      return { text: `Unable to pull data for stage: '${e.address}'` };
    case "skip-failed-upstream":
      return { text: `skipping '${e.address}' because upstream '${e.upstream}' failed` };
  }
}

export const PUSH_HINT = "Use `cairn push` to send your updates to remote storage.";
