/**
 * `clwb datasets`: list the datasets, or import a CSV file / a folder of images
 * per class as a new dataset in the cache.
 *   clwb datasets [--json] [--data-dir DIR]
 *   clwb datasets import <csv-file|folder> --format csv|image-folder --name NAME [--shape HxWxC] [--data-dir DIR] [--json]
 */
import path from 'node:path';
import { importCsvDataset, importImageFolderDataset, registerImportedDatasets } from '../engine/data/datasets/index.ts';
import { defaultCacheDir, listDatasets } from '../engine/index.ts';
import { parseArgs, UsageError } from './args.ts';

export const DATASETS_USAGE = `  clwb datasets [--json] [--data-dir DIR]   list the datasets (built-in and imported)
  clwb datasets import <csv-file|folder> --format csv|image-folder --name NAME [--shape HxWxC] [--data-dir DIR] [--json]
                   import a CSV file (label column, then pixels; or a folder with train.csv and test.csv)
                   or a folder of images per class (<class>/*.png|jpg) as a new dataset; prints its id`;

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** `HxWxC` → [h, w, c]; a UsageError for anything else. */
export function parseShape(text: string): [number, number, number] {
  const parts = text.split(/[x×,]/i).map((part) => Number(part));
  if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n > 0)) throw new UsageError(`--shape must be HxWxC with positive integers, e.g. 28x28x1; got ${text}`);
  return parts as [number, number, number];
}

/** The dataset cache of this command: --data-dir, else the default. */
function cacheDirOf(options: Record<string, string | true>): string {
  return options['data-dir'] ? path.resolve(options['data-dir'] as string) : defaultCacheDir();
}

export async function datasets(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'import') return importDataset(argv.slice(1), io);
  const { options, positionals } = parseArgs(argv, { flags: ['json'], options: ['data-dir'] });
  if (positionals.length) throw new UsageError(`unknown datasets command "${positionals[0]}" (try: clwb datasets import)`);
  registerImportedDatasets(cacheDirOf(options));
  const list = listDatasets().map(({ load: _load, ...rest }) => rest);
  if (options.json) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  else for (const d of list) io.stdout.write(`${d.id.padEnd(15)} ${d.name} (${d.inputShape.join('x')}, ${d.numClasses} classes)${d.bundled ? ' [bundled]' : ''}\n`);
  return 0;
}

async function importDataset(argv: string[], io: Io): Promise<number> {
  const { options, positionals } = parseArgs(argv, { flags: ['json'], options: ['format', 'name', 'shape', 'data-dir'] });
  if (positionals.length !== 1) throw new UsageError('datasets import takes exactly one CSV file or folder');
  const format = options.format;
  if (format !== 'csv' && format !== 'image-folder') throw new UsageError('--format must be csv or image-folder');
  if (typeof options.name !== 'string' || options.name.trim() === '') throw new UsageError('--name NAME is required');
  const source = path.resolve(positionals[0]!);
  const cacheDir = cacheDirOf(options);
  const importOptions = {
    name: options.name.trim(),
    ...(typeof options.shape === 'string' ? { inputShape: parseShape(options.shape) } : {}),
    onProgress: (p: { phase: string; loaded: number; total?: number }) => io.stderr.write(`clwb: ${p.phase} ${p.loaded}${p.total ? `/${p.total}` : ''}\n`),
  };
  const manifest = format === 'csv' ? await importCsvDataset(cacheDir, source, importOptions) : await importImageFolderDataset(cacheDir, source, importOptions);
  if (options.json) io.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  else {
    io.stderr.write(
      `clwb: imported "${manifest.name}": ${manifest.inputShape.join('x')}, ${manifest.numClasses} classes, ${manifest.counts.train} train / ${manifest.counts.test} test samples, in ${path.join(cacheDir, 'imported', manifest.id)}\n`,
    );
    io.stdout.write(`${manifest.id}\n`);
  }
  return 0;
}
