/**
 * The workbench API contract: every request, reply and event between the UI and the
 * back end, the verb and channel names, and the payload schemas main checks.
 *
 * Both hosts implement exactly this contract: the Electron host over IPC (one
 * `ipcRenderer.invoke` channel per verb, exposed as `window.workbench.<domain>.<action>`
 * by the preload) and the headless `clwb serve` host over HTTP (`POST /api/<verb>`)
 * plus a WebSocket for events. Every reply is an {@link Envelope}, so an error keeps
 * its code and details across either boundary.
 *
 * This file must stay free of runtime imports: the sandboxed preload bundles it and
 * the renderer's type-check (no Node types) reads it. Types from the engine are
 * imported with `import type` from modules that are themselves free of Node.
 */
import type { ErrorCode, ErrorDetails } from '../../engine/errors.ts';
import type { RunEvent } from '../../engine/run/events.ts';
import type { RunResult } from '../../engine/run/result.ts';
import type { Metrics } from '../../engine/metrics/index.ts';
import type { ExperimentSpec, ScenarioType } from '../../engine/spec/experiment.ts';
import type { ParamSchemas, ParamValues } from '../../engine/spec/schema.ts';
import type { DatasetProgress } from '../../engine/data/types.ts';

export type { RunEvent, RunResult, Metrics, ExperimentSpec, DatasetProgress, ParamSchemas, ParamValues };

/** Bumped when a verb, a request or a reply changes incompatibly. */
export const CONTRACT_VERSION = 1;

// ---------------------------------------------------------------------------
// Errors and envelopes
// ---------------------------------------------------------------------------

/** The engine's error codes plus those only the API layer raises. */
export type ApiErrorCode =
  | ErrorCode
  /** The payload does not match the verb's schema (details.problems lists where). */
  | 'BAD_REQUEST'
  /** No such experiment, run, dataset or file. */
  | 'NOT_FOUND'
  /** The verb needs an open project and none is open. */
  | 'NO_PROJECT'
  /** The request clashes with the current state (run already running, file unreadable and kept). */
  | 'CONFLICT'
  /** The verb is defined but this build cannot do it. */
  | 'NOT_IMPLEMENTED'
  /** The sender or caller is not allowed (untrusted IPC frame, missing token). */
  | 'FORBIDDEN'
  /** A run's worker process exited without finishing (details.reason: {@link WorkerExitReason}). */
  | 'WORKER_EXITED';

/** An error as it crosses IPC or HTTP: a stable code, a sentence, and where it applies. */
export interface ApiError {
  code: ApiErrorCode;
  message: string;
  details?: ErrorDetails;
}

/** Every reply: the value, or the error with its code. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError };

// ---------------------------------------------------------------------------
// Shared value types
// ---------------------------------------------------------------------------

/** Any JSON value (what graphs and draft specs are stored as). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A file the store could not use, and why. It is reported, never overwritten. */
export interface FileProblem {
  path: string;
  reason: string;
}

/** Which host serves the UI and what runs it. */
export interface HostInfo {
  /** `electron` for the desktop app, `serve` for `clwb serve` in a browser. */
  host: 'electron' | 'serve';
  appVersion: string;
  contractVersion: number;
  /** Runtime versions, e.g. `{ electron, chrome, node }`. */
  versions: Record<string, string>;
  platform: string;
  arch: string;
}

/** The tfjs backend the run workers use, as a worker reported it. */
export interface TfjsBackendInfo {
  name: string;
  tfjsBackend: string;
  device: string;
  version: string;
  notes: string[];
}

/** The scheduler's settings and load. */
export interface SchedulerInfo {
  concurrency: number;
  /** What the concurrency would be by default on this machine, and why. */
  defaultConcurrency: number;
  reason: string;
  /** GPUs found for tfjs-node-gpu (each run gets one when non-empty). */
  gpus: string[];
  running: number;
  queued: number;
}

/** `backend.info`: tfjs backend, devices and memory. */
export interface BackendReport {
  host: HostInfo;
  /** Null when the probe worker failed (see `error`). */
  tfjs: TfjsBackendInfo | null;
  /** Every backend and whether it loads in a worker. */
  backends: { name: string; available: boolean; reason?: string }[];
  error?: ApiError;
  devices: { cpus: number; cpuModel: string; gpus: string[] };
  memory: { totalBytes: number; freeBytes: number; hostRssBytes: number };
  scheduler: SchedulerInfo;
}

/** project.json */
export interface ProjectDocument {
  schemaVersion: 1;
  kind: 'clwb-project';
  id: string;
  name: string;
  description?: string;
  createdAt: string;
  updatedAt: string;
}

/** experiments/<id>.json: the canvas graph and the experiment spec compiled from it. */
export interface ExperimentDocument {
  schemaVersion: 1;
  kind: 'clwb-experiment';
  id: string;
  name: string;
  /** The designer's graph (nodes, edges, positions); opaque to the back end. */
  graph: JsonValue;
  /** The experiment spec (may be a draft that does not validate yet). */
  spec: JsonValue;
  createdAt: string;
  updatedAt: string;
}

/** What a list of experiments shows. */
export interface ExperimentSummary {
  id: string;
  name: string;
  updatedAt: string;
  /** Whether the spec validates; problems come from `experiments.validate`. */
  valid: boolean;
  /** Planned runs (strategies x seeds) when valid. */
  plannedRuns: number;
  runs: number;
}

/** Where a run is. `interrupted`: it was queued or running when the app stopped (or crashed). */
export type RunStatus = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted';

/** Why a worker process ended a run early. */
export type WorkerExitReason = 'crash' | 'oom' | 'killed' | 'launch-failed';

/** Why a run failed. `reason` is set when its worker process died. */
export interface RunFailure extends ApiError {
  reason?: WorkerExitReason;
}

/** The latest progress of a run (the last `progress` event, without its envelope). */
export type RunProgress = Omit<Extract<RunEvent, { type: 'progress' }>, 'type' | 'runId' | 'time' | 'tensorBytes'>;

/** One run (one strategy x one seed of an experiment) as lists show it. */
export interface RunSummary {
  id: string;
  experimentId: string;
  experimentName: string;
  strategy: string;
  label: string;
  seed: number;
  status: RunStatus;
  createdAt: string;
  /** Position in the queue (0 = next) while queued. */
  queuePosition?: number;
  /** Running, and asked to stop (its worker is stopped within a few seconds). */
  cancelling?: boolean;
  startedAt?: string;
  finishedAt?: string;
  backend?: string;
  device?: string;
  progress?: RunProgress;
  /** Evaluation rows received so far (accuracy after each trained experience). */
  evaluations: number;
  events: number;
  metrics?: Metrics;
  error?: RunFailure;
  /** Experiences completed in the last checkpoint on disk. */
  checkpoint?: { completed: number };
  /** Whether `runs.resume` may continue it (from its checkpoint, or from the start without one). */
  resumable: boolean;
}

/** `runs.get`: one run as it was queued (its own spec, fixed then) and its result once finished. */
export interface RunDetails {
  id: string;
  experimentId: string;
  experimentName: string;
  strategy: string;
  label: string;
  seed: number;
  /** The validated experiment spec at the time the run was queued (later edits do not change it). */
  spec: ExperimentSpec;
  specHash: string;
  /** The backend asked for ('auto' or a name); the result says which one ran. */
  backend: string;
  createdAt: string;
  result?: RunResult;
}

/** `projects.*`: the open project with everything a project view needs. */
export interface ProjectState {
  path: string;
  project: ProjectDocument;
  experiments: ExperimentSummary[];
  runs: RunSummary[];
  /** Runs that were interrupted (crash, app closed) and can be resumed: offer them. */
  resumable: string[];
  /** Files that could not be read: shown with their path and reason, never overwritten. */
  problems: FileProblem[];
}

export interface RecentProject {
  path: string;
  name: string;
  openedAt: string;
}

/** `experiments.validate`: the spec with defaults filled in, or every problem with its field path. */
export type ValidationReport =
  | { valid: true; spec: ExperimentSpec; plannedRuns: number }
  | { valid: false; problems: { path: string; message: string }[]; message: string };

/** A strategy's catalogue entry: parameters with schemas, supported scenarios. */
export interface CatalogueStrategy {
  id: string;
  name: string;
  family: string;
  description: string;
  paper?: { authors: string; title: string; venue: string; year: number; url?: string };
  params: ParamSchemas;
  scenarios: ScenarioType[];
  online: boolean;
}

export interface DatasetInfo {
  id: string;
  name: string;
  description: string;
  inputShape: [number, number, number];
  numClasses: number;
  bundled: boolean;
  /** Ready to use: bundled, or its files are in the cache. */
  available: boolean;
  /** Whether `datasets.download` can fetch it. */
  downloadable: boolean;
  /** Whether `datasets.import` can copy it from a folder. */
  importable: boolean;
  /** Where its files live (absent for bundled data). */
  folder?: string;
  /** What is missing when not available. */
  missing?: string[];
  /** True for a dataset the user imported (CSV or image folder; its id starts with `user-`). */
  imported?: boolean;
}

/** The formats `datasets.import` converts into an imported dataset. */
export type DatasetImportFormat = 'csv' | 'image-folder';

/**
 * `datasets.import`: either `{ id, folder }` (copies a file-based built-in's files, e.g.
 * the four MNIST IDX files, into the cache) or `{ format, source, name, inputShape? }`
 * (converts a CSV file — or a folder with train.csv and test.csv — or a folder of
 * images per class into a new `user-` dataset).
 */
export interface DatasetImportRequest {
  id?: string;
  folder?: string;
  format?: DatasetImportFormat;
  /** Absolute path of the CSV file or the folder. */
  source?: string;
  name?: string;
  /** [height, width, channels]; CSV default: square grayscale when possible, else [1, n, 1]. */
  inputShape?: [number, number, number];
}

/** `catalogue.recipes`: a ready experiment file from recipes/, each naming the paper whose protocol it follows. */
export interface Recipe {
  id: string;
  name: string;
  description: string;
  /** The experiment file (schema version 1). */
  spec: JsonValue;
}

/** `catalogue.get`: everything the designer builds blocks from. */
export interface Catalogue {
  strategies: CatalogueStrategy[];
  datasets: DatasetInfo[];
  models: { type: 'mlp' | 'cnn' | 'resnet18-reduced'; name: string; description: string; inputs: string[] }[];
  scenarios: { type: ScenarioType; name: string; description: string; transforms?: string[] }[];
  optimizers: string[];
}

/** Summary statistic across seeds. */
export interface SummaryStatistic {
  mean: number | null;
  sd: number | null;
  n: number;
}

type MetricKey = 'acc' | 'bwt' | 'fwt' | 'forgetting' | 'averageIncrementalAccuracy';
type CostKey = 'trainSeconds' | 'samplesPerSecond' | 'peakTensorBytes' | 'parameters' | 'bufferSamples' | 'bufferBytes';

/** One strategy's results over its seeds. */
export interface StrategySummary {
  strategy: string;
  label: string;
  name: string;
  params: Record<string, unknown>;
  n: number;
  seeds: number[];
  metrics: Record<MetricKey, SummaryStatistic>;
  taskMetrics?: Record<MetricKey, SummaryStatistic>;
  cost: Record<CostKey, SummaryStatistic>;
}

/**
 * results.json (schema version 1), as `clwb run` writes it and `runs.results` returns it for a
 * project's experiment: the spec, every finished run, the failed ones, and the summary.
 */
export interface ResultsDocument {
  schemaVersion: number;
  kind: 'clwb-results';
  createdAt: string;
  updatedAt: string;
  app: { name: string; version: string };
  environment: { backend: string; device: string; tfjs: string; node: string; platform: string; arch: string; cpus: number; cpuModel: string };
  specHash: string;
  experiment: ExperimentSpec;
  runs: RunResult[];
  failed: { id: string; strategy: string; label: string; seed: number; error: { code: string; message: string } }[];
  summary: StrategySummary[];
}

/** `reports.export`: which runs, which formats, where. */
export interface ReportExportRequest {
  experimentId: string;
  /** Only these runs (default: every finished run of the experiment, latest per strategy x seed). */
  runIds?: string[];
  /** Absolute file paths inside the open project folder (others are refused); at least one. The CSV path names the accuracy table; its summary and cost tables go beside it. */
  csv?: string;
  pdf?: string;
  /** Replace files that exist (default: refuse, and write nothing). */
  overwrite?: boolean;
}

export interface ReportExportReply {
  files: string[];
}

// ---------------------------------------------------------------------------
// Events (main -> UI)
// ---------------------------------------------------------------------------

/** What the back end pushes to every connected UI. */
export type ApiEvent =
  /** A run was queued, started, finished, failed, cancelled; its summary as it is now. */
  | { type: 'run.status'; run: RunSummary }
  /** A run's own event (progress, evaluation, checkpoint ...), as appended to its log. */
  | { type: 'run.event'; runId: string; experimentId: string; event: RunEvent }
  | { type: 'dataset.progress'; id: string; progress: DatasetProgress }
  /** Another project was opened (or the open one changed on disk). */
  | { type: 'project.opened'; project: ProjectState }
  | { type: 'scheduler.changed'; scheduler: SchedulerInfo };

export type ApiEventType = ApiEvent['type'];

// ---------------------------------------------------------------------------
// Verbs
// ---------------------------------------------------------------------------

/** A request with nothing in it. */
export type Empty = Record<string, never>;

/** Every verb: its request and its reply. */
export interface Verbs {
  /** The host and its versions. */
  'app.info': { request: Empty; reply: HostInfo };
  /** tfjs backend (probed in a worker, cached), devices, memory, scheduler. */
  'backend.info': { request: { refresh?: boolean }; reply: BackendReport };

  /** The open project (null when none). */
  'projects.current': { request: Empty; reply: ProjectState | null };
  /** Creates a project in an empty (or new) folder and opens it. */
  'projects.create': { request: { path: string; name: string; description?: string }; reply: ProjectState };
  /** Opens a project folder; unreadable files are listed in `problems`. */
  'projects.open': { request: { path: string }; reply: ProjectState };
  'projects.recent': { request: Empty; reply: RecentProject[] };
  /** Saves the open project's metadata (project.json). */
  'projects.save': { request: { name?: string; description?: string }; reply: ProjectState };

  'experiments.get': { request: { id: string }; reply: ExperimentDocument };
  /** Saves graph + spec (a new experiment without `id`); a draft spec that does not validate is saved too. */
  'experiments.save': { request: { id?: string; name: string; graph?: JsonValue; spec: JsonValue }; reply: { experiment: ExperimentDocument; validation: ValidationReport } };
  'experiments.validate': { request: { spec: JsonValue }; reply: ValidationReport };

  /** Queues runs of an experiment: every strategy x seed, or the chosen strategy indices / seeds. */
  'runs.start': { request: { experimentId: string; strategies?: number[]; seeds?: number[] }; reply: RunSummary[] };
  /** Cancels a queued or running run. */
  'runs.cancel': { request: { runId: string }; reply: RunSummary };
  /** Queues an interrupted, failed or cancelled run again, from its last checkpoint when there is one. */
  'runs.resume': { request: { runId: string }; reply: RunSummary };
  'runs.list': { request: { experimentId?: string }; reply: RunSummary[] };
  /** A run's event log (from index `after`, at most `limit` events). */
  'runs.events': { request: { runId: string; after?: number; limit?: number }; reply: { events: RunEvent[]; total: number; tornLastLine: boolean } };
  /** Results of an experiment's finished runs in the results.json shape (or only the given runs). */
  'runs.results': { request: { experimentId: string; runIds?: string[] }; reply: ResultsDocument };
  'runs.get': { request: { runId: string }; reply: RunDetails };
  /** Sets how many runs may train at once. */
  'scheduler.configure': { request: { concurrency: number }; reply: SchedulerInfo };

  'catalogue.get': { request: Empty; reply: Catalogue };
  /** The ready experiment files in recipes/ (the designer's recipe gallery). */
  'catalogue.recipes': { request: Empty; reply: Recipe[] };
  'datasets.list': { request: Empty; reply: DatasetInfo[] };
  /** Downloads a dataset's files into the cache (progress as `dataset.progress` events). */
  'datasets.download': { request: { id: string }; reply: DatasetInfo };
  /** Copies a dataset's files from a folder (e.g. the four MNIST IDX files) into the cache, or imports CSV / an image folder as a new dataset. */
  'datasets.import': { request: DatasetImportRequest; reply: DatasetInfo };

  /** Writes a comparison report (CSV and/or PDF). */
  'reports.export': { request: ReportExportRequest; reply: ReportExportReply };
}

export type Verb = keyof Verbs;
export type RequestOf<V extends Verb> = Verbs[V]['request'];
export type ReplyOf<V extends Verb> = Verbs[V]['reply'];

type DomainOf<V extends string> = V extends `${infer D}.${string}` ? D : never;
type ActionOf<V extends string> = V extends `${string}.${infer A}` ? A : never;
export type Domain = DomainOf<Verb>;

/** What the preload exposes as `window.workbench`: exactly the verbs, grouped by domain, and the event stream. */
export type WorkbenchBridge = {
  /** The workbench version the preload was built with. */
  readonly version: string;
  /** Subscribes to {@link ApiEvent}s; returns the unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
} & {
  readonly [D in Domain]: {
    readonly [V in Extract<Verb, `${D}.${string}`> as ActionOf<V>]: (request?: RequestOf<V>) => Promise<Envelope<ReplyOf<V>>>;
  };
};

// ---------------------------------------------------------------------------
// Transport names
// ---------------------------------------------------------------------------

/** IPC channel of a verb. `workbench:` prefixed so it cannot clash with Electron's own. */
export function channelOf(verb: Verb): string {
  return `workbench:${verb}`;
}

/** IPC channel main sends {@link ApiEvent}s on. */
export const EVENT_CHANNEL = 'workbench:event';

/** HTTP: `POST ${HTTP_API_PREFIX}<verb>` with the JSON request as body, the Envelope as reply. */
export const HTTP_API_PREFIX = '/api/';

/** HTTP: the WebSocket that carries {@link ApiEvent}s, one JSON message each. */
export const EVENTS_PATH = '/api/events';

/** `clwb serve` marks its pages with `<meta name="clwb-api" content="http">` so the client knows an API is there. */
export const API_META_NAME = 'clwb-api';

/**
 * The renderer's Content-Security-Policy (both hosts). renderer/index.html carries the
 * same policy in a meta tag for file:// pages, which receive no headers.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

// ---------------------------------------------------------------------------
// Payload schemas
// ---------------------------------------------------------------------------

/**
 * A small, serialisable schema language (a subset of JSON Schema's words) for payloads
 * and stored documents. Objects are closed: unknown keys are problems.
 */
export type Schema =
  | { type: 'object'; properties: Record<string, Schema>; required?: readonly string[]; /** Allow keys not in `properties` (default: closed). */ additionalProperties?: boolean }
  | { type: 'string'; minLength?: number; maxLength?: number; pattern?: string; enum?: readonly string[] }
  | { type: 'number' | 'integer'; minimum?: number; maximum?: number }
  | { type: 'boolean' }
  | { type: 'const'; value: string | number | boolean }
  | { type: 'array'; items: Schema; minItems?: number; maxItems?: number; uniqueItems?: boolean }
  /** Any plain JSON data, bounded in depth and size (graphs, draft specs). */
  | { type: 'json'; maxDepth?: number; maxLength?: number }
  | { type: 'nullable'; of: Schema };

export interface SchemaProblem {
  path: string;
  message: string;
}

/** Ids of experiments and runs: safe as one file name on every OS. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$';
const id: Schema = { type: 'string', pattern: ID_PATTERN };
const filePath: Schema = { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[^\\u0000]*$' };
const name: Schema = { type: 'string', minLength: 1, maxLength: 200 };
const description: Schema = { type: 'string', maxLength: 10_000 };
const empty: Schema = { type: 'object', properties: {} };
/** 8 MiB of JSON text: a large graph, never a dataset. */
const json: Schema = { type: 'json', maxDepth: 64, maxLength: 8 * 1024 * 1024 };

/** Every verb's request schema; its keys are the verb list. */
export const REQUEST_SCHEMAS: { readonly [V in Verb]: Schema } = {
  'app.info': empty,
  'backend.info': { type: 'object', properties: { refresh: { type: 'boolean' } } },
  'projects.current': empty,
  'projects.create': { type: 'object', properties: { path: filePath, name, description }, required: ['path', 'name'] },
  'projects.open': { type: 'object', properties: { path: filePath }, required: ['path'] },
  'projects.recent': empty,
  'projects.save': { type: 'object', properties: { name, description } },
  'experiments.get': { type: 'object', properties: { id }, required: ['id'] },
  'experiments.save': { type: 'object', properties: { id, name, graph: json, spec: json }, required: ['name', 'spec'] },
  'experiments.validate': { type: 'object', properties: { spec: json }, required: ['spec'] },
  'runs.start': {
    type: 'object',
    properties: {
      experimentId: id,
      strategies: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 999 }, minItems: 1, maxItems: 1000, uniqueItems: true },
      seeds: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 }, minItems: 1, maxItems: 1000, uniqueItems: true },
    },
    required: ['experimentId'],
  },
  'runs.cancel': { type: 'object', properties: { runId: id }, required: ['runId'] },
  'runs.resume': { type: 'object', properties: { runId: id }, required: ['runId'] },
  'runs.list': { type: 'object', properties: { experimentId: id } },
  'runs.events': {
    type: 'object',
    properties: { runId: id, after: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 100_000 } },
    required: ['runId'],
  },
  'runs.results': { type: 'object', properties: { experimentId: id, runIds: { type: 'array', items: id, maxItems: 10_000 } }, required: ['experimentId'] },
  'runs.get': { type: 'object', properties: { runId: id }, required: ['runId'] },
  'scheduler.configure': { type: 'object', properties: { concurrency: { type: 'integer', minimum: 1, maximum: 256 } }, required: ['concurrency'] },
  'catalogue.get': empty,
  'catalogue.recipes': empty,
  'datasets.list': empty,
  'datasets.download': { type: 'object', properties: { id }, required: ['id'] },
  'datasets.import': {
    type: 'object',
    properties: {
      id,
      folder: filePath,
      format: { type: 'string', enum: ['csv', 'image-folder'] },
      source: filePath,
      name,
      inputShape: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 4096 }, minItems: 3, maxItems: 3 },
    },
  },
  'reports.export': {
    type: 'object',
    properties: { experimentId: id, runIds: { type: 'array', items: id, maxItems: 10_000 }, csv: filePath, pdf: filePath, overwrite: { type: 'boolean' } },
    required: ['experimentId'],
  },
};

/** Every verb, in contract order. */
export const VERBS = Object.keys(REQUEST_SCHEMAS) as Verb[];

export function isVerb(value: unknown): value is Verb {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REQUEST_SCHEMAS, value);
}

/** Keys that must never appear in data we merge or store (prototype pollution). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Checks plain JSON data: only null, booleans, finite numbers, strings, arrays and plain objects. */
function checkJson(value: unknown, path: string, maxDepth: number, budget: { left: number }, problems: SchemaProblem[], depth = 0): void {
  if (problems.length > 50) return;
  if (depth > maxDepth) {
    problems.push({ path, message: `is nested deeper than ${maxDepth} levels` });
    return;
  }
  if (value === null || typeof value === 'boolean') {
    budget.left -= 5;
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) problems.push({ path, message: 'must be a finite number' });
    budget.left -= 8;
  } else if (typeof value === 'string') {
    budget.left -= value.length + 2;
  } else if (Array.isArray(value)) {
    budget.left -= 2;
    value.forEach((item, index) => checkJson(item, `${path}[${index}]`, maxDepth, budget, problems, depth + 1));
  } else if (isPlainObject(value)) {
    budget.left -= 2;
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(key)) problems.push({ path: `${path}.${key}`, message: 'is not an allowed key' });
      budget.left -= key.length + 3;
      checkJson(item, `${path}.${key}`, maxDepth, budget, problems, depth + 1);
    }
  } else {
    problems.push({ path, message: `must be JSON data, got ${typeof value}` });
  }
}

/**
 * Checks `value` against `schema`; returns every problem with its path (`$.spec.seeds[0]`).
 * Pure and small enough for the preload, the renderer and main alike.
 */
export function checkSchema(schema: Schema, value: unknown, path = '$', problems: SchemaProblem[] = []): SchemaProblem[] {
  switch (schema.type) {
    case 'nullable':
      if (value !== null) checkSchema(schema.of, value, path, problems);
      break;
    case 'object': {
      if (!isPlainObject(value)) {
        problems.push({ path, message: `must be an object, got ${describe(value)}` });
        break;
      }
      for (const key of schema.required ?? []) {
        if (value[key] === undefined) problems.push({ path: `${path}.${key}`, message: 'is required' });
      }
      for (const [key, item] of Object.entries(value)) {
        const property = Object.prototype.hasOwnProperty.call(schema.properties, key) ? schema.properties[key] : undefined;
        if (FORBIDDEN_KEYS.has(key)) {
          problems.push({ path: `${path}.${key}`, message: 'is not an allowed key' });
        } else if (!property) {
          if (schema.additionalProperties) continue;
          const allowed = Object.keys(schema.properties);
          problems.push({ path: `${path}.${key}`, message: `is not a known field${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (this request takes no fields)'}` });
        } else if (item !== undefined) {
          checkSchema(property, item, `${path}.${key}`, problems);
        }
      }
      break;
    }
    case 'string':
      if (typeof value !== 'string') problems.push({ path, message: `must be a string, got ${describe(value)}` });
      else if (schema.minLength !== undefined && value.length < schema.minLength) problems.push({ path, message: schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters` });
      else if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push({ path, message: `must be at most ${schema.maxLength} characters` });
      else if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) problems.push({ path, message: `has a form that is not allowed (${schema.pattern})` });
      else if (schema.enum && !schema.enum.includes(value)) problems.push({ path, message: `must be one of ${schema.enum.join(', ')}` });
      break;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) problems.push({ path, message: `must be a finite number, got ${describe(value)}` });
      else if (schema.type === 'integer' && !Number.isInteger(value)) problems.push({ path, message: `must be an integer, got ${value}` });
      else if (schema.minimum !== undefined && value < schema.minimum) problems.push({ path, message: `must be >= ${schema.minimum}, got ${value}` });
      else if (schema.maximum !== undefined && value > schema.maximum) problems.push({ path, message: `must be <= ${schema.maximum}, got ${value}` });
      break;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push({ path, message: `must be true or false, got ${describe(value)}` });
      break;
    case 'const':
      if (value !== schema.value) problems.push({ path, message: `must be ${JSON.stringify(schema.value)}, got ${typeof value === 'string' || typeof value === 'number' ? JSON.stringify(value) : describe(value)}` });
      break;
    case 'array':
      if (!Array.isArray(value)) {
        problems.push({ path, message: `must be an array, got ${describe(value)}` });
        break;
      }
      if (schema.minItems !== undefined && value.length < schema.minItems) problems.push({ path, message: `must have at least ${schema.minItems} item(s)` });
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        problems.push({ path, message: `must have at most ${schema.maxItems} items` });
        break;
      }
      if (schema.uniqueItems && new Set(value.map((item) => JSON.stringify(item))).size !== value.length) problems.push({ path, message: 'must not repeat items' });
      value.forEach((item, index) => checkSchema(schema.items, item, `${path}[${index}]`, problems));
      break;
    case 'json': {
      const budget = { left: schema.maxLength ?? Number.POSITIVE_INFINITY };
      checkJson(value, path, schema.maxDepth ?? 64, budget, problems);
      if (budget.left < 0) problems.push({ path, message: `is larger than ${schema.maxLength} characters of JSON` });
      break;
    }
  }
  return problems;
}

/**
 * Validates a verb's payload. An absent payload counts as `{}`. Returns the request, or the
 * BAD_REQUEST error listing every problem.
 */
export function validateRequest<V extends Verb>(verb: V, payload: unknown): { ok: true; request: RequestOf<V> } | { ok: false; error: ApiError } {
  const request = payload === undefined || payload === null ? {} : payload;
  const problems = checkSchema(REQUEST_SCHEMAS[verb], request);
  if (problems.length > 0) {
    const first = problems.slice(0, 3).map((p) => `${p.path} ${p.message}`).join('; ');
    return { ok: false, error: { code: 'BAD_REQUEST', message: `Invalid ${verb} request: ${first}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`, details: { verb, problems } } };
  }
  return { ok: true, request: request as RequestOf<V> };
}
