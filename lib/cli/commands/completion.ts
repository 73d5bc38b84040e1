/**
 * `completion -s bash|zsh`: a shell completion script for every command,
 * subcommand and option (built from the same command definitions the CLI
 * parses with, so it never goes stale).
 */
import { Command } from "../argparse.ts";
import { type CliContext, defineCommand } from "../context.ts";
import { UsageError } from "../../errors.ts";

interface Node {
  words: string[];
  children: Map<string, Node>;
}

function tree(cmd: Command): Node {
  const children = new Map<string, Node>();
  for (const sub of cmd.commands) {
    const node = tree(sub);
    for (const name of [sub.name(), ...sub.aliases()]) children.set(name, node);
  }
  const flags = cmd.options.flatMap((o) => [o.short, o.long].filter((f): f is string => !!f));
  return { words: [...children.keys(), ...flags, "-h", "--help"], children };
}

/** `case` arms keyed by the command path ("", "stage", "stage add", ...). */
function arms(node: Node, path: string[] = []): [string, string[]][] {
  const out: [string, string[]][] = [[path.join(" "), node.words]];
  const seen = new Set<Node>();
  for (const [name, child] of node.children) {
    if (seen.has(child)) continue;
    seen.add(child);
    out.push(...arms(child, [...path, name]));
  }
  return out;
}

function bashScript(root: Node, prog: string): string {
  const cases = arms(root).map(([path, words]) => `    "${path}") opts="${words.join(" ")}" ;;`);
  return `# bash completion for ${prog} (cairn completion -s bash)
_${prog}() {
  local cur path w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "\${path:+$path }$w" in
${arms(root).filter(([p]) => p).map(([p]) => `      "${p}") path="${p}" ;;`).join("\n")}
    esac
  done
  local opts
  case "$path" in
${cases.join("\n")}
  esac
  if [[ "$cur" != -* ]] && [[ -n "$path" ]]; then
    COMPREPLY=($(compgen -f -- "$cur") $(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  fi
}
complete -o filenames -F _${prog} ${prog}
`;
}

function zshScript(root: Node, prog: string): string {
  return `#compdef ${prog}
# zsh completion for ${prog} (cairn completion -s zsh): the bash rules through bashcompinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(root, prog)}`;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "completion",
    "Generate shell tab completion.",
    (c) => c.option("-s, --shell <shell>", "Shell syntax for completions.", "bash"),
    async (o: { shell: string }) => {
      if (o.shell !== "bash" && o.shell !== "zsh") {
        throw new UsageError(
          `argument -s/--shell: invalid choice: '${o.shell}' (choose from 'bash', 'zsh')`,
        );
      }
      const { COMMANDS } = await import("./index.ts");
      const full = new Command(program.name()).enablePositionalOptions();
      for (const mod of COMMANDS) mod.register(full, ctx);
      for (const opt of program.options) full.addOption(opt);
      const root = tree(full);
      ctx.io.out(o.shell === "bash" ? bashScript(root, "cairn") : zshScript(root, "cairn"));
    },
  );
}
