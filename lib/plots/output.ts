/**
 * Writing plots: the `--json` document (`{"errors": [...], "data": {id:
 * [...]}}`) and the HTML page (`index.html`, images in `static/`), a page
 * that renders offline with the Vega code inlined.
 */
import { dirname, join, relative, resolve } from "node:path";
import { CairnError } from "../errors.ts";
import { writeFileAtomic, writeTextAtomic } from "../fs/atomic_write.ts";
import { pyJsonDumps } from "../py/json_dumps.ts";
import type { ImageDatapoint, PlotsResult, RendererWithErrors } from "./result.ts";
import { fillTemplate, plotRevs, SPLIT_ANCHORS } from "./vega.ts";
import type { Json } from "./templates.ts";
import { vegaScripts } from "./vega_assets.ts";

/** DVC's page layout; `{scripts}`, `{plot_divs}` and `{refresh_tag}` are filled. */
export const PAGE_HTML = `<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <title>DVC Plot</title>
    {scripts}
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>`;

export class MissingPlaceholderError extends CairnError {
  constructor(placeholder: string) {
    super(`HTML template has to contain '${placeholder}'.`);
  }
}

const SPECIAL = new Set("!@#$%^&*()[]{};,<>?\\/:.|`~=_+ ");

/** Element id of a plot: every special character replaced by `_`. */
export function divId(name: string): string {
  return [...name].map((c) => (SPECIAL.has(c) ? "_" : c)).join("");
}

/** File name of an image of a revision: `<rev>_<path with / as _>`. */
export function imageFileName(img: ImageDatapoint): string {
  return `${img.rev}_${img.filename}`.replaceAll("/", "_").replaceAll("\\", "_");
}

function writeImages(images: ImageDatapoint[], dir: string): string[] {
  Deno.mkdirSync(dir, { recursive: true });
  return images.map((img) => {
    const p = join(dir, imageFileName(img));
    writeFileAtomic(p, img.bytes);
    return p;
  });
}

function encodeError(e: Error): { type: string; msg: string } {
  return { type: e.name, msg: e.message };
}

/** The `--json` document; images are written to `outDir` (absolute paths in `url`). */
export function plotsJson(
  result: PlotsResult,
  opts: { outDir: string; split?: boolean },
): Record<string, unknown> {
  const errors: Record<string, unknown>[] = [];
  const data: Record<string, unknown> = {};
  for (const r of result.renderers) {
    const rend = r.renderer;
    if (rend.type === "vega") {
      const plot = rend.plot;
      if (!plot.datapoints.length) data[plot.name] = [];
      else {
        const filled = fillTemplate(plot, { split: opts.split ? SPLIT_ANCHORS : [] });
        const entry: Record<string, unknown> = {
          type: "vega",
          revisions: plotRevs(plot),
          content: filled.content,
        };
        if (opts.split) entry.anchor_definitions = filled.anchorDefinitions ?? {};
        data[plot.name] = [entry];
      }
    } else {
      const paths = writeImages(rend.images, resolve(opts.outDir));
      data[rend.name] = rend.images.map((img, i) => ({
        type: "image",
        revisions: [img.rev],
        url: paths[i],
      }));
    }
    const name = rend.type === "vega" ? rend.plot.name : rend.name;
    errors.push(...rendererErrors(name, r));
  }
  for (const [rev, e] of Object.entries(result.errors)) errors.push({ rev, ...encodeError(e) });
  const out: Record<string, unknown> = {};
  if (errors.length) out.errors = errors;
  if (Object.keys(data).length) out.data = data;
  return out;
}

function rendererErrors(name: string, r: RendererWithErrors): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [rev, per] of Object.entries(r.sourceErrors)) {
    for (const [source, e] of Object.entries(per)) {
      out.push({ name, rev, source, ...encodeError(e) });
    }
  }
  for (const [rev, e] of Object.entries(r.definitionErrors)) {
    out.push({ name, rev, ...encodeError(e) });
  }
  return out;
}

/** A spec as JS source inside a <script> (no "</" that would end it). */
function specSource(content: Json): string {
  return pyJsonDumps(content).replaceAll("</", "<\\/");
}

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}

function vegaDiv(id: string, content: Json): string {
  return `
    <div id = "${id}">
        <script type = "text/javascript">
            var spec = ${specSource(content)};
            (window.cairnPlots = window.cairnPlots || []).push(
                vegaEmbed('#${id}', spec, {"renderer": "svg"}));
        </script>
    </div>
    `;
}

function imageDiv(id: string, name: string, items: { rev: string; src: string }[]): string {
  if (!items.length) return "";
  const inner = items.map((it) => `
                <div
                    style="border:1px dotted black;margin:2px;display:
                    inline-block;
                    overflow:hidden;margin-left:8px;">
                    <p>${escapeHtml(it.rev)}</p>
                    <img src="${escapeHtml(it.src)}">
                </div>
                `);
  return `
        <div
            id="${id}"
            style="border:1px solid black;text-align:center;
            white-space: nowrap;overflow-y:hidden;">
            <p>${escapeHtml(name)}</p>
${inner.join("\n")}
        </div>`;
}

/** Images after Vega plots; images ordered by folder, then numeric name (steps), then name. */
function orderKey(r: RendererWithErrors): [number, string, number, string] {
  if (r.renderer.type === "vega") return [0, "", 0, ""];
  const name = r.renderer.name;
  const base = name.slice(name.lastIndexOf("/") + 1);
  const stem = base.includes(".") ? base.slice(0, base.lastIndexOf(".")) : base;
  const dir = name.includes("/") ? name.slice(0, name.lastIndexOf("/")) : "";
  return [1, dir, /^\d+$/.test(stem) ? Number(stem) : -1, base];
}

function compareKeys(
  a: [number, string, number, string],
  b: [number, string, number, string],
): number {
  for (let i = 0; i < 4; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

export interface HtmlOptions {
  /** output folder (index.html + static/). */
  outDir: string;
  /** custom page: a file path or the template text; must contain `{plot_divs}`. */
  htmlTemplate?: string;
  refreshSeconds?: number;
}

export interface HtmlResult {
  /** absolute path of index.html. */
  path: string;
  /** false when the Vega code could not be inlined (the page needs internet). */
  offline: boolean;
}

/** Write `<outDir>/index.html` and the images; the page renders offline. */
export function writePlotsHtml(result: PlotsResult, opts: HtmlOptions): HtmlResult {
  const outDir = resolve(opts.outDir);
  const indexPath = join(outDir, "index.html");
  let page = PAGE_HTML;
  if (opts.htmlTemplate !== undefined) {
    try {
      page = Deno.statSync(opts.htmlTemplate).isFile
        ? Deno.readTextFileSync(opts.htmlTemplate)
        : opts.htmlTemplate;
    } catch {
      // a probe: not a file that can be looked at (missing, or HTML too long to be a
      // path): the text is the template itself
      page = opts.htmlTemplate;
    }
  }
  if (!page.includes("{plot_divs}")) throw new MissingPlaceholderError("{plot_divs}");
  const sorted = [...result.renderers].sort((a, b) => compareKeys(orderKey(a), orderKey(b)));
  const divs: string[] = [];
  let needsVega = false;
  for (const r of sorted) {
    const rend = r.renderer;
    if (rend.type === "vega") {
      if (!rend.plot.datapoints.length) continue;
      needsVega = true;
      divs.push(vegaDiv(divId(rend.plot.name), fillTemplate(rend.plot).content));
    } else {
      const staticDir = join(outDir, "static");
      const paths = writeImages(rend.images, staticDir);
      divs.push(imageDiv(
        divId(rend.name),
        rend.name,
        rend.images.map((img, i) => ({
          rev: img.rev,
          src: relative(dirname(indexPath), paths[i]),
        })),
      ));
    }
  }
  const scripts = needsVega ? vegaScripts() : { html: "", offline: true };
  const refresh = opts.refreshSeconds !== undefined
    ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">`
    : "";
  const html = page
    .replace("{scripts}", () => scripts.html)
    .replace("{plot_divs}", () => divs.join("\n"))
    .replace("{refresh_tag}", () => refresh);
  Deno.mkdirSync(outDir, { recursive: true });
  writeTextAtomic(indexPath, html);
  return { path: indexPath, offline: scripts.offline };
}
