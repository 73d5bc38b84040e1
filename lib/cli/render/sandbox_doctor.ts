/** `cairn doctor`: the sandbox backends, whether they work here, and what the chosen one guarantees. */
import type { SandboxReport } from "../../sandbox/backends.ts";

const MARK = { yes: "yes", partial: "partly", no: "NO" } as const;

/** Text lines for the doctor report. */
export function sandboxDoctorText(r: SandboxReport): string {
  const lines = ["Sandbox backends:"];
  for (const b of r.backends) {
    lines.push(
      `  ${b.name}: ${b.works ? "works" : "does not work"}${b.detail ? ` (${b.detail})` : ""}` +
        (b.problem ? `: ${b.problem}` : ""),
    );
  }
  if (!r.chosen) {
    lines.push(
      `Sandbox backend (${r.choice}): none usable here; --sandbox runs are refused`,
    );
    return lines.join("\n");
  }
  lines.push(`Sandbox backend (${r.choice}): ${r.chosen}; it guarantees:`);
  const g = r.backends.find((b) => b.name === r.chosen)!.guarantees;
  const w = Math.max(...g.map((x) => x.what.length));
  for (const x of g) {
    lines.push(`  ${x.what.padEnd(w)}  ${MARK[x.held]}${x.note ? ` (${x.note})` : ""}`);
  }
  return lines.join("\n");
}
