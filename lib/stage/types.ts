/**
 * The in-memory model of stages, deps and outs. Plain data, camelCase; the
 * YAML key names live only in lib/dvcfile, which converts to and from these.
 */

/** Recorded content hash of a file or directory (DVC "hash_info" + meta). */
export interface HashInfo {
  /** hex md5; directories end in ".dir". */
  md5: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** "md5" for DVC 3 entries; undefined marks a legacy DVC 2 (md5-dos2unix) entry. */
  hashName?: "md5";
}

export type OutputKind = "out" | "metric" | "plot";

export interface OutputSpec {
  /** path as written in dvc.yaml / .dvc (relative to the stage wdir, posix). */
  path: string;
  kind: OutputKind;
  cache: boolean;
  persist: boolean;
  /** false = never pushed. */
  push: boolean;
  remote?: string;
  desc?: string;
  type?: string;
  labels?: string[];
  meta?: unknown;
  /** plots: template, x, y, x_label, y_label, title, header (YAML names kept). */
  plotProps?: Record<string, unknown>;
  /** Keys we do not model, kept for round-tripping. */
  extra?: Record<string, unknown>;
}

export interface Output extends OutputSpec {
  hash?: HashInfo;
}

export interface RepoDepInfo {
  url: string;
  rev?: string;
  revLock?: string;
  config?: unknown;
  remote?: unknown;
}

export interface Dependency {
  path: string;
  hash?: HashInfo;
  /** set for `cairn import` deps. */
  repo?: RepoDepInfo;
  /** Keys we do not model (etag, version_id, files, dataset, ...), kept for round-tripping. */
  extra?: Record<string, unknown>;
}

/** Params of one file that a stage depends on. */
export interface ParamDependency {
  /** params file path relative to wdir ("params.yaml" by default). */
  file: string;
  /** dotted keys; null = the whole file. */
  keys: string[] | null;
  /** values recorded in the lock (flattened dotted keys at top level). */
  values?: Record<string, unknown>;
}

export type StageKind = "pipeline" | "dvcfile";

export interface Stage {
  /** "train", "bucket@small"; for .dvc files the file's repo-relative path. */
  name: string;
  kind: StageKind;
  /** repo-relative posix path of the dvc.yaml or .dvc file defining it. */
  file: string;
  /** working dir, repo-relative posix ("" = repo root). */
  wdir: string;
  cmd?: string | string[];
  deps: Dependency[];
  params: ParamDependency[];
  outs: Output[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
  meta?: unknown;
  /** .dvc files: recorded stage checksum. */
  md5?: string;
  /** pipeline stages: command recorded in dvc.lock (undefined = never locked). */
  lockedCmd?: string | string[];
  /** true if dvc.lock has an entry for this stage. */
  locked?: boolean;
  /** foreach/matrix stages: the group name (`build` for `build@us`). */
  group?: string;
  /** true if the definition uses `${}`, foreach or matrix (cannot be rewritten). */
  parametrized?: boolean;
}

/** How users and output address a stage: `train`, `sub/dvc.yaml:train`, `data.csv.dvc`. */
export function stageAddress(stage: Stage): string {
  if (stage.kind === "dvcfile") return stage.file;
  if (stage.file === "dvc.yaml") return stage.name;
  return `${stage.file}:${stage.name}`;
}
