/**
 * `npm run bench` (node bin/run-ts.mjs bench/index.ts [flags]): training throughput
 * per backend, printed as a table.
 *
 * Flags:
 *   --all                 also measure the pure-JS cpu backend (very slow)
 *   --backend=wasm,cpu    only these backends
 *   --models=mlp,cnn      only these models
 *   --seconds=N           minimum timed seconds per row (default 3)
 *   --optimizer=sgd|adam  default sgd
 *   --json                print the rows as JSON instead of a table
 *   --experiment=FILE     the experiment timed end to end (default examples/split-mnist-quick.json)
 *   --no-experiment       skip it
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { BACKEND_ORDER, type BackendName } from '../main/engine/backend/index.ts';
import { benchKernels, type BenchModel, type BenchOptions, type BenchRow } from './kernels.ts';
import { benchExperiment } from './experiment.ts';
import { benchCompareTable, compareTableRows } from './compare-table.ts';

/** A row of the printed table; kernel rows and any later rows (e.g. an experiment's wall time) share it. */
export interface TableRow {
  backend: string;
  model: string;
  /** The measured figure, already formatted (e.g. '12,400 samples/s' or '41.2 s'). */
  value: string;
  /** A second figure, e.g. the peak rate; optional. */
  peak?: string;
  detail?: string;
}

/** Turns kernel benchmark rows into table rows. */
export function kernelTableRows(rows: BenchRow[]): TableRow[] {
  return rows.map((row) => ({
    backend: row.backend,
    model: `${row.model} (batch ${row.batchSize}, ${row.optimizer})`,
    value: `${Math.round(row.samplesPerSecond).toLocaleString('en-US')} samples/s`,
    peak: `${Math.round(row.peakSamplesPerSecond).toLocaleString('en-US')} samples/s`,
    detail: `${row.device}; ${row.steps} steps in ${row.seconds.toFixed(1)} s`,
  }));
}

/** Formats rows as a fixed-width text table. */
export function formatTable(rows: TableRow[]): string {
  const header: TableRow = { backend: 'backend', model: 'model', value: 'mean', peak: 'fastest step', detail: 'detail' };
  const all = [header, ...rows];
  const width = (key: keyof TableRow): number => Math.max(...all.map((row) => (row[key] ?? '').length));
  const widths = { backend: width('backend'), model: width('model'), value: width('value'), peak: width('peak') };
  const cells = (row: TableRow): string[] => [
    row.backend.padEnd(widths.backend),
    row.model.padEnd(widths.model),
    row.value.padStart(widths.value),
    (row.peak ?? '').padStart(widths.peak),
    row.detail ?? '',
  ];
  const lines = all.map((row) => cells(row).join('  ').trimEnd());
  const rule = '-'.repeat(Math.max(...lines.map((line) => line.length)));
  return [lines[0], rule, ...lines.slice(1)].join('\n');
}

/** Parses the command line flags into {@link BenchOptions}. */
export function parseArgs(argv: string[]): BenchOptions & { json: boolean; experiment: string | null } {
  const options: BenchOptions & { json: boolean; experiment: string | null } = { json: false, experiment: 'examples/split-mnist-quick.json' };
  for (const arg of argv) {
    const [flag, value = ''] = arg.split('=', 2);
    const list = value.split(',').map((item) => item.trim()).filter(Boolean);
    switch (flag) {
      case '--all':
        options.includeCpu = true;
        break;
      case '--json':
        options.json = true;
        break;
      case '--experiment':
        if (!value) throw new Error('--experiment needs a file: --experiment=FILE');
        options.experiment = value;
        break;
      case '--no-experiment':
        options.experiment = null;
        break;
      case '--backend':
      case '--backends': {
        const unknown = list.filter((name) => !BACKEND_ORDER.includes(name as BackendName));
        if (unknown.length > 0) throw new Error(`unknown backend(s) ${unknown.join(', ')}; known: ${BACKEND_ORDER.join(', ')}`);
        options.backends = list as BackendName[];
        break;
      }
      case '--models': {
        const unknown = list.filter((name) => name !== 'mlp' && name !== 'cnn');
        if (unknown.length > 0) throw new Error(`unknown model(s) ${unknown.join(', ')}; known: mlp, cnn`);
        options.models = list as BenchModel[];
        break;
      }
      case '--seconds':
        options.seconds = Number(value);
        if (!(options.seconds > 0)) throw new Error(`--seconds needs a positive number, got '${value}'`);
        break;
      case '--optimizer':
        if (value !== 'sgd' && value !== 'adam') throw new Error(`--optimizer is sgd or adam, got '${value}'`);
        options.optimizer = value;
        break;
      default:
        throw new Error(`unknown flag '${arg}'`);
    }
  }
  return options;
}

async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(argv);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 2;
  }
  // Timings on a shared machine swing with its load: say what it was.
  const load = os.loadavg()[0].toFixed(2);
  console.error(`load average ${load} on ${os.availableParallelism()} cores before the run`);
  const rows = await benchKernels({ ...options, log: (line) => console.error(line) });
  const table = kernelTableRows(rows);
  if (options.experiment) {
    console.error(`timing ${options.experiment} end to end...`);
    table.push(await benchExperiment(options.experiment, options.backends?.[0] ?? 'auto'));
  }
  table.push(...compareTableRows(benchCompareTable()));
  console.error(`load average ${os.loadavg()[0].toFixed(2)} after the run`);
  if (options.json) console.log(JSON.stringify({ kernels: rows, table }, null, 2));
  else console.log(formatTable(table));
  return 0;
}

// Run only as the entry point, so the lead can import the helpers above.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
