/**
 * The workbench service: the one implementation of the API contract, shared by
 * the Electron host (IPC) and the headless host (HTTP + WebSocket). Hosts pass
 * every call through {@link WorkbenchService.handle}, which validates the payload
 * against the verb's schema, runs it, and answers with an Envelope; they forward
 * {@link WorkbenchService.onEvent} events to their UIs.
 */
import os from 'node:os';
import path from 'node:path';
import {
  APP_VERSION,
  catalogueJson,
  defaultCacheDir,
  validateExperiment,
  validationCatalogue,
  WorkbenchError,
  type BackendName,
  type ExperimentSpec,
  type RunEvent,
} from '../../engine/index.ts';
import { planRuns, specHash } from '../experiment-run.ts';
import { ProjectStore, RecentProjects, ensureSampleProject, type RunRecord, type StoredRun } from '../projects/index.ts';
import { digestEvents } from '../projects/run-state.ts';
import { RunScheduler, type RunOutcome, type RunSink, type SchedulerChange } from '../scheduler/scheduler.ts';
import { defaultConcurrency, type ConcurrencyDefault } from '../scheduler/concurrency.ts';
import type { WorkerLauncher } from '../scheduler/worker-host.ts';
import type { FromWorker, PackedState } from '../../worker/protocol.ts';
import { DatasetManager } from './datasets.ts';
import { readRecipes } from '../recipes.ts';
import { ApiFailure, toApiError } from './errors.ts';
import {
  CONTRACT_VERSION,
  isVerb,
  validateRequest,
  type ApiEvent,
  type BackendReport,
  type Catalogue,
  type Envelope,
  type ExperimentSummary,
  type HostInfo,
  type ProjectState,
  type ReplyOf,
  type ReportExportReply,
  type ReportExportRequest,
  type RequestOf,
  type ResultsDocument,
  type RunSummary,
  type SchedulerInfo,
  type ValidationReport,
  type Verb,
} from './contract.ts';

/** What `reports.export` calls with the experiment's results (selected runs only) and the files to write. */
export type ReportExporter = (options: ReportExportRequest & { projectDir: string; experimentFile: string; results: ResultsDocument }) => Promise<ReportExportReply>;

/** The reports module (CSV and PDF), loaded on first use: pdfkit and ECharts are not needed before. */
const exportWithReports: ReportExporter = async (options) => {
  const { exportReport } = await import('../reports/index.ts');
  const { files } = await exportReport({
    source: { document: options.results, path: options.experimentFile, folder: options.projectDir },
    ...(options.csv ? { csv: options.csv } : {}),
    ...(options.pdf ? { pdf: options.pdf } : {}),
    ...(options.overwrite ? { overwrite: true } : {}),
  });
  return { files };
};

export interface ServiceOptions {
  host: HostInfo['host'];
  /** Runtime versions to report (default: node). */
  versions?: Record<string, string>;
  /** The app's own folder (recent projects, the sample project's copy). */
  userDataDir: string;
  /** Dataset cache (default: $CLWB_DATA_DIR or ~/.cache/clwb/datasets). */
  dataDir?: string;
  launcher: WorkerLauncher;
  /** Runs at once (default: one per GPU, else one per free CPU core). */
  concurrency?: number;
  /** tfjs backend for runs (default auto). */
  backend?: BackendName | 'auto';
  /** The bundled sample project to copy on first use. */
  sampleProjectSource?: string;
  /** Writes reports (default: main/workbench/reports' exportReport). */
  reportExporter?: ReportExporter;
  /** A cancelled run's worker is killed after this long (default 3 s). */
  cancelGraceMs?: number;
}

type Handlers = { [V in Verb]: (request: RequestOf<V>) => Promise<ReplyOf<V>> };

/** A run of this session: its stored record and its state as the events arrive. */
interface LiveRun {
  store: ProjectStore;
  record: RunRecord;
  events: RunEvent[];
  hasResult: boolean;
  checkpoint?: { completed: number };
}

const MODELS: Catalogue['models'] = [
  { type: 'mlp', name: 'MLP', description: 'Fully connected layers (hidden widths), ReLU.', inputs: ['hidden'] },
  { type: 'cnn', name: 'CNN', description: 'Convolution blocks (channels), then a dense head.', inputs: ['channels'] },
  { type: 'resnet18-reduced', name: 'Reduced ResNet-18', description: 'ResNet-18 with base width 20 (GEM paper).', inputs: ['width'] },
];

const SCENARIOS: Catalogue['scenarios'] = [
  { type: 'class-incremental', name: 'Class-incremental', description: 'Split by classes, one head, no task label at test time.' },
  { type: 'task-incremental', name: 'Task-incremental', description: 'Split by classes, the task label is given at test time.' },
  { type: 'domain-incremental', name: 'Domain-incremental', description: 'Same classes, changed inputs per experience.', transforms: ['permuted', 'rotated'] },
];

function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

export class WorkbenchService {
  readonly scheduler: RunScheduler;
  readonly datasets: DatasetManager;
  private readonly recent: RecentProjects;
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private readonly live = new Map<string, LiveRun>();
  private readonly handlers: Handlers;
  private store: ProjectStore | undefined;
  private backendReport: Promise<Omit<BackendReport, 'host' | 'memory' | 'scheduler' | 'devices'>> | undefined;
  private probes = 0;

  private constructor(
    private readonly options: ServiceOptions,
    private readonly concurrencyDefault: ConcurrencyDefault,
  ) {
    this.scheduler = new RunScheduler({
      launcher: options.launcher,
      concurrency: options.concurrency ?? concurrencyDefault.concurrency,
      ...(options.cancelGraceMs !== undefined ? { cancelGraceMs: options.cancelGraceMs } : {}),
    });
    this.scheduler.onChange((change) => this.onSchedulerChange(change));
    this.datasets = new DatasetManager(options.dataDir ?? defaultCacheDir());
    this.recent = new RecentProjects(path.join(options.userDataDir, 'recent-projects.json'));
    this.handlers = this.createHandlers();
  }

  static async create(options: ServiceOptions): Promise<WorkbenchService> {
    return new WorkbenchService(options, await defaultConcurrency());
  }

  /** The open project's folder, if any. */
  get projectDir(): string | undefined {
    return this.store?.dir;
  }

  /**
   * Validates and runs one call. Never throws: every failure is an `{ ok: false, error }`
   * envelope with a code (BAD_REQUEST for an unknown verb or a payload that does not match).
   */
  async handle(verb: unknown, payload: unknown): Promise<Envelope<unknown>> {
    if (!isVerb(verb)) return { ok: false, error: { code: 'BAD_REQUEST', message: `Unknown verb ${JSON.stringify(String(verb)).slice(0, 80)}` } };
    const checked = validateRequest(verb, payload);
    if (!checked.ok) return checked;
    try {
      const handler = this.handlers[verb] as (request: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(checked.request) };
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.code === 'INTERNAL') console.error(`clwb: ${verb} failed:`, error);
      return { ok: false, error: apiError };
    }
  }

  /** Typed call for in-process use and tests: the reply, or a thrown ApiFailure. */
  async call<V extends Verb>(verb: V, request: RequestOf<V>): Promise<ReplyOf<V>> {
    const envelope = await this.handle(verb, request);
    if (!envelope.ok) throw new ApiFailure(envelope.error.code, envelope.error.message, envelope.error.details);
    return envelope.value as ReplyOf<V>;
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ApiEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('clwb: an event listener failed:', error);
      }
    }
  }

  /**
   * Opens the first project: `dir` when given; else the most recent one that still opens;
   * else the user's copy of the sample project (made on first use).
   */
  async openInitialProject(dir?: string): Promise<ProjectState> {
    if (dir) return this.openProject(dir);
    for (const recent of await this.recent.list()) {
      try {
        return await this.openProject(recent.path);
      } catch {
        // Moved or deleted since: try the next one.
      }
    }
    const sample = await ensureSampleProject(this.options.userDataDir, this.options.sampleProjectSource);
    return this.openProject(sample);
  }

  /** Stops all runs (they stay resumable) and closes. */
  async close(): Promise<void> {
    await this.scheduler.shutdown();
    this.listeners.clear();
  }

  // -- helpers --------------------------------------------------------------

  private requireStore(): ProjectStore {
    if (!this.store) throw new ApiFailure('NO_PROJECT', 'No project is open; open or create one first');
    return this.store;
  }

  private liveKey(store: ProjectStore, runId: string): string {
    return `${store.dir}\u0000${runId}`;
  }

  private hostInfo(): HostInfo {
    return {
      host: this.options.host,
      appVersion: APP_VERSION,
      contractVersion: CONTRACT_VERSION,
      versions: this.options.versions ?? { node: process.versions.node },
      platform: process.platform,
      arch: process.arch,
    };
  }

  private schedulerInfo(): SchedulerInfo {
    return {
      concurrency: this.scheduler.concurrency,
      defaultConcurrency: this.concurrencyDefault.concurrency,
      reason: this.concurrencyDefault.reason,
      gpus: this.concurrencyDefault.gpus,
      running: this.scheduler.running,
      queued: this.scheduler.queued,
    };
  }

  /** A run's summary from its record, its events and the scheduler's view. */
  private summarise(store: ProjectStore, stored: Pick<StoredRun, 'record' | 'digest' | 'hasResult' | 'checkpoint'>): RunSummary {
    const { record, digest } = stored;
    // Only runs queued in this session (through enqueue) can be in the scheduler.
    const scheduled = this.live.get(this.liveKey(store, record.id))?.store === store ? this.scheduler.state(record.id) : undefined;
    const status = scheduled ? scheduled.status : digest.status;
    return {
      id: record.id,
      experimentId: record.experimentId,
      experimentName: record.experimentName,
      strategy: record.strategy,
      label: record.label,
      seed: record.seed,
      status,
      createdAt: record.createdAt,
      ...(scheduled?.status === 'queued' ? { queuePosition: scheduled.position } : {}),
      ...(scheduled?.status === 'running' && scheduled.cancelling ? { cancelling: true } : {}),
      ...(digest.startedAt ? { startedAt: digest.startedAt } : {}),
      ...(digest.finishedAt && !scheduled ? { finishedAt: digest.finishedAt } : {}),
      ...(digest.backend ? { backend: digest.backend, device: digest.device } : {}),
      ...(digest.progress ? { progress: digest.progress } : {}),
      evaluations: digest.evaluations,
      events: digest.events,
      ...(digest.metrics && stored.hasResult ? { metrics: digest.metrics } : {}),
      ...(digest.error && !scheduled && status !== 'finished' ? { error: digest.error } : {}),
      ...(stored.checkpoint ? { checkpoint: stored.checkpoint } : {}),
      resumable: !scheduled && (status === 'interrupted' || status === 'failed' || status === 'cancelled'),
    };
  }

  private liveSummary(run: LiveRun): RunSummary {
    return this.summarise(run.store, {
      record: run.record,
      digest: digestEvents(run.events, run.hasResult),
      hasResult: run.hasResult,
      ...(run.checkpoint ? { checkpoint: run.checkpoint } : {}),
    });
  }

  private async runSummaries(store: ProjectStore): Promise<{ runs: RunSummary[]; problems: ProjectState['problems'] }> {
    const { runs, problems } = await store.listRuns();
    const summaries = runs.map((stored) => {
      const live = this.live.get(this.liveKey(store, stored.record.id));
      return live && this.scheduler.has(stored.record.id) ? this.liveSummary(live) : this.summarise(store, stored);
    });
    summaries.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return { runs: summaries, problems };
  }

  private async projectState(store: ProjectStore): Promise<ProjectState> {
    const { experiments: documents, problems: experimentProblems } = await store.listExperiments();
    const { runs, problems: runProblems } = await this.runSummaries(store);
    const experiments: ExperimentSummary[] = documents.map((document) => {
      const validation = this.validate(document.spec);
      return {
        id: document.id,
        name: document.name,
        updatedAt: document.updatedAt,
        valid: validation.valid,
        plannedRuns: validation.valid ? validation.plannedRuns : 0,
        runs: runs.filter((run) => run.experimentId === document.id).length,
      };
    });
    return {
      path: store.dir,
      project: store.project,
      experiments,
      runs,
      resumable: runs.filter((run) => run.status === 'interrupted' && run.resumable).map((run) => run.id),
      problems: [...experimentProblems, ...runProblems],
    };
  }

  private async openProject(dir: string): Promise<ProjectState> {
    if (!path.isAbsolute(dir)) throw new ApiFailure('BAD_REQUEST', `A project path must be absolute, got ${dir}`, { path: dir });
    const store = await ProjectStore.open(dir);
    this.store = store;
    await this.recent.add({ path: store.dir, name: store.project.name }).catch((error: unknown) => console.error('clwb: could not update the recent projects:', error));
    const state = await this.projectState(store);
    this.emit({ type: 'project.opened', project: state });
    return state;
  }

  private validate(spec: unknown): ValidationReport {
    try {
      const valid = validateExperiment(spec, validationCatalogue());
      return { valid: true, spec: valid, plannedRuns: valid.strategies.length * valid.seeds.length };
    } catch (error) {
      if (error instanceof WorkbenchError && error.code === 'SPEC_INVALID') {
        return { valid: false, message: error.message, problems: error.details.problems ?? [{ path: '$', message: error.message }] };
      }
      throw error;
    }
  }

  private async getRun(store: ProjectStore, runId: string): Promise<LiveRun | StoredRun> {
    const live = this.live.get(this.liveKey(store, runId));
    if (live && this.scheduler.has(runId)) return live;
    return store.readRun(runId);
  }

  private summaryOf(store: ProjectStore, run: LiveRun | StoredRun): RunSummary {
    return 'events' in run ? this.liveSummary(run) : this.summarise(store, run);
  }

  /** Queues a run whose spec.json exists; its output goes to `store`. */
  private enqueue(store: ProjectStore, record: RunRecord, resume?: { checkpoint?: PackedState; completed?: number; events: RunEvent[] }): LiveRun {
    const live: LiveRun = { store, record, events: resume?.events ?? [], hasResult: false, ...(resume?.completed !== undefined ? { checkpoint: { completed: resume.completed } } : {}) };
    const resumeFrom = resume?.checkpoint;
    this.live.set(this.liveKey(store, record.id), live);
    const sink: RunSink = {
      event: async (event) => {
        live.events.push(event);
        await store.appendEvent(record.id, event);
        this.emit({ type: 'run.event', runId: record.id, experimentId: record.experimentId, event });
        if (event.type !== 'progress') this.emit({ type: 'run.status', run: this.liveSummary(live) });
      },
      checkpoint: async (done, checkpoint) => {
        await store.saveCheckpoint(record.id, checkpoint);
        live.checkpoint = { completed: done };
      },
      done: async (outcome: RunOutcome) => {
        if (outcome.status === 'finished') {
          await store.writeResult(record.id, outcome.result);
          live.hasResult = true;
          live.checkpoint = undefined;
          await store.dropCheckpoint(record.id);
        }
      },
    };
    this.scheduler.enqueue({
      runId: record.id,
      sink,
      request: {
        runId: record.id,
        spec: record.spec,
        strategyIndex: record.strategyIndex,
        label: record.label,
        seed: record.seed,
        backend: (this.options.backend ?? 'auto') as BackendName | 'auto',
        dataDir: this.datasets.cacheDir,
        ...(resumeFrom ? { resumeFrom } : {}),
      },
    });
    return live;
  }

  private onSchedulerChange(change: SchedulerChange): void {
    for (const [key, live] of this.live) {
      if (live.record.id !== change.runId) continue;
      this.emit({ type: 'run.status', run: this.liveSummary(live) });
      // Done: everything is on disk now; summaries come from there.
      if (change.state.status === 'done') this.live.delete(key);
    }
    this.emit({ type: 'scheduler.changed', scheduler: this.schedulerInfo() });
  }

  /** Asks a fresh worker which backend runs would get (cached until `refresh`). */
  private probeBackend(refresh: boolean): Promise<Omit<BackendReport, 'host' | 'memory' | 'scheduler' | 'devices'>> {
    if (this.backendReport && !refresh) return this.backendReport;
    const report = new Promise<Omit<BackendReport, 'host' | 'memory' | 'scheduler' | 'devices'>>((resolve) => {
      const handle = this.options.launcher({ runId: `probe-${++this.probes}`, slot: 0 });
      let answered = false;
      const timer = setTimeout(() => handle.kill(), 120_000);
      handle.onMessage((message: FromWorker) => {
        if (message.type === 'ready') handle.send({ type: 'probe', backend: this.options.backend ?? 'auto' });
        if (message.type === 'probe-result') {
          answered = true;
          resolve({ tfjs: message.backend, backends: message.backends, ...(message.error ? { error: message.error } : {}) });
          handle.send({ type: 'shutdown' });
        }
      });
      handle.onExit((exit) => {
        clearTimeout(timer);
        if (!answered) {
          resolve({ tfjs: null, backends: [], error: { code: 'WORKER_EXITED', message: `The backend probe worker exited early (exit code ${exit.code}${exit.signal ? `, ${exit.signal}` : ''}): ${exit.stderrTail.trim().split('\n').at(-1) ?? ''}` } });
        }
      });
    });
    this.backendReport = report;
    void report.then((value) => {
      if (value.error) this.backendReport = undefined;
    });
    return report;
  }

  // -- verbs ----------------------------------------------------------------

  private createHandlers(): Handlers {
    return {
      'app.info': async () => this.hostInfo(),

      'backend.info': async ({ refresh }) => {
        const cpus = os.cpus();
        const probe = await this.probeBackend(refresh === true);
        return {
          host: this.hostInfo(),
          ...probe,
          devices: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', gpus: this.concurrencyDefault.gpus },
          memory: { totalBytes: os.totalmem(), freeBytes: os.freemem(), hostRssBytes: process.memoryUsage().rss },
          scheduler: this.schedulerInfo(),
        };
      },

      'projects.current': async () => (this.store ? this.projectState(this.store) : null),

      'projects.create': async ({ path: dir, name, description }) => {
        if (!path.isAbsolute(dir)) throw new ApiFailure('BAD_REQUEST', `A project path must be absolute, got ${dir}`, { path: dir });
        const store = await ProjectStore.create(dir, { name, ...(description ? { description } : {}) });
        return this.openProject(store.dir);
      },

      'projects.open': async ({ path: dir }) => this.openProject(dir),

      'projects.recent': async () => this.recent.list(),

      'projects.save': async (patch) => {
        const store = this.requireStore();
        await store.saveProject(patch);
        await this.recent.add({ path: store.dir, name: store.project.name }).catch(() => undefined);
        return this.projectState(store);
      },

      'experiments.get': async ({ id }) => this.requireStore().getExperiment(id),

      'experiments.save': async (input) => {
        const store = this.requireStore();
        const experiment = await store.saveExperiment(input);
        return { experiment, validation: this.validate(experiment.spec) };
      },

      'experiments.validate': async ({ spec }) => this.validate(spec),

      'runs.start': async ({ experimentId, strategies, seeds }) => {
        const store = this.requireStore();
        const experiment = await store.getExperiment(experimentId);
        const spec: ExperimentSpec = validateExperiment(experiment.spec, validationCatalogue());
        const outOfRange = (strategies ?? []).filter((index) => index >= spec.strategies.length);
        if (outOfRange.length) throw new ApiFailure('BAD_REQUEST', `The experiment has ${spec.strategies.length} strategies; no index ${outOfRange.join(', ')}`, { path: '$.strategies' });
        const unknownSeeds = (seeds ?? []).filter((seed) => !spec.seeds.includes(seed));
        if (unknownSeeds.length) throw new ApiFailure('BAD_REQUEST', `Seed ${unknownSeeds.join(', ')} is not one of the experiment's seeds (${spec.seeds.join(', ')})`, { path: '$.seeds' });
        const planned = planRuns(spec).filter((run) => (!strategies || strategies.includes(run.strategyIndex)) && (!seeds || seeds.includes(run.seed)));
        const hash = specHash(spec);
        const when = stamp();
        const summaries: RunSummary[] = [];
        for (const run of planned) {
          const record: RunRecord = {
            schemaVersion: 1,
            kind: 'clwb-run',
            id: await store.newRunId(`${when}-${run.id}`),
            experimentId,
            experimentName: experiment.name,
            strategyIndex: run.strategyIndex,
            strategy: run.strategy,
            label: run.label,
            seed: run.seed,
            spec,
            specHash: hash,
            backend: this.options.backend ?? 'auto',
            createdAt: new Date().toISOString(),
          };
          await store.createRun(record);
          summaries.push(this.liveSummary(this.enqueue(store, record)));
        }
        return summaries;
      },

      'runs.cancel': async ({ runId }) => {
        const store = this.requireStore();
        const run = await this.getRun(store, runId);
        const queued = this.scheduler.state(runId)?.status === 'queued';
        // A queued run is over as soon as its cancellation is stored: answer with that.
        const stored = queued
          ? new Promise<void>((resolve) => {
              const stop = this.scheduler.onChange((change) => {
                if (change.runId === runId && change.state.status === 'done') {
                  stop();
                  resolve();
                }
              });
            })
          : undefined;
        if (!this.scheduler.cancel(runId)) {
          throw new ApiFailure('CONFLICT', `Run ${runId} is not queued or running (it is ${this.summaryOf(store, run).status})`, { runId });
        }
        if (stored) {
          await stored;
          return this.summarise(store, await store.readRun(runId));
        }
        return this.summaryOf(store, run);
      },

      'runs.resume': async ({ runId }) => {
        const store = this.requireStore();
        if (this.scheduler.has(runId)) throw new ApiFailure('CONFLICT', `Run ${runId} is already queued or running`, { runId });
        const stored = await store.readRun(runId);
        if (stored.hasResult) throw new ApiFailure('CONFLICT', `Run ${runId} has finished; start a new run instead`, { runId });
        // The stored spec is already resolved (validateExperiment is not meant to run on its own
        // output); check only that what it names still exists in this version.
        const catalogue = validationCatalogue();
        const strategy = stored.record.spec.strategies?.[stored.record.strategyIndex]?.id;
        if (!strategy || !catalogue.strategy(strategy)) throw new ApiFailure('CONFLICT', `Run ${runId} uses strategy "${strategy}", which this version does not have`, { runId });
        if (!catalogue.dataset(stored.record.spec.dataset?.id)) throw new ApiFailure('CONFLICT', `Run ${runId} uses dataset "${stored.record.spec.dataset?.id}", which this version does not have`, { runId });
        const checkpoint = await store.loadCheckpoint(runId);
        // The summary keeps the old log's history; the new attempt's events follow it.
        const { events } = await store.readEvents(runId);
        const live = this.enqueue(store, stored.record, { ...(checkpoint ? { checkpoint } : {}), ...(stored.checkpoint ? { completed: stored.checkpoint.completed } : {}), events });
        return this.liveSummary(live);
      },

      'runs.list': async ({ experimentId }) => {
        const { runs } = await this.runSummaries(this.requireStore());
        return experimentId ? runs.filter((run) => run.experimentId === experimentId) : runs;
      },

      'runs.events': async ({ runId, after, limit }) => {
        const store = this.requireStore();
        await store.readRun(runId);
        const { events, tornLastLine } = await store.readEvents(runId);
        const start = after ?? 0;
        return { events: events.slice(start, limit ? start + limit : undefined), total: events.length, tornLastLine };
      },

      'runs.results': async ({ experimentId, runIds }) => this.requireStore().experimentResults(experimentId, runIds),

      'runs.get': async ({ runId }) => {
        const store = this.requireStore();
        const { record } = await store.readRun(runId);
        const result = await store.readResult(runId);
        const { schemaVersion: _version, kind: _kind, strategyIndex: _index, ...details } = record;
        return { ...details, ...(result ? { result } : {}) };
      },

      'scheduler.configure': async ({ concurrency }) => {
        this.scheduler.setConcurrency(concurrency);
        const info = this.schedulerInfo();
        this.emit({ type: 'scheduler.changed', scheduler: info });
        return info;
      },

      'catalogue.get': async () => ({
        strategies: catalogueJson(),
        datasets: this.datasets.list(),
        models: MODELS,
        scenarios: SCENARIOS,
        optimizers: ['sgd', 'adam'],
      }),

      'catalogue.recipes': async () => readRecipes(),

      'datasets.list': async () => this.datasets.list(),

      'datasets.download': async ({ id }) => this.datasets.download(id, (progress) => this.emit({ type: 'dataset.progress', id, progress })),

      'datasets.import': async (request) =>
        this.datasets.importRequest(request, (progress) => this.emit({ type: 'dataset.progress', id: request.id ?? `import:${request.name ?? ''}`, progress })),

      'reports.export': async (request) => {
        const store = this.requireStore();
        if (!request.csv && !request.pdf) throw new ApiFailure('BAD_REQUEST', 'Say where to write the report: give csv and/or pdf (absolute file paths)', { path: '$' });
        for (const file of [request.csv, request.pdf]) {
          if (file === undefined) continue;
          if (!path.isAbsolute(file)) throw new ApiFailure('BAD_REQUEST', `Report paths must be absolute, got ${file}`, { path: file });
          // Writes are confined to the open project's folder (DESIGN: file paths confined to project and data folders).
          const inside = path.relative(store.dir, path.resolve(file));
          if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) {
            throw new ApiFailure('FORBIDDEN', `Reports are written inside the project folder (${store.dir}), not to ${file}`, { path: file });
          }
        }
        const exporter = this.options.reportExporter ?? exportWithReports;
        const results = await store.experimentResults(request.experimentId, request.runIds);
        return exporter({ ...request, projectDir: store.dir, experimentFile: store.experimentFile(request.experimentId), results });
      },
    };
  }
}
