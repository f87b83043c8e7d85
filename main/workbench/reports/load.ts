/**
 * Reading the results a report is built from. `loadResults` accepts
 *   - a results.json file (what `clwb run` writes),
 *   - a folder: each registered `ResultsReader` is asked in turn whether it can read it. The
 *     built-in reader takes an output folder of `clwb run` (one holding results.json). The
 *     project store registers its own reader for a project folder (project.json +
 *     experiments/ + runs/) with `registerResultsReader`, which then picks the experiment by id.
 * Every document is validated (kind, schema version, the fields a report needs) and every
 * error names the path it concerns.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../../engine/errors.ts';
import { RESULTS_SCHEMA_VERSION, type ResultsDocument } from '../experiment-run.ts';

/** A loaded, validated results document and where it came from. */
export interface LoadedResults {
  document: ResultsDocument;
  /** The results.json file, or the project folder, it was read from. */
  path: string;
  /** The folder the results belong to (the run output folder, or the project folder). */
  folder: string;
  /** A runnable experiment file (`clwb run FILE`) with the same spec, when there is one. */
  experimentFile?: string;
}

/** Reads a results document out of a folder; the project store plugs one in for project folders. */
export interface ResultsReader {
  /** A short name for error messages ("clwb run output folder", "project"). */
  name: string;
  /** True when this reader recognises the folder (e.g. it holds project.json). */
  canRead(dir: string): Promise<boolean>;
  /**
   * Reads the experiment `experiment` (its id; a reader may pick the only or latest one when it is
   * not given) and returns the raw document, which loadResults then validates.
   */
  read(dir: string, experiment: string | undefined): Promise<RawResults>;
}

/** What a reader returns: the unvalidated document and where it lives. */
export interface RawResults {
  document: unknown;
  path: string;
  folder: string;
  experimentFile?: string;
}

export interface LoadOptions {
  /** Experiment id, for a project folder; for a results file it must name that file's experiment. */
  experiment?: string;
}

const readers: ResultsReader[] = [];

/** Adds a folder reader; readers registered later are asked first, the built-in one last. */
export function registerResultsReader(reader: ResultsReader): () => void {
  readers.unshift(reader);
  return () => {
    const index = readers.indexOf(reader);
    if (index >= 0) readers.splice(index, 1);
  };
}

/** The built-in reader: an output folder of `clwb run` (experiment.json + results.json + runs/). */
const runFolderReader: ResultsReader = {
  name: 'clwb run output folder',
  canRead: async (dir) => isFile(path.join(dir, 'results.json')),
  read: async (dir) => readResultsFile(path.join(dir, 'results.json')),
};

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A results.json file; its folder's experiment.json (written by clwb run) is the runnable spec. */
async function readResultsFile(file: string): Promise<RawResults> {
  const document = await readJson(file);
  const experimentFile = path.join(path.dirname(file), 'experiment.json');
  return { document, path: file, folder: path.dirname(file), ...((await isFile(experimentFile)) ? { experimentFile } : {}) };
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new WorkbenchError('IO', `Cannot read results ${file}: ${reason}`, { path: file });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WorkbenchError('RESULTS_INVALID', `${file} is not valid JSON (${(error as Error).message}); is it a results.json written by clwb run?`, { path: file });
  }
}

/**
 * Loads and validates the results at `source` (a results.json file or a folder, see the module
 * comment). Throws WorkbenchError IO (missing or unreadable) or RESULTS_INVALID (corrupt JSON,
 * wrong kind or schema version, missing fields, no finished runs), always naming the path.
 */
export async function loadResults(source: string, options: LoadOptions = {}): Promise<LoadedResults> {
  let stat;
  try {
    stat = await fs.stat(source);
  } catch {
    throw new WorkbenchError('IO', `Cannot read results ${source}: no such file or folder`, { path: source });
  }
  let raw: RawResults;
  // A results file (or a run output folder) holds exactly one experiment; project readers choose by id.
  let singleExperiment = true;
  if (stat.isDirectory()) {
    const all = [...readers, runFolderReader];
    let reader: ResultsReader | undefined;
    for (const candidate of all) {
      if (await candidate.canRead(source)) {
        reader = candidate;
        break;
      }
    }
    if (!reader) {
      const hint = (await isFile(path.join(source, 'project.json')))
        ? ' It looks like a project folder, but no project reader is available in this version; give the results.json of a run instead.'
        : '';
      throw new WorkbenchError('IO', `${source} holds no results: expected results.json (an output folder of clwb run) or a project folder.${hint}`, { path: source });
    }
    try {
      raw = await reader.read(source, options.experiment);
    } catch (error) {
      if (error instanceof WorkbenchError) throw error;
      // Readers plugged in by other services may throw their own errors; keep code and message, add where.
      const { code, message, details } = error as { code?: unknown; message?: string; details?: Record<string, unknown> };
      throw new WorkbenchError('RESULTS_INVALID', `${source} (${reader.name}): ${message ?? String(error)}`, { path: source, ...(details ?? {}), ...(typeof code === 'string' ? { reason: code } : {}) });
    }
    singleExperiment = reader === runFolderReader;
  } else {
    raw = await readResultsFile(source);
  }
  const document = validateResults(raw.document, raw.path);
  if (options.experiment !== undefined && singleExperiment) checkExperiment(document, raw, options.experiment);
  return { document, path: raw.path, folder: raw.folder, ...(raw.experimentFile ? { experimentFile: raw.experimentFile } : {}) };
}

/** A results file holds one experiment: `--experiment` must name it (by name, folder name or spec hash prefix). */
function checkExperiment(document: ResultsDocument, raw: RawResults, experiment: string): void {
  const names = [document.experiment.name, path.basename(raw.folder)];
  if (names.includes(experiment) || (experiment.length >= 6 && document.specHash.startsWith(experiment))) return;
  throw new WorkbenchError(
    'RESULTS_INVALID',
    `${raw.path} holds the experiment "${document.experiment.name}" (folder ${path.basename(raw.folder)}, spec hash ${document.specHash.slice(0, 12)}), not "${experiment}"`,
    { path: raw.path },
  );
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isMatrix = (value: unknown): value is number[][] => Array.isArray(value) && value.length > 0 && value.every((row) => Array.isArray(row) && row.length > 0 && row.every(isNumber));

/**
 * Checks that `value` is a results document a report can be built from and returns it typed.
 * `file` is used in the messages. Exported for hosts that hold a document in memory.
 */
export function validateResults(value: unknown, file: string): ResultsDocument {
  const fail = (message: string, problems: { path: string; message: string }[] = []): never => {
    throw new WorkbenchError('RESULTS_INVALID', `${file}: ${message}`, { path: file, ...(problems.length ? { problems } : {}) });
  };
  if (!isObject(value)) fail('not a results document (expected a JSON object)');
  const doc = value as Record<string, unknown>;
  if (doc.kind !== 'clwb-results') fail(`not a CL Workbench results document (kind is ${JSON.stringify(doc.kind)}, expected "clwb-results")`);
  if (typeof doc.schemaVersion !== 'number') fail('has no schemaVersion');
  if (doc.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    fail(
      (doc.schemaVersion as number) > RESULTS_SCHEMA_VERSION
        ? `was written with results schema version ${doc.schemaVersion}, newer than this version reads (${RESULTS_SCHEMA_VERSION}); update CL Workbench`
        : `has results schema version ${doc.schemaVersion}; this version reads ${RESULTS_SCHEMA_VERSION}`,
    );
  }
  const problems: { path: string; message: string }[] = [];
  const need = (ok: boolean, where: string, message: string) => {
    if (!ok) problems.push({ path: where, message });
  };
  need(typeof doc.specHash === 'string', '$.specHash', 'must be a string');
  need(isObject(doc.environment), '$.environment', 'must be an object');
  need(isObject(doc.app), '$.app', 'must be an object');
  const experiment = doc.experiment;
  need(isObject(experiment), '$.experiment', 'must be the experiment spec');
  if (isObject(experiment)) {
    for (const key of ['dataset', 'scenario', 'model', 'training']) need(isObject(experiment[key]), `$.experiment.${key}`, 'must be an object');
    need(Array.isArray(experiment.strategies), '$.experiment.strategies', 'must be an array');
    need(Array.isArray(experiment.seeds), '$.experiment.seeds', 'must be an array');
  }
  need(Array.isArray(doc.runs), '$.runs', 'must be an array');
  need(Array.isArray(doc.failed), '$.failed', 'must be an array');
  need(Array.isArray(doc.summary), '$.summary', 'must be an array');
  if (Array.isArray(doc.runs)) {
    doc.runs.forEach((run: unknown, i) => {
      const where = `$.runs[${i}]`;
      if (!isObject(run)) return need(false, where, 'must be an object');
      for (const key of ['id', 'strategy', 'label']) need(typeof run[key] === 'string', `${where}.${key}`, 'must be a string');
      need(isNumber(run.seed), `${where}.seed`, 'must be a number');
      need(isMatrix(run.accuracyMatrix), `${where}.accuracyMatrix`, 'must be a non-empty matrix of numbers');
      if (run.taskAccuracyMatrix !== undefined) need(isMatrix(run.taskAccuracyMatrix), `${where}.taskAccuracyMatrix`, 'must be a matrix of numbers');
      need(isObject(run.metrics) && isNumber(run.metrics.acc), `${where}.metrics`, 'must hold the metrics (acc, bwt, ...)');
      need(isObject(run.cost), `${where}.cost`, 'must be an object');
      need(isObject(run.params), `${where}.params`, 'must be an object');
    });
  }
  if (Array.isArray(doc.summary)) {
    doc.summary.forEach((entry: unknown, i) => {
      const where = `$.summary[${i}]`;
      if (!isObject(entry)) return need(false, where, 'must be an object');
      need(typeof entry.label === 'string', `${where}.label`, 'must be a string');
      need(isObject(entry.metrics) && isObject(entry.metrics.acc), `${where}.metrics`, 'must hold mean/sd/n per metric');
      need(isObject(entry.cost), `${where}.cost`, 'must be an object');
    });
  }
  if (problems.length) fail(`is not a valid results document: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  const document = value as unknown as ResultsDocument;
  if (document.runs.length === 0) {
    const failed = document.failed.length
      ? ` (${document.failed.length} failed: ${document.failed.slice(0, 3).map((f) => `${f.label} seed ${f.seed}: ${f.error.message}`).join('; ')}${document.failed.length > 3 ? '; ...' : ''})`
      : '';
    fail(`experiment "${document.experiment.name}" has no finished runs${failed}; there is nothing to report`);
  }
  return document;
}
