/**
 * cairn as a library: open a repository, run the verbs, read results as
 * typed values. Nothing here prints or exits; failures are CairnError
 * subclasses carrying DVC's exit codes.
 *
 * ```ts
 * import { add, openRepo, status } from "./mod.ts";
 * const repo = openRepo(".");
 * await add(repo, ["data/raw.csv"]);
 * ```
 *
 * Inside a pipeline stage: `readParams("params.yaml", "train.lr")`,
 * `logMetrics("metrics.json", {acc: 0.93})`, `logPlotPoint("loss.csv", {step, loss})`.
 */
export { findRoot, openRepo, type OpenRepoOptions, type Repo } from "./lib/repo/repo.ts";
export { init, type InitOptions, type InitResult } from "./lib/repo/init.ts";
export { type Config, loadConfig } from "./lib/config/config.ts";
export { add, type AddOptions, type AddResult } from "./lib/repo/add.ts";
export { checkout, type CheckoutOptions, type CheckoutSummary } from "./lib/repo/checkout.ts";
export { commit, type CommitOptions } from "./lib/repo/commit.ts";
export { gc, type GcOptions, type GcResult } from "./lib/repo/gc.ts";
export { diff, type DiffOptions, type DiffResult } from "./lib/repo/diff.ts";
export { type DataStatus, dataStatus } from "./lib/repo/data_status.ts";
export { ls, type LsEntry } from "./lib/repo/ls.ts";
export { destroy, move, remove, unprotect } from "./lib/repo/manage.ts";
export { collectStages, type RepoIndex } from "./lib/repo/collect.ts";
export { logMetrics, logPlotPoint, readParams } from "./lib/repo/stage_io.ts";
export {
  reproduce,
  type ReproEvent,
  type ReproOptions,
  type ReproResult,
  type StageOutcome,
} from "./lib/repo/reproduce.ts";
export { status, statusJson, type StatusOptions, type StatusResult } from "./lib/repo/status.ts";
export { stageAdd, type StageAddOptions, type StageAddResult } from "./lib/repo/stage_add.ts";
export { importRepo } from "./lib/repo/import.ts";
export { get } from "./lib/repo/get.ts";
export { importUrl } from "./lib/repo/import_url.ts";
export { getUrl } from "./lib/repo/get_url.ts";
export { update } from "./lib/repo/update.ts";
export { type ExpRunOptions, type ExpRunResult, runExperiment } from "./lib/repo/exp/run.ts";
export { applyExperiment, branchExperiment, removeExperiments } from "./lib/repo/exp/manage.ts";
export { listExpRefs } from "./lib/repo/exp/refs.ts";

export {
  showMetrics,
  type ShowMetricsOptions,
  type ShowResult as MetricsShowResult,
} from "./lib/repo/metrics/show.ts";
export { diffMetrics, type DiffResult as MetricsDiffResult } from "./lib/repo/metrics/diff.ts";
export { diffParams, type ParamsDiffOptions } from "./lib/repo/params/diff.ts";
export { showParams, type ShowParamsOptions } from "./lib/repo/params/show.ts";
export {
  diffRevisions as plotsDiffRevisions,
  type PlotsOptions,
  type PlotsResult,
  showPlots,
} from "./lib/repo/plots/show.ts";
export { plotsJson, writePlotsHtml } from "./lib/plots/output.ts";
export { openRevision, type Revision, selectRevisions } from "./lib/repo/revisions.ts";
export { push } from "./lib/repo/push.ts";
export { fetch } from "./lib/repo/fetch.ts";
export { pull, type PullOptions, type PullResult } from "./lib/repo/pull.ts";
export { type SyncOptions, type SyncResult } from "./lib/repo/_sync.ts";
export { cloudStatus, type CloudStatusResult } from "./lib/repo/cloud_status.ts";
export { gcCloud } from "./lib/repo/gc_cloud.ts";
export {
  remoteAdd,
  remoteDefault,
  remoteList,
  remoteModify,
  remoteRemove,
  remoteRename,
} from "./lib/repo/remote.ts";
export {
  openRemote,
  type OpenRemoteOptions,
  Remote,
  type RemoteConfig,
} from "./lib/plugin/remote.ts";
export { PluginRegistry } from "./lib/plugin/registry.ts";
export { BUILTIN_PLUGINS } from "./plugins/builtin.ts";
export { PluginError, PluginPermissionError, type PluginSpec } from "./lib/plugin/loader.ts";
export type { PluginManifest } from "./lib/plugin/manifest.ts";
export type { CreateRemote, RemoteImpl, RemoteInfo } from "./lib/plugin/remote_api.ts";
export {
  fetchObjects,
  pushObjects,
  type TransferObject,
  type TransferOptions,
  type TransferProgress,
  type TransferResult,
} from "./lib/cache/transfer.ts";
export { interruptSignal, triggerInterrupt } from "./lib/interrupt.ts";
export * from "./lib/errors.ts";
export type * from "./lib/stage/types.ts";
export { VERSION } from "./lib/version.ts";
export {
  Live,
  type LiveEndResult,
  type LiveOptions,
  type LogMetricOptions,
  type LogPlotOptions,
  type MetricValue,
  type ParamValue,
} from "./lib/live/live.ts";
