/**
 * The text of violations, apart from violations.ts (17 KB) so that the CLI's
 * report callbacks, set up on every `repro`, load only this (issue 16).
 */
import type { Violation } from "./violations.ts";

/** A readable multi-line explanation of violations, for the stage failure message. */
export function formatViolations(violations: Violation[]): string {
  return violations.map((v) =>
    `  - ${v.message}${v.fix ? `\n    to allow it: ${v.fix.replace(/\n/g, "\n      ")}` : ""}`
  ).join("\n");
}
