/**
 * What `plots show` / `plots diff` return (lib/repo/plots/show.ts), kept here
 * so the writers of that result (lib/plots/output.ts) need not import the verb.
 */
import type { PlotProps } from "./convert.ts";
import type { VegaPlot } from "./vega.ts";

/** One data file at one revision. */
export interface SourceResult {
  data?: unknown;
  error?: Error;
}

/** One revision: definitions per config file ("" = stage outputs and targets) and sources. */
export interface RevisionPlots {
  definitions?: Map<string, Map<string, PlotProps>>;
  sources?: Map<string, SourceResult>;
  error?: Error;
}

export interface ImageDatapoint {
  rev: string;
  /** data file (repo-relative). */
  filename: string;
  bytes: Uint8Array;
}

export type PlotRenderer =
  | { type: "vega"; plot: VegaPlot }
  | { type: "image"; name: string; images: ImageDatapoint[] };

export interface RendererWithErrors {
  renderer: PlotRenderer;
  /** rev -> source -> error. */
  sourceErrors: Record<string, Record<string, Error>>;
  /** rev -> error converting the definition. */
  definitionErrors: Record<string, Error>;
}

export interface PlotsResult {
  /** revision names in the order used. */
  revs: string[];
  renderers: RendererWithErrors[];
  /** rev -> error collecting the definitions (e.g. a broken dvc.yaml at that revision). */
  errors: Record<string, Error>;
  /** per revision data collected (empty = no plots at all). */
  perRev: Map<string, RevisionPlots>;
}
