/**
 * The CLI's per-run sandbox choices, kept apart from the backends: `repro`
 * sets them on every run, and importing availability.ts / landlock.ts for
 * that would load ~75 KB of sandbox modules on a no-op repro (issue 16).
 * Those modules read the choices here once a stage actually runs sandboxed.
 */

/** The sandbox implementations. */
export type SandboxBackend = "bwrap" | "landlock";
/** What the user asks for: a backend, or the best one that works here. */
export type BackendChoice = "auto" | SandboxBackend;
export const BACKEND_CHOICES: BackendChoice[] = ["auto", "bwrap", "landlock"];

let preferred: BackendChoice = "auto";
let launcherWanted = false;

/**
 * The backend for this cairn run when a caller names none (set once by the
 * CLI from `repro --sandbox-backend`, else `sandbox.backend` in .dvc/cairn.yaml).
 */
export function setSandboxBackend(choice: BackendChoice | undefined): void {
  preferred = choice ?? "auto";
}

/** The backend choice in effect (see setSandboxBackend). */
export function sandboxBackendChoice(): BackendChoice {
  return preferred;
}

/** Parse a backend word (`repro --sandbox-backend`, `sandbox.backend`). */
export function parseBackend(value: unknown): BackendChoice | undefined {
  return typeof value === "string" && (BACKEND_CHOICES as string[]).includes(value)
    ? value as BackendChoice
    : undefined;
}

/**
 * Whether a Landlock launcher should be kept started ahead of time (see
 * keepLandlockLauncherReady in landlock.ts, which also ends a waiting one).
 */
export function wantLandlockLauncher(on = true): void {
  launcherWanted = on;
}

/** See wantLandlockLauncher. */
export function landlockLauncherWanted(): boolean {
  return launcherWanted;
}
