/** Text of `plugins list` / `runners list`. */
import type { PluginInfo } from "../../repo/plugins.ts";
import type { TrustRecord } from "../../plugin/trust.ts";

const TRUST_TEXT: Record<PluginInfo["trust"], string> = {
  "built-in": "built-in",
  trusted: "trusted",
  untrusted: "NOT TRUSTED: does not run (cairn plugins trust NAME)",
  changed: "CHANGED since trusted: does not run (review, then cairn plugins trust NAME)",
};

function perms(p: Partial<Record<string, string[]>>): string {
  const parts = Object.entries(p).filter(([, l]) => l && l.length)
    .map(([k, l]) => `${k}: ${l!.map((x) => (x === "*" ? "all" : x)).join(", ")}`);
  return parts.length ? parts.join("; ") : "none";
}

/** One plugin as a short block. */
export function pluginText(p: PluginInfo): string {
  const title = p.kind === "runner"
    ? `${p.runner} (runner plugin ${p.name}, ${p.source})`
    : `${p.name} (remote, ${p.source})`;
  const lines = [p.description ? `${title}: ${p.description}` : title];
  if (!p.builtin) lines.push(`  trust: ${TRUST_TEXT[p.trust].replace("NAME", p.runner ?? p.name)}`);
  if (p.kind === "remote") {
    const schemes = (p.schemes ?? []).map((s) => (s === "" ? "local paths" : `${s}://`));
    lines.push(`  serves: ${schemes.join(", ") || "nothing"}`);
    lines.push(`  permissions: ${perms(p.permissions)}`);
  } else {
    const needs = Object.entries(p.requires ?? {}).filter(([, l]) => l && l.length)
      .map(([pol, l]) => `${pol}: ${l!.join(", ")}`);
    lines.push(
      `  policies: ${(p.policies ?? []).join(", ")}${
        needs.length ? ` (needs ${needs.join("; ")})` : ""
      }`,
    );
    if (p.commands) lines.push(`  commands: ${p.commands}`);
    if (p.runsIn === "cairn") {
      lines.push("  runs in cairn's process (built-in code); a stage is confined by:");
    } else {
      lines.push(`  permissions: ${perms(p.resolved ?? p.permissions)}`);
      lines.push("  runs in a Worker; a stage is confined by:");
    }
    for (const [pol, what] of Object.entries(p.confinement ?? {})) {
      lines.push(`    ${pol}: ${what}`);
    }
  }
  return lines.join("\n");
}

/** What `plugins trust` granted. */
export function trustedText(p: PluginInfo, r: TrustRecord): string {
  return [
    `Trusted plugin '${p.name}' (${r.folder}, ${r.digest.slice(0, 19)}...) as its files are now.`,
    `  it asks for: ${perms(p.permissions)}`,
    "  a change to any of its files needs trust again; cairn plugins untrust NAME withdraws it"
      .replace("NAME", p.runner ?? p.name),
  ].join("\n");
}
