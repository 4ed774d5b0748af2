/**
 * Temporal's tools are built on urfave/cli, where a long flag works with one dash or two (`-pw`,
 * `--pw`), and several flags have short second names (`--ep`, `--pl`, `--db`). The upgrade page
 * writes its commands that way, so before commander parses anything, argv is rewritten to
 * commander's form: multi-letter flags get two dashes and aliases become their canonical names.
 */
export type AliasMap = Readonly<Record<string, string>>;

/** Rewrites one section of argv (the global part, or one command's part). */
export function normalizeFlags(args: readonly string[], aliases: AliasMap): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const m = /^(-{1,2})([A-Za-z][A-Za-z0-9-]*)(=.*)?$/.exec(a);
    if (!m) {
      out.push(a);
      continue;
    }
    const [, dashes, name, value] = m as unknown as [string, string, string, string | undefined];
    if (dashes === '-' && name.length === 1) {
      out.push(a);
      continue;
    }
    const canonical = aliases[name] ?? name;
    out.push(`${canonical.length === 1 ? '-' : '--'}${canonical}${value ?? ''}`);
  }
  return out;
}

/** Index of the first argument that is a command name (not a flag or a flag's value). */
export function findCommandIndex(args: readonly string[], commands: ReadonlySet<string>): number {
  return args.findIndex((a) => commands.has(a));
}
