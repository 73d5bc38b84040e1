/** Text of sandbox reports: `repro --explain-inputs`, non-fatal notices, `runners list`. */
import type { InputsReport } from "../../sandbox/explain_inputs.ts";
import type { Violation } from "../../sandbox/violations.ts";
import { formatViolations } from "../../sandbox/violation_text.ts";
import type { CommandInfo } from "../../pipeline/run_stage.ts";

const list = (xs: string[], indent: string) => xs.map((x) => `${indent}- ${x}`).join("\n");

/** One stage command's declared-vs-read inputs, with the dvc.yaml fix. */
export function inputsReportText(address: string, r: InputsReport, info: CommandInfo): string {
  const head = `Inputs of stage '${address}' (${info.cmd}):`;
  if (!r.readUndeclared.length && !r.declaredUnread.length) {
    return `${head}\n  deps match what the command read (${r.declaredRead.length} declared, all read)`;
  }
  const parts = [head];
  if (r.readUndeclared.length) {
    parts.push(`  read but not declared:\n${list(r.readUndeclared, "    ")}`);
  }
  if (r.declaredUnread.length) {
    parts.push(`  declared but never read:\n${list(r.declaredUnread, "    ")}`);
  }
  parts.push(
    `  suggested dvc.yaml fix (stage '${address}'):\n    deps:\n${list(r.suggestedDeps, "      ")}`,
  );
  return parts.join("\n");
}

/** What the sandbox stopped in a stage that still succeeded. */
export function noticeText(address: string, vs: Violation[], info: CommandInfo): string {
  return `stage '${address}': the sandbox (policy ${info.policy}, runner ${info.runner}) ` +
    `stopped this, which did not fail the stage:\n${formatViolations(vs)}`;
}
