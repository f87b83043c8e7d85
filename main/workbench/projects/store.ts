/**
 * The project store: one project folder (layout in documents.ts and docs/app.md).
 * Every write is atomic (temp file + rename); event logs are append-only and load
 * with a torn last line; every document is validated on load; a file that cannot
 * be read is reported with its path and reason and is never written over.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../../engine/errors.ts';
import type { RunEvent } from '../../engine/run/events.ts';
import type { RunResult } from '../../engine/run/result.ts';
import { ApiFailure } from '../api/errors.ts';
import { ID_PATTERN, type ExperimentDocument, type FileProblem, type JsonValue, type ProjectDocument, type ResultsDocument } from '../api/contract.ts';
import { EventLog, writeJsonAtomic } from '../files.ts';
import { loadPackedCheckpoint, resultsDocument, saveCheckpoint, type PackedCheckpoint } from '../experiment-run.ts';
import {
  DocumentError,
  loadExperimentDocument,
  loadProjectDocument,
  loadResultDocument,
  loadRunRecord,
  PROJECT_SCHEMA_VERSION,
  type ResultDocument,
  type RunRecord,
} from './documents.ts';
import { digestEvents, type EventDigest } from './run-state.ts';

/** A run as stored: its record, what its log says, and whether it has a result and a checkpoint. */
export interface StoredRun {
  record: RunRecord;
  digest: EventDigest;
  hasResult: boolean;
  checkpoint?: { completed: number };
  /** The event log's last line was torn (a crash while writing) and was skipped. */
  tornLastLine: boolean;
}

const idPattern = new RegExp(ID_PATTERN, 'u');

/** Checks an id before it becomes part of a path (defence in depth behind the API schemas). */
export function assertId(id: string, what: string): void {
  if (!idPattern.test(id)) throw new ApiFailure('BAD_REQUEST', `Invalid ${what} id "${id}"`, { path: id });
}

/** A file-name-safe id from a name: lower case words joined by dashes. */
export function slugify(name: string, fallback = 'experiment'): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || fallback;
}

function problemOf(error: unknown, fallbackPath: string): FileProblem {
  if (error instanceof DocumentError) return { path: error.path, reason: error.reason };
  if (error instanceof WorkbenchError || error instanceof ApiFailure) return { path: (error.details.path as string | undefined) ?? fallbackPath, reason: error.message };
  return { path: fallbackPath, reason: (error as Error).message ?? String(error) };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

export class ProjectStore {
  /** Files that failed to load in this session: never written over. */
  private readonly unreadable = new Map<string, string>();
  private readonly logs = new Map<string, EventLog>();

  private constructor(
    readonly dir: string,
    private projectDocument: ProjectDocument,
  ) {}

  get project(): ProjectDocument {
    return this.projectDocument;
  }

  get projectFile(): string {
    return path.join(this.dir, 'project.json');
  }

  /**
   * Creates a project in `dir` (created if missing). Refuses a folder that already holds a
   * project or any other files, so nothing of the user's is mixed in or written over.
   */
  static async create(dir: string, options: { name: string; description?: string }): Promise<ProjectStore> {
    const folder = path.resolve(dir);
    if (await exists(path.join(folder, 'project.json'))) {
      throw new ApiFailure('CONFLICT', `${folder} already holds a project (project.json); open it instead`, { path: folder });
    }
    let entries: string[] = [];
    try {
      entries = await fs.readdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new WorkbenchError('IO', `Cannot use ${folder}: ${(error as Error).message}`, { path: folder });
    }
    if (entries.length > 0) throw new ApiFailure('CONFLICT', `${folder} is not empty; choose a new or empty folder for a project`, { path: folder });
    const now = new Date().toISOString();
    const document: ProjectDocument = {
      schemaVersion: PROJECT_SCHEMA_VERSION,
      kind: 'clwb-project',
      id: randomUUID(),
      name: options.name,
      ...(options.description ? { description: options.description } : {}),
      createdAt: now,
      updatedAt: now,
    };
    await fs.mkdir(path.join(folder, 'experiments'), { recursive: true });
    await fs.mkdir(path.join(folder, 'runs'), { recursive: true });
    await writeJsonAtomic(path.join(folder, 'project.json'), document);
    return new ProjectStore(folder, document);
  }

  /** Opens a project folder. Throws NOT_FOUND / IO naming project.json and the reason when it cannot be used. */
  static async open(dir: string): Promise<ProjectStore> {
    const folder = path.resolve(dir);
    const file = path.join(folder, 'project.json');
    try {
      return new ProjectStore(folder, await loadProjectDocument(file));
    } catch (error) {
      if (error instanceof DocumentError) {
        if (error.missing) throw new ApiFailure('NOT_FOUND', `${folder} is not a CL Workbench project: ${file} does not exist`, { path: file });
        throw new WorkbenchError('IO', `Cannot open the project: ${error.message}. The file was left untouched.`, { path: file, reason: error.reason });
      }
      throw error;
    }
  }

  /** Writes a document unless it is one that failed to load (then CONFLICT: it is kept as it is). */
  private async write(file: string, value: unknown): Promise<void> {
    const reason = this.unreadable.get(file);
    if (reason !== undefined) {
      throw new ApiFailure('CONFLICT', `${file} could not be read (${reason}), so it is not written over. Move it away or repair it first.`, { path: file, reason });
    }
    await writeJsonAtomic(file, value);
  }

  private remember(problem: FileProblem): FileProblem {
    this.unreadable.set(problem.path, problem.reason);
    return problem;
  }

  async saveProject(patch: { name?: string; description?: string }): Promise<ProjectDocument> {
    const next: ProjectDocument = { ...this.projectDocument, ...patch, updatedAt: new Date().toISOString() };
    await this.write(this.projectFile, next);
    this.projectDocument = next;
    return next;
  }

  // -- experiments ----------------------------------------------------------

  experimentFile(id: string): string {
    assertId(id, 'experiment');
    return path.join(this.dir, 'experiments', `${id}.json`);
  }

  /** Every readable experiment, and a problem for each file that is not. */
  async listExperiments(): Promise<{ experiments: ExperimentDocument[]; problems: FileProblem[] }> {
    const folder = path.join(this.dir, 'experiments');
    let names: string[];
    try {
      names = (await fs.readdir(folder)).filter((name) => name.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { experiments: [], problems: [] };
      return { experiments: [], problems: [this.remember({ path: folder, reason: (error as Error).message })] };
    }
    const experiments: ExperimentDocument[] = [];
    const problems: FileProblem[] = [];
    for (const name of names) {
      const id = name.slice(0, -'.json'.length);
      const file = path.join(folder, name);
      if (!idPattern.test(id)) {
        problems.push(this.remember({ path: file, reason: 'its file name is not a valid experiment id (letters, digits, - and _)' }));
        continue;
      }
      try {
        experiments.push(await loadExperimentDocument(file, id));
      } catch (error) {
        problems.push(this.remember(problemOf(error, file)));
      }
    }
    return { experiments, problems };
  }

  async getExperiment(id: string): Promise<ExperimentDocument> {
    const file = this.experimentFile(id);
    try {
      return await loadExperimentDocument(file, id);
    } catch (error) {
      if (error instanceof DocumentError) {
        if (error.missing) throw new ApiFailure('NOT_FOUND', `No experiment "${id}" in this project`, { path: file });
        this.remember(problemOf(error, file));
        throw new WorkbenchError('IO', `Cannot read experiment ${id}: ${error.message}`, { path: file, reason: error.reason });
      }
      throw error;
    }
  }

  /** Saves graph + spec. Without `id` a new experiment gets an id from its name. */
  async saveExperiment(input: { id?: string; name: string; graph?: JsonValue; spec: JsonValue }): Promise<ExperimentDocument> {
    const now = new Date().toISOString();
    let createdAt = now;
    let id = input.id;
    let graph: JsonValue = input.graph ?? null;
    if (id) {
      const file = this.experimentFile(id);
      try {
        const previous = await loadExperimentDocument(file, id);
        createdAt = previous.createdAt;
        if (input.graph === undefined) graph = previous.graph ?? null;
      } catch (error) {
        if (!(error instanceof DocumentError && error.missing)) {
          this.remember(problemOf(error, file));
        }
      }
    } else {
      id = await this.freeId(path.join(this.dir, 'experiments'), slugify(input.name), '.json');
    }
    const document: ExperimentDocument = { schemaVersion: PROJECT_SCHEMA_VERSION, kind: 'clwb-experiment', id, name: input.name, graph, spec: input.spec, createdAt, updatedAt: now };
    await this.write(this.experimentFile(id), document);
    return document;
  }

  /** `base`, or `base-2`, `base-3`... whichever names no file yet. */
  private async freeId(folder: string, base: string, suffix = ''): Promise<string> {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base.slice(0, 120)}-${n}`;
      if (!(await exists(path.join(folder, candidate + suffix)))) return candidate;
    }
  }

  // -- runs -----------------------------------------------------------------

  runDir(runId: string): string {
    assertId(runId, 'run');
    return path.join(this.dir, 'runs', runId);
  }

  private checkpointDir(runId: string): string {
    return path.join(this.runDir(runId), 'checkpoints');
  }

  /** An unused run id starting with `base`. */
  newRunId(base: string): Promise<string> {
    return this.freeId(path.join(this.dir, 'runs'), base);
  }

  /** Creates runs/<id>/spec.json for a run about to be queued. */
  async createRun(record: RunRecord): Promise<void> {
    const file = path.join(this.runDir(record.id), 'spec.json');
    if (await exists(file)) throw new ApiFailure('CONFLICT', `Run ${record.id} already exists`, { path: file });
    await this.write(file, record);
  }

  private log(runId: string): EventLog {
    let log = this.logs.get(runId);
    if (!log) {
      log = new EventLog(path.join(this.runDir(runId), 'events.ndjson'));
      this.logs.set(runId, log);
    }
    return log;
  }

  appendEvent(runId: string, event: RunEvent): Promise<void> {
    return this.log(runId).append(event);
  }

  async readEvents(runId: string): Promise<{ events: RunEvent[]; tornLastLine: boolean }> {
    await this.logs.get(runId)?.flush();
    const file = path.join(this.runDir(runId), 'events.ndjson');
    const { records, tornLastLine } = await EventLog.read(file);
    return { events: records as RunEvent[], tornLastLine };
  }

  async writeResult(runId: string, result: RunResult): Promise<void> {
    const document: ResultDocument = { schemaVersion: PROJECT_SCHEMA_VERSION, kind: 'clwb-run-result', result };
    await this.write(path.join(this.runDir(runId), 'result.json'), document);
  }

  /** The run's result, or undefined when it has none; throws IO naming the file when it is unreadable. */
  async readResult(runId: string): Promise<RunResult | undefined> {
    const file = path.join(this.runDir(runId), 'result.json');
    try {
      return (await loadResultDocument(file, runId)).result;
    } catch (error) {
      if (error instanceof DocumentError) {
        if (error.missing) return undefined;
        this.remember(problemOf(error, file));
        throw new WorkbenchError('RESULTS_INVALID', `Cannot read the result of run ${runId}: ${error.message}`, { path: file, reason: error.reason });
      }
      throw error;
    }
  }

  saveCheckpoint(runId: string, checkpoint: PackedCheckpoint): Promise<void> {
    return saveCheckpoint(this.checkpointDir(runId), checkpoint);
  }

  loadCheckpoint(runId: string): Promise<PackedCheckpoint | undefined> {
    return loadPackedCheckpoint(this.checkpointDir(runId));
  }

  async dropCheckpoint(runId: string): Promise<void> {
    await fs.rm(this.checkpointDir(runId), { recursive: true, force: true });
  }

  /** How far the checkpoint on disk goes, read from its manifest only (cheap). */
  async checkpointInfo(runId: string): Promise<{ completed: number } | undefined> {
    try {
      const manifest = JSON.parse(await fs.readFile(path.join(this.checkpointDir(runId), 'state.json'), 'utf8')) as { state?: { completed?: unknown } };
      const completed = manifest.state?.completed;
      return typeof completed === 'number' ? { completed } : undefined;
    } catch {
      return undefined;
    }
  }

  /** One run, everything the lists need. Throws with the path when its spec.json is unusable. */
  async readRun(runId: string): Promise<StoredRun> {
    const dir = this.runDir(runId);
    const specFile = path.join(dir, 'spec.json');
    let record: RunRecord;
    try {
      record = await loadRunRecord(specFile, runId);
    } catch (error) {
      if (error instanceof DocumentError) {
        this.remember(problemOf(error, specFile));
        if (error.missing) throw new ApiFailure('NOT_FOUND', `No run "${runId}" in this project (${specFile} does not exist)`, { path: specFile });
        throw new WorkbenchError('IO', `Cannot read run ${runId}: ${error.message}`, { path: specFile, reason: error.reason });
      }
      throw error;
    }
    let events: RunEvent[] = [];
    let tornLastLine = false;
    try {
      ({ events, tornLastLine } = await this.readEvents(runId));
    } catch (error) {
      // A log damaged in the middle is reported; the run still shows, as interrupted.
      this.remember(problemOf(error, path.join(dir, 'events.ndjson')));
    }
    const hasResult = await exists(path.join(dir, 'result.json'));
    const checkpoint = hasResult ? undefined : await this.checkpointInfo(runId);
    return { record, digest: digestEvents(events, hasResult), hasResult, ...(checkpoint ? { checkpoint } : {}), tornLastLine };
  }

  /** Every run with a readable spec.json, and a problem for each run folder that has none. */
  async listRuns(): Promise<{ runs: StoredRun[]; problems: FileProblem[] }> {
    const folder = path.join(this.dir, 'runs');
    let names: string[];
    try {
      names = (await fs.readdir(folder, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], problems: [] };
      return { runs: [], problems: [this.remember({ path: folder, reason: (error as Error).message })] };
    }
    const runs: StoredRun[] = [];
    const problems: FileProblem[] = [];
    for (const name of names) {
      if (!idPattern.test(name)) {
        problems.push({ path: path.join(folder, name), reason: 'its folder name is not a valid run id' });
        continue;
      }
      try {
        runs.push(await this.readRun(name));
      } catch (error) {
        problems.push(problemOf(error, path.join(folder, name)));
      }
      const errorsLog = path.join(folder, name, 'events.ndjson');
      const reason = this.unreadable.get(errorsLog);
      if (reason !== undefined) problems.push({ path: errorsLog, reason });
    }
    return { runs, problems };
  }

  /**
   * The results of an experiment's finished runs in the results.json shape. By default the
   * latest spec that has finished runs, and the latest finished run per strategy x seed of it;
   * with `runIds`, exactly those runs (which must share one spec).
   */
  async experimentResults(experimentId: string, runIds?: string[]): Promise<ResultsDocument> {
    const { runs } = await this.listRuns();
    let mine = runs.filter((run) => run.record.experimentId === experimentId);
    if (runIds) {
      const wanted = new Set(runIds);
      const missing = runIds.filter((id) => !mine.some((run) => run.record.id === id));
      if (missing.length > 0) throw new ApiFailure('NOT_FOUND', `No run ${missing.join(', ')} of experiment ${experimentId}`, { runIds: missing });
      mine = mine.filter((run) => wanted.has(run.record.id));
      const unfinished = mine.filter((run) => !run.hasResult).map((run) => run.record.id);
      if (unfinished.length > 0) throw new ApiFailure('CONFLICT', `Run ${unfinished.join(', ')} has no result yet`, { runIds: unfinished });
      if (new Set(mine.map((run) => run.record.specHash)).size > 1) {
        throw new ApiFailure('CONFLICT', 'The chosen runs come from different versions of the experiment (their specs differ); choose runs of one version');
      }
    }
    const finished = mine.filter((run) => run.hasResult).sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt));
    if (finished.length === 0) throw new ApiFailure('NOT_FOUND', `Experiment ${experimentId} has no finished runs yet`, { experimentId });
    const latest = finished[finished.length - 1].record;
    const sameSpec = (run: StoredRun) => run.record.specHash === latest.specHash;
    // Latest per strategy x seed, so a re-run replaces the earlier one instead of counting twice.
    const pick = new Map<string, StoredRun>();
    for (const run of finished.filter(sameSpec)) pick.set(`${run.record.strategyIndex}:${run.record.seed}`, run);
    const results: RunResult[] = [];
    for (const run of [...pick.values()].sort((a, b) => a.record.strategyIndex - b.record.strategyIndex || a.record.seed - b.record.seed)) {
      const result = await this.readResult(run.record.id);
      if (result) results.push(result);
    }
    const failed = runIds
      ? []
      : mine
          .filter((run) => sameSpec(run) && (run.digest.status === 'failed') && !pick.has(`${run.record.strategyIndex}:${run.record.seed}`))
          .map((run) => ({
            id: run.record.id,
            strategy: run.record.strategy,
            label: run.record.label,
            seed: run.record.seed,
            error: { code: run.digest.error?.code ?? 'INTERNAL', message: run.digest.error?.message ?? 'failed' },
          }));
    const first = results[0];
    return resultsDocument({
      spec: latest.spec,
      runs: results,
      failed,
      backend: { name: (first?.backend ?? 'unknown') as never, device: first?.device ?? 'unknown' },
      createdAt: finished[0].record.createdAt,
    });
  }
}
