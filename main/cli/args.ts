/** A small argument parser: positionals, `--flag`, `--option value` and `--option=value`. */
export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: { flags: string[]; options: string[] }): ParsedArgs {
  const positionals: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (spec.flags.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
    } else if (spec.options.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    } else {
      const known = [...spec.flags, ...spec.options].map((o) => `--${o}`).join(', ');
      throw new UsageError(`unknown option --${name}${known ? ` (this command takes ${known})` : ''}`);
    }
  }
  return { positionals, options };
}
