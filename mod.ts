/**
 * cairn as a library: DVC-compatible data versioning and pipelines as typed
 * functions. Open a repository, define stages, reproduce them, move data to
 * and from remotes, read params/metrics/plots and run experiments; log
 * training runs with `Live` (DVCLive's file layout) and run or migrate
 * notebooks. Nothing here prints or exits: failures are `CairnError`s
 * carrying DVC's exit codes.
 *
 * Works when imported by file or HTTP(S) URL with no import map (its npm
 * packages are named in full); plugin remotes run in Workers with their own
 * permissions, so run with `--unstable-worker-options`.
 *
 * @example A migration script
 * ```ts ignore
 * import { openRepo, reproduce, runExperiment, stageAdd, compareExperiments } from "@cairn/cairn";
 * const repo = openRepo(".");
 * await stageAdd(repo, {
 *   name: "train",
 *   cmd: "deno run -A train.ts",
 *   deps: ["train.ts", "data/train.csv"],
 *   params: ["lr"],
 *   outs: ["model.json"],
 *   metricsNoCache: ["metrics.json"],
 * });
 * await reproduce(repo, [], { onProgress: (p) => console.log(p.stage, p.event) });
 * await runExperiment(repo, { params: { lr: 0.05 } });
 * console.table(compareExperiments(repo).map((r) => ({ name: r.name, ...r.metrics })));
 * ```
 *
 * @module
 */
// Registers the built-in remotes and runners (lib/plugin never imports plugins/).
import "./plugins/builtin.ts";

export {
  add,
  type AddedData,
  type AddOptions,
  type AddResult,
  type ChangeLists,
  checkout,
  type CheckoutOptions,
  type CheckoutResult,
  commit,
  type CommitOptions,
  dataStatus,
  type DataStatusOptions,
  type DataStatusResult,
  findRoot,
  init,
  type InitOptions,
  type InitResult,
  openRepo,
  type OpenRepoOptions,
  type Repo,
} from "./lib/api/repo.ts";
export {
  listStages,
  logMetrics,
  logPlotPoint,
  readParams,
  removeStage,
  reproduce,
  type ReproduceOptions,
  type ReproduceResult,
  stageAdd,
  type StageAddResult,
  type StageDefinition,
  type StageProgress,
  type StageResult,
  type StageSummary,
  status,
} from "./lib/api/pipeline.ts";
export {
  addRemote,
  applyExperiment,
  type ChangesByFile,
  compareExperiments,
  type CompareOptions,
  type ExperimentInfo,
  type ExperimentRow,
  fetch,
  listExperiments,
  metricsDiff,
  paramsDiff,
  plotsData,
  type PlotsDataOptions,
  pull,
  push,
  removeExperiments,
  type RevisionOptions,
  runExperiment,
  type RunExperimentOptions,
  saveExperiment,
  showMetrics,
  showParams,
  type TransferOptions,
  type TransferSummary,
  type ValueChange,
  type ValuesByRevision,
} from "./lib/api/results.ts";
export {
  get,
  getUrl,
  type ImportedData,
  type ImportOptions,
  importRepo,
  importUrl,
  update,
  type UpdatedImport,
} from "./lib/api/imports.ts";
export {
  Live,
  type LiveEndResult,
  type LiveOptions,
  type LogMetricOptions,
  type LogPlotOptions,
  type MetricValue,
  type ParamValue,
} from "./lib/live/live.ts";
export {
  NotebookRunError,
  runNotebook,
  type RunNotebookOptions,
  type RunNotebookResult,
} from "./lib/notebook/run.ts";
export { NotebookError, type NotebookLanguage } from "./lib/notebook/ipynb.ts";
export type { NotebookParams } from "./lib/notebook/params.ts";
export {
  type MigratedStage,
  migrateNotebook,
  type MigrateOptions,
  type MigrateResult,
} from "./lib/notebook/migrate.ts";
export * from "./lib/errors.ts";
export { VERSION } from "./lib/version.ts";
