/** A small argument parser: positionals, `--flag`, `--option value`, `--option=value`, and repeatable options. */
export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | true>;
  /** Values of each repeatable option, in order (empty when not given). */
  lists: Record<string, string[]>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: { flags: string[]; options: string[]; repeated?: string[] }): ParsedArgs {
  const repeated = spec.repeated ?? [];
  const positionals: string[] = [];
  const options: Record<string, string | true> = {};
  const lists: Record<string, string[]> = Object.fromEntries(repeated.map((name) => [name, []]));
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
    } else if (spec.options.includes(name) || repeated.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      if (repeated.includes(name)) lists[name].push(value);
      else if (options[name] !== undefined) throw new UsageError(`--${name} given twice`);
      else options[name] = value;
    } else {
      const known = [...spec.flags, ...spec.options, ...repeated].map((o) => `--${o}`).join(', ');
      throw new UsageError(`unknown option --${name}${known ? ` (this command takes ${known})` : ''}`);
    }
  }
  return { positionals, options, lists };
}
