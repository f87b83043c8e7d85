/**
 * `clwb`: the headless command line.
 *   clwb strategies [--json]
 *   clwb datasets [--json] | clwb datasets import <csv-file|folder> --format csv|image-folder --name NAME [--shape HxWxC]
 *   clwb validate <experiment.json>
 *   clwb run <experiment.json> [--out DIR] [--backend NAME] [--resume] [--json] [--data-dir DIR] [--download]
 *   clwb report <results.json | dir> [--experiment ID] [--csv FILE] [--pdf FILE] [--force]
 * Exit codes: 0 success, 1 failure (a failed run, bad input), 2 usage error.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  APP_VERSION,
  catalogueJson,
  initBackend,
  parseExperiment,
  registerImportedDatasets,
  validationCatalogue,
  WorkbenchError,
  type BackendName,
  type ExperimentSpec,
} from '../engine/index.ts';
import { runExperiment, type ResultsDocument } from '../workbench/experiment-run.ts';
import { parseArgs, UsageError } from './args.ts';
import { datasets, DATASETS_USAGE } from './datasets.ts';
import { ProgressReporter } from './progress.ts';
import { serve, SERVE_USAGE } from './serve.ts';
import { report, REPORT_USAGE } from './report.ts';
import { listRecipes, resolveExperimentArgument } from './recipes.ts';

const USAGE = `CL Workbench ${APP_VERSION} - continual-learning experiments from the command line

Usage:
  clwb strategies [--json]          list the strategy catalogue (ids, families, parameters)
${DATASETS_USAGE}
  clwb recipes [--json]             list the ready experiments (run one with: clwb run recipe:<id>)
  clwb validate <experiment.json>   check an experiment file; lists every problem
  clwb run <experiment.json> [options]
      --out DIR        output folder (default: results/<name>-<time>)
      --backend NAME   auto (default), tensorflow-gpu, tensorflow, wasm or cpu
      --resume         continue an interrupted run in --out from its checkpoints
      --json           print the summary as JSON on stdout (progress goes to stderr)
      --data-dir DIR   dataset cache folder (default: $CLWB_DATA_DIR or ~/.cache/clwb/datasets)
      --download       allow downloading missing datasets
${REPORT_USAGE}
${SERVE_USAGE}
  clwb help | --help    this text
  clwb version          the version`;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'strategies':
        return strategies(rest, io);
      case 'datasets':
        return await datasets(rest, io);
      case 'recipes':
        return await recipes(rest, io);
      case 'validate':
        return await validate(rest, io);
      case 'run':
        return await run(rest, io);
      case 'serve':
        return await serve(rest, io);
      case 'report':
        return await report(rest, io);
      case 'version':
      case '--version':
        io.stdout.write(`${APP_VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`clwb: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof WorkbenchError) {
      io.stderr.write(`clwb: error [${error.code}] ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`clwb: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

function strategies(argv: string[], io: Io): number {
  const { options, positionals } = parseArgs(argv, { flags: ['json'], options: [] });
  if (positionals.length) throw new UsageError('strategies takes no arguments');
  const catalogue = catalogueJson();
  if (options.json) {
    io.stdout.write(`${JSON.stringify(catalogue, null, 2)}\n`);
    return 0;
  }
  for (const entry of catalogue) {
    io.stdout.write(`${entry.id.padEnd(14)} ${entry.name}  [${entry.family}]\n`);
    io.stdout.write(`${''.padEnd(14)} scenarios: ${entry.scenarios.join(', ')}${entry.online ? '; online' : ''}\n`);
    for (const [name, param] of Object.entries(entry.params)) {
      const range = 'minimum' in param || 'maximum' in param ? ` [${'minimum' in param ? param.minimum : ''}..${'maximum' in param ? param.maximum : ''}]` : '';
      const values = param.type === 'enum' ? ` (${param.values.join('|')})` : '';
      io.stdout.write(`${''.padEnd(14)} --${name} ${param.type}${values}${range} = ${JSON.stringify(param.default)}: ${param.description}\n`);
    }
  }
  return 0;
}

async function recipes(argv: string[], io: Io): Promise<number> {
  const { options, positionals } = parseArgs(argv, { flags: ['json'], options: [] });
  if (positionals.length) throw new UsageError('recipes takes no arguments');
  const list = await listRecipes();
  if (options.json) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  else for (const r of list) io.stdout.write(`recipe:${r.id}\n  ${r.name}\n  ${r.description}\n\n`);
  return 0;
}

async function readExperiment(argument: string | undefined): Promise<ExperimentSpec> {
  if (!argument) throw new UsageError('give the experiment file (or recipe:<id>)');
  const file = await resolveExperimentArgument(argument);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new WorkbenchError('IO', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { path: file });
  }
  return parseExperiment(text, file, validationCatalogue());
}

async function validate(argv: string[], io: Io): Promise<number> {
  const { positionals } = parseArgs(argv, { flags: [], options: [] });
  if (positionals.length !== 1) throw new UsageError('validate takes exactly one experiment file');
  const spec = await readExperiment(positionals[0]);
  const runs = spec.strategies.length * spec.seeds.length;
  io.stdout.write(`${positionals[0]}: valid (${spec.strategies.length} strategies x ${spec.seeds.length} seeds = ${runs} runs, ${spec.scenario.experiences} experiences each)\n`);
  return 0;
}

function defaultOutDir(spec: ExperimentSpec): string {
  const slug = spec.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'experiment';
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return path.join('results', `${slug}-${stamp}`);
}

async function run(argv: string[], io: Io): Promise<number> {
  const { positionals, options } = parseArgs(argv, { flags: ['resume', 'json', 'download'], options: ['out', 'backend', 'data-dir'] });
  if (positionals.length !== 1) throw new UsageError('run takes exactly one experiment file');
  // Imported datasets of --data-dir must be known before the experiment is validated.
  if (options['data-dir']) registerImportedDatasets(path.resolve(options['data-dir'] as string));
  const spec = await readExperiment(positionals[0]);
  const backendName = (options.backend as string | undefined) ?? 'auto';
  const backends = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
  if (!backends.includes(backendName)) throw new UsageError(`--backend must be one of ${backends.join(', ')}`);
  if (options.resume && !options.out) throw new UsageError('--resume needs --out DIR (the folder of the interrupted run)');
  const backend = await initBackend(backendName as BackendName | 'auto');
  const outDir = (options.out as string | undefined) ?? defaultOutDir(spec);
  const log = io.stderr;
  log.write(`clwb: ${spec.name}: ${spec.strategies.length} strategies x ${spec.seeds.length} seeds on ${backend.name} (${backend.device}); output in ${outDir}\n`);
  const reporter = new ProgressReporter(log, Boolean(log.isTTY));
  const document = await runExperiment({
    spec,
    outDir,
    backend,
    resume: Boolean(options.resume),
    ...(options['data-dir'] ? { dataDir: options['data-dir'] as string } : {}),
    allowDownload: Boolean(options.download),
    onEvent: (event, planned, index, total) => reporter.handle(event, planned, index, total),
    onDatasetProgress: (p) => log.write(`clwb: dataset ${p.phase} ${p.loaded}${p.total ? `/${p.total}` : ''}${p.message ? ` ${p.message}` : ''}\n`),
  });
  if (options.json) io.stdout.write(`${JSON.stringify({ results: path.join(outDir, 'results.json'), summary: document.summary, failed: document.failed }, null, 2)}\n`);
  else printSummary(document, io.stdout);
  log.write(`clwb: wrote ${path.join(outDir, 'results.json')}\n`);
  return document.failed.length > 0 ? 1 : 0;
}

function printSummary(document: ResultsDocument, out: NodeJS.WriteStream): void {
  const format = (s: { mean: number | null; sd: number | null }): string => (s.mean === null ? '-' : `${s.mean.toFixed(4)} ± ${(s.sd ?? 0).toFixed(4)}`);
  const task = document.summary.some((s) => s.taskMetrics);
  out.write(`\n${'strategy'.padEnd(30)} ${'ACC'.padEnd(17)} ${'BWT'.padEnd(17)} ${'forgetting'.padEnd(17)}${task ? ' task-IL ACC' : ''}\n`);
  for (const s of document.summary) {
    out.write(`${s.label.padEnd(30)} ${format(s.metrics.acc).padEnd(17)} ${format(s.metrics.bwt).padEnd(17)} ${format(s.metrics.forgetting).padEnd(17)}${s.taskMetrics ? ` ${format(s.taskMetrics.acc)}` : ''}\n`);
  }
  for (const f of document.failed) out.write(`FAILED ${f.label} seed ${f.seed}: [${f.error.code}] ${f.error.message}\n`);
}
