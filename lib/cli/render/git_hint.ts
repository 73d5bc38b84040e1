/** DVC's "To track the changes with git" hint (paths relative to cwd, sorted). */
import { isAbsolute, relative } from "../../path.ts";

export function gitAddHint(cwd: string, files: string[]): string {
  const rels = files.map((f) => (isAbsolute(f) ? relative(cwd, f) : f)).sort();
  return `\nTo track the changes with git, run:\n\n\tgit add ${rels.join(" ")}\n\n` +
    `To enable auto staging, run:\n\n\tcairn config core.autostage true\n`;
}
