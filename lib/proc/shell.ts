/**
 * How DVC runs a stage command (dvc-spec §10.4): `$SHELL -c cmd`, `/bin/sh`
 * when SHELL is unset, without the shell's rc files.
 */

/** The shell and its flags for `cmd` (`$SHELL`, `/bin/sh` if unset). */
export function shellCommand(cmd: string, env: Record<string, string | undefined>): string[] {
  const shell = env.SHELL || "/bin/sh";
  const name = shell.slice(shell.lastIndexOf("/") + 1);
  const flags = name === "bash"
    ? ["--noprofile", "--norc"]
    : name === "zsh"
    ? ["--no-rcs"]
    : name === "fish"
    ? ["--no-config"]
    : [];
  return [shell, ...flags, "-c", cmd];
}
