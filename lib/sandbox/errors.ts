/**
 * Errors of the sandbox layer. Both are CairnErrors so the CLI prints
 * message + hint and exits with the code DVC would use for a failed stage.
 */
import { CairnError, ExitCode } from "../errors.ts";

/** Sandboxing was requested but cannot be enforced here (never run unconfined instead). */
export class SandboxUnavailableError extends CairnError {
  /** what is missing: "bwrap", "userns", "strace", ... */
  missing: string;
  constructor(missing: string, detail: string, hint: string) {
    super(`cannot sandbox stage: ${detail}`, {
      hint,
      exitCode: ExitCode.failure,
    });
    this.missing = missing;
  }
}

/** A stage's `meta: {sandbox: ...}` is malformed or asks for something refused. */
export class SandboxGrantError extends CairnError {
  stage?: string;
  constructor(stage: string | undefined, detail: string, hint?: string) {
    super(
      stage ? `stage '${stage}': meta.sandbox: ${detail}` : `sandbox: ${detail}`,
      { hint, exitCode: ExitCode.failure },
    );
    this.stage = stage;
  }
}
