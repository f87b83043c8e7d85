/**
 * `clwb report <results.json | dir> [--experiment ID] [--csv FILE] [--pdf FILE] [--strategy NAME]... [--force]`
 * Builds the comparison report with the same code as the app's "Export report".
 * Exit codes: 0 written, 1 bad or missing results / a file in the way, 2 usage error.
 */
import { WorkbenchError } from '../engine/errors.ts';
import { exportReport } from '../workbench/reports/index.ts';
import { parseArgs, UsageError } from './args.ts';

export const REPORT_USAGE = `  clwb report <results.json | dir> [options]   write a comparison report (CSV and/or PDF)
      --csv FILE       accuracy table to FILE, plus FILE-summary.csv and FILE-cost.csv
      --pdf FILE       the PDF report
      --experiment ID  the experiment to report, for a project folder
      --strategy NAME  only this strategy (label or id; repeat for several)
      --run ID         only this run (repeat for several)
      --font FILE      a TrueType font for labels outside Latin-1 (with --font-bold FILE)
      --force          replace existing output files`;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Parses the report command's arguments; `--strategy` and `--run` may repeat. */
export function parseReportArgs(argv: string[]): { source: string; options: Record<string, string | true>; strategies: string[]; runs: string[] } {
  const { positionals, options, lists } = parseArgs(argv, { flags: ['force'], options: ['csv', 'pdf', 'experiment', 'font', 'font-bold'], repeated: ['strategy', 'run'] });
  if (positionals.length !== 1) throw new UsageError('report takes exactly one results.json file or results folder');
  if (!options.csv && !options.pdf) throw new UsageError('report needs --csv FILE, --pdf FILE or both');
  if (Boolean(options.font) !== Boolean(options['font-bold'])) throw new UsageError('--font and --font-bold go together');
  return { source: positionals[0], options, strategies: lists.strategy, runs: lists.run };
}

export async function report(argv: string[], io: Io): Promise<number> {
  const { source, options, strategies, runs } = parseReportArgs(argv);
  const fonts = options.font ? { regular: options.font as string, bold: options['font-bold'] as string } : undefined;
  try {
    const result = await exportReport({
      source,
      ...(options.experiment ? { experiment: options.experiment as string } : {}),
      ...(options.csv ? { csv: options.csv as string } : {}),
      ...(options.pdf ? { pdf: options.pdf as string } : {}),
      ...(strategies.length ? { strategies } : {}),
      ...(runs.length ? { runs } : {}),
      overwrite: Boolean(options.force),
      pdfOptions: { command: ['clwb', 'report', ...argv].map(quote).join(' '), ...(fonts ? { fonts } : {}) },
    });
    const { document } = result;
    io.stderr.write(`clwb: report on "${document.experiment.name}": ${document.summary.length} strategies, ${document.runs.length} runs from ${result.source.path}\n`);
    for (const file of result.files) io.stdout.write(`${file}\n`);
    return 0;
  } catch (error) {
    if (error instanceof WorkbenchError && error.details.reason === 'exists') {
      throw new WorkbenchError('IO', `${error.message.replace(/ \(choose other names, or allow overwriting\)$/, '')}; pass --force to replace`, error.details);
    }
    throw error;
  }
}

function quote(arg: string): string {
  return /^[\w./:@%+=,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
