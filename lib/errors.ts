/**
 * Typed errors. Every failure cairn reports is a CairnError carrying the exit
 * code DVC would use, so `lib/cli` only has to print `message` (+ `hint`) and
 * return `exitCode`.
 */

/** DVC's exit codes (dvc/cli/__init__.py). */
export const ExitCode = {
  /** success. */
  ok: 0,
  /** a command failed. */
  failure: 1,
  /** bad configuration. */
  config: 251,
  /** interrupted (Ctrl-C). */
  interrupted: 252,
  /** not inside a repository. */
  notARepo: 253,
  /** bad command line. */
  usage: 254,
  /** anything else. */
  other: 255,
} as const;

/** Options of `new CairnError()`. */
export interface CairnErrorOptions {
  /** what the user can do about it (printed after the message). */
  hint?: string;
  /** the underlying error. */
  cause?: unknown;
  /** exit code (default 1). */
  exitCode?: number;
}

/**
 * Every failure cairn reports: a message, an optional hint and the exit code
 * DVC would use.
 *
 * @example
 * ```ts
 * import { CairnError, openRepo } from "@cairn/cairn";
 * try {
 *   openRepo("/");
 * } catch (e) {
 *   if (e instanceof CairnError) console.log(e.exitCode, e.message); // 253 ...
 * }
 * ```
 */
export class CairnError extends Error {
  /** the process exit code for this error (DVC's). */
  exitCode: number;
  /** what the user can do about it. */
  hint?: string;
  /** An error with `message` (exit code 1 unless `opts.exitCode`). */
  constructor(message: string, opts: CairnErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? ExitCode.failure;
    this.hint = opts.hint;
  }
}

/** Not inside a repository (exit code 253). */
export class NotARepoError extends CairnError {
  /** `dir`: where the search started. */
  constructor(dir: string) {
    super(
      `you are not inside of a DVC repository (checked up to mount point '/')`,
      { exitCode: ExitCode.notARepo, hint: `run 'cairn init' in ${dir}` },
    );
  }
}

/** Bad arguments (exit code 254). */
export class UsageError extends CairnError {
  /** A usage error with an optional hint. */
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, hint });
  }
}

/** Bad configuration (exit code 251). */
export class ConfigError extends CairnError {
  /** A configuration error. */
  constructor(message: string, opts: CairnErrorOptions = {}) {
    super(message, { ...opts, exitCode: ExitCode.config });
  }
}

/** Stopped by the user (exit code 252). */
export class InterruptedError extends CairnError {
  /** The interruption. */
  constructor() {
    super("interrupted by the user", { exitCode: ExitCode.interrupted });
  }
}

/** A YAML/INI/JSON file that cannot be parsed or does not fit its schema. */
export class DvcFileSyntaxError extends CairnError {
  /** the file. */
  path: string;
  /** 1-based line of the problem, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** `detail` says what is wrong at `pos`. */
  constructor(
    path: string,
    detail: string,
    pos: { line?: number; column?: number } = {},
  ) {
    const where = pos.line !== undefined
      ? `${path}:${pos.line}${pos.column !== undefined ? `:${pos.column}` : ""}`
      : path;
    super(`'${path}' is invalid: ${where}: ${detail}`);
    this.path = path;
    this.line = pos.line;
    this.column = pos.column;
  }
}

/** The stages depend on each other in a circle. */
export class CyclicGraphError extends CairnError {
  /** the stages on the cycle. */
  cycle: string[];
  /** The cycle's stages. */
  constructor(cycle: string[]) {
    super(`Pipeline has a cycle involving: ${cycle.join(", ")}.`, { exitCode: ExitCode.other });
    this.cycle = cycle;
  }
}

/** A path that is no stage's output. */
export class OutputNotFoundError extends CairnError {
  /** The path asked for. */
  constructor(path: string) {
    super(`output '${path}' does not exist`);
  }
}

/** A target that names no stage or file. */
export class StageNotFoundError extends CairnError {
  /** The target asked for. */
  constructor(target: string) {
    super(`'${target}' does not exist`);
  }
}

/** Some outputs could not be checked out (their data is not in the cache). */
export class CheckoutError extends CairnError {
  /** the outputs that failed. */
  targets: string[];
  /** `details`: lines after the targets saying why (e.g. a corrupted cache object). */
  constructor(targets: string[], details: string[] = []) {
    super(
      `Checkout failed for following targets:\n${targets.join("\n")}\n${
        details.map((d) => `${d}\n`).join("")
      }Is your cache up to date?\n<https://error.dvc.org/missing-files>`,
    );
    this.targets = targets;
  }
}

/** Another cairn or DVC process holds the repository lock. */
export class RepoLockedError extends CairnError {
  /** `lockPath`: the lock file. */
  constructor(lockPath: string) {
    super(
      `Unable to acquire lock. Most likely another DVC or cairn process is running or was terminated abruptly.`,
      { hint: `If no other process is running, remove '${lockPath}'.` },
    );
  }
}

/** A stage failed during `repro`. */
export class ReproductionError extends CairnError {
  /** What failed. */
  constructor(message: string, opts: CairnErrorOptions = {}) {
    super(message, opts);
  }
}

/**
 * DVC's `ConfigError` as its CLI prints it, "configuration error - config file
 * error: DETAIL" (exit code 251).
 */
export class ConfigFileError extends ConfigError {
  /** what is wrong, without the prefix. */
  detail: string;
  /** `detail`: what is wrong with the configuration. */
  constructor(detail: string, opts: CairnErrorOptions = {}) {
    super(`configuration error - config file error: ${detail}`, opts);
    this.detail = detail;
  }
}

/** No remote given and no default remote (DVC's `NoRemoteError`, exit code 251). */
export class NoRemoteError extends ConfigFileError {}

/** A remote name that is not configured (DVC's `RemoteNotFoundError`, exit code 251). */
export class RemoteNotFoundError extends ConfigFileError {
  /** `name`: the remote asked for. */
  constructor(name: string, opts: CairnErrorOptions = {}) {
    super(`remote '${name}' doesn't exist`, opts);
  }
}

/** A git revision that names no commit. */
export class UnknownRevisionError extends CairnError {
  /** `rev`: as given; `repo`: the repository searched, when it is not the current one. */
  constructor(rev: string, repo?: string) {
    super(`unknown Git revision '${rev}'${repo === undefined ? "" : ` in '${repo}'`}`);
  }
}

/** A git command that failed (DVC's `SCMError`). */
export class ScmError extends CairnError {
  /** `what` failed; `detail`: git's own message. */
  constructor(what: string, detail: string, opts: CairnErrorOptions = {}) {
    super(`${what}: ${detail}`, opts);
  }
}

/** An output that is already there (and overwriting it was not asked for). */
export class PathExistsError extends CairnError {
  /** `path`: as the user gave it. */
  constructor(path: string, hint?: string) {
    super(`'${path}' already exists`, { hint });
  }
}

/**
 * In a `catch`: a missing path (NotFound, or a parent that is a file; also as
 * the cause of an `fsError`) is expected and ignored; anything else
 * (permissions, I/O) is thrown on.
 */
export function ignoreNotFound(err: unknown): void {
  const e = err instanceof CairnError && err.cause !== undefined ? err.cause : err;
  if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw err;
}

/**
 * In a `catch`: a denied permission (Deno's NotCapable, as in a plugin Worker
 * or a script with narrow grants; the OS's EACCES) is expected and ignored;
 * anything else is thrown on.
 */
export function ignoreDenied(err: unknown): void {
  if (!(err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied)) {
    throw err;
  }
}

/** Translate Deno filesystem errors into a user-facing CairnError. */
export function fsError(
  err: unknown,
  action: string,
  path: string,
): CairnError {
  if (err instanceof CairnError) return err;
  if (err instanceof Deno.errors.PermissionDenied) {
    return new CairnError(`permission denied while ${action} '${path}'`, {
      cause: err,
    });
  }
  if (err instanceof Deno.errors.NotFound) {
    return new CairnError(`'${path}' does not exist`, { cause: err });
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (/ENOSPC|No space left/i.test(msg)) {
    return new CairnError(`no space left on device while ${action} '${path}'`, {
      cause: err,
    });
  }
  return new CairnError(`failed ${action} '${path}': ${msg}`, { cause: err });
}
