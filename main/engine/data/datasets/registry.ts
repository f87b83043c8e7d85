/**
 * The dataset registry: datasets are known by string id (saved experiments name
 * ids, never code). Import `./index.ts` rather than this file to get the
 * built-in datasets registered.
 */
import os from 'node:os';
import path from 'node:path';
import { WorkbenchError } from '../../errors.ts';
import type { Dataset, DatasetEntry, DatasetLoadContext, DataSplit } from '../types.ts';
import { throwIfCancelled } from './files.ts';

const entries = new Map<string, DatasetEntry>();

/**
 * Adds a dataset to the registry. Registering an id twice is a programming
 * error (two loaders would silently fight over it) unless `replace` is set.
 */
export function registerDataset(entry: DatasetEntry, options: { replace?: boolean } = {}): void {
  if (entries.has(entry.id) && !options.replace) {
    throw new WorkbenchError('INTERNAL', `Dataset "${entry.id}" is already registered.`, { id: entry.id });
  }
  entries.set(entry.id, entry);
}

/** Removes a dataset from the registry (for tests and plugins); true if it was there. */
export function unregisterDataset(id: string): boolean {
  return entries.delete(id);
}

/** Finds an entry not registered yet (imported datasets in a cache folder); undefined when there is none. */
export type DatasetResolver = (id: string, cacheDir: string) => DatasetEntry | undefined;
let resolver: DatasetResolver | undefined;

/** Sets the resolver {@link getDatasetEntry} asks for unknown ids (imported.ts installs one). */
export function setDatasetResolver(next: DatasetResolver | undefined): void {
  resolver = next;
}

/**
 * The registry entry for `id`; an unknown id is looked up with the resolver in
 * `cacheDir` (default {@link defaultCacheDir}) and registered when found. Throws
 * UNKNOWN_ID naming the id and the known ids.
 */
export function getDatasetEntry(id: string, cacheDir?: string): DatasetEntry {
  let entry = entries.get(id);
  if (!entry && resolver) {
    entry = resolver(id, cacheDir ?? defaultCacheDir());
    if (entry) entries.set(entry.id, entry);
  }
  if (!entry) {
    const known = [...entries.keys()];
    throw new WorkbenchError(
      'UNKNOWN_ID',
      `Unknown dataset "${id}". Known datasets: ${known.length > 0 ? known.join(', ') : '(none registered)'}.`,
      { id, known },
    );
  }
  return entry;
}

/** Every registered dataset, in registration order. */
export function listDatasets(): DatasetEntry[] {
  return [...entries.values()];
}

/**
 * Where downloaded and imported dataset files live: `$CLWB_DATA_DIR` when set
 * (what `--data-dir` sets too), else `$XDG_CACHE_HOME/clwb/datasets`, else
 * `~/.cache/clwb/datasets`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLWB_DATA_DIR) return path.resolve(env.CLWB_DATA_DIR);
  const cacheHome = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(path.resolve(cacheHome), 'clwb', 'datasets');
}

/** A load context whose `cacheDir` may be left out (it defaults to `defaultCacheDir()`). */
export type LoadOptions = Omit<DatasetLoadContext, 'cacheDir'> & { cacheDir?: string };

/**
 * Loads a registered dataset. The result may be shared with other callers
 * (bundled datasets are cached in memory): treat its arrays as read-only.
 * Every failure is a WorkbenchError: file-system errors become `IO` naming
 * the path, anything else unexpected `INTERNAL`.
 */
export async function loadDataset(id: string, options: LoadOptions = {}): Promise<Dataset> {
  const context: DatasetLoadContext = { ...options, cacheDir: options.cacheDir ?? defaultCacheDir() };
  const entry = getDatasetEntry(id, context.cacheDir);
  throwIfCancelled(context.signal);
  let dataset: Dataset;
  try {
    dataset = await entry.load(context);
  } catch (error) {
    throw asWorkbenchError(error, entry.id);
  }
  checkDataset(entry, dataset);
  return dataset;
}

/** Gives a loader's stray error (EACCES, ENOSPC, a bug) a code, so the UI can place it. */
function asWorkbenchError(error: unknown, id: string): WorkbenchError {
  if (error instanceof WorkbenchError) return error;
  const cause = error instanceof Error ? error : new Error(String(error));
  const system = cause as NodeJS.ErrnoException;
  if (typeof system.code === 'string' && typeof system.syscall === 'string') {
    return new WorkbenchError('IO', `Loading dataset "${id}" failed: ${cause.message}`, { id, ...(system.path ? { path: system.path } : {}), errno: system.code });
  }
  return new WorkbenchError('INTERNAL', `Loading dataset "${id}" failed: ${cause.message}`, { id, stack: cause.stack });
}

/**
 * A cheap consistency check of what a loader returned, so a buggy loader fails
 * here with its id rather than as an out-of-range read deep in training.
 */
function checkDataset(entry: DatasetEntry, dataset: Dataset): void {
  const inputSize = dataset.inputShape[0] * dataset.inputShape[1] * dataset.inputShape[2];
  const problems: string[] = [];
  if (dataset.inputShape.join('x') !== entry.inputShape.join('x')) {
    problems.push(`inputShape ${dataset.inputShape.join('x')} differs from the entry's ${entry.inputShape.join('x')}`);
  }
  if (dataset.numClasses !== entry.numClasses) problems.push(`numClasses ${dataset.numClasses} differs from the entry's ${entry.numClasses}`);
  if (dataset.classNames.length !== dataset.numClasses) problems.push(`${dataset.classNames.length} class names for ${dataset.numClasses} classes`);
  const splits: [string, DataSplit][] = [['train', dataset.train], ['test', dataset.test]];
  for (const [name, split] of splits) {
    if (split.x.length !== split.count * inputSize) problems.push(`${name}.x has ${split.x.length} floats, expected ${split.count * inputSize}`);
    if (split.y.length !== split.count) problems.push(`${name}.y has ${split.y.length} labels, expected ${split.count}`);
  }
  if (problems.length > 0) {
    throw new WorkbenchError('INTERNAL', `Dataset loader "${entry.id}" returned an inconsistent dataset: ${problems.join('; ')}.`, {
      id: entry.id,
      problems: problems.map((message) => ({ path: entry.id, message })),
    });
  }
}
