/**
 * Runs a whole experiment (every strategy x seed) into an output folder:
 *   DIR/experiment.json            the validated spec, with defaults filled in
 *   DIR/results.json               runs[], failed[], summary[] (README "results.json")
 *   DIR/runs/<runId>/events.ndjson append-only event log
 *   DIR/runs/<runId>/result.json   the finished run's record
 *   DIR/runs/<runId>/checkpoint/   state.json + state.bin after each experience
 * Used by `clwb run`; the app's scheduler builds on the same pieces.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  APP_VERSION,
  executeRun,
  loadDataset,
  packState,
  summarise,
  unpackState,
  WorkbenchError,
  type BackendInfo,
  type ExperimentSpec,
  type Metrics,
  type RunCheckpoint,
  type RunEvent,
  type RunResult,
} from '../engine/index.ts';
import { getStrategy } from '../engine/strategies/index.ts';
import type { DatasetProgress } from '../engine/data/types.ts';
import { EventLog, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from './files.ts';
import type { ResultsDocument, StrategySummary } from './api/contract.ts';

export type { ResultsDocument, StrategySummary };

export const RESULTS_SCHEMA_VERSION = 1;

export interface PlannedRun {
  id: string;
  strategyIndex: number;
  strategy: string;
  label: string;
  seed: number;
}

export interface ExperimentRunOptions {
  spec: ExperimentSpec;
  outDir: string;
  backend: BackendInfo;
  resume?: boolean;
  dataDir?: string;
  allowDownload?: boolean;
  onEvent?: (event: RunEvent, run: PlannedRun, index: number, total: number) => void;
  onDatasetProgress?: (progress: DatasetProgress) => void;
  signal?: AbortSignal;
}

/** A stable hash of the resolved spec: the same experiment gives the same hash. */
export function specHash(spec: ExperimentSpec): string {
  return sha256(canonicalJson(spec));
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    // Keys holding undefined are skipped, as JSON.stringify does: a spec read back from disk hashes the same.
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Display labels: the catalogue name, made unique when a strategy appears more than once. */
export function strategyLabels(spec: ExperimentSpec): string[] {
  const base = spec.strategies.map((s) => s.label ?? getStrategy(s.id).name);
  const counts = new Map<string, number>();
  for (const label of base) counts.set(label, (counts.get(label) ?? 0) + 1);
  const seen = new Map<string, number>();
  return base.map((label) => {
    if ((counts.get(label) ?? 0) < 2) return label;
    const k = (seen.get(label) ?? 0) + 1;
    seen.set(label, k);
    return `${label} #${k}`;
  });
}

export function planRuns(spec: ExperimentSpec): PlannedRun[] {
  const labels = strategyLabels(spec);
  const runs: PlannedRun[] = [];
  spec.strategies.forEach((strategy, index) => {
    for (const seed of spec.seeds) runs.push({ id: `${String(index + 1).padStart(2, '0')}-${strategy.id}-s${seed}`, strategyIndex: index, strategy: strategy.id, label: labels[index], seed });
  });
  return runs;
}

const METRIC_KEYS = ['acc', 'bwt', 'fwt', 'forgetting', 'averageIncrementalAccuracy'] as const;
const COST_KEYS = ['trainSeconds', 'samplesPerSecond', 'peakTensorBytes', 'parameters', 'bufferSamples', 'bufferBytes'] as const;

/** Mean and sd per strategy over its seeds. */
export function summariseRuns(spec: ExperimentSpec, runs: RunResult[]): StrategySummary[] {
  const labels = strategyLabels(spec);
  return spec.strategies.flatMap((strategy, index) => {
    const mine = runs.filter((r) => r.label === labels[index]);
    if (mine.length === 0) return [];
    const metricSummary = (pick: (r: RunResult) => Metrics | undefined) =>
      Object.fromEntries(METRIC_KEYS.map((k) => [k, summarise(mine.map((r) => pick(r)?.[k] ?? null))])) as StrategySummary['metrics'];
    const summary: StrategySummary = {
      strategy: strategy.id,
      label: labels[index],
      name: getStrategy(strategy.id).name,
      params: strategy.params,
      n: mine.length,
      seeds: mine.map((r) => r.seed),
      metrics: metricSummary((r) => r.metrics),
      cost: Object.fromEntries(COST_KEYS.map((k) => [k, summarise(mine.map((r) => r.cost[k]))])) as StrategySummary['cost'],
    };
    if (mine.every((r) => r.taskMetrics)) summary.taskMetrics = metricSummary((r) => r.taskMetrics);
    return [summary];
  });
}

/** Where results were computed, for results.json. */
export function environment(backend: Pick<BackendInfo, 'name' | 'device'>): ResultsDocument['environment'] {
  const cpus = os.cpus();
  return {
    backend: backend.name,
    device: backend.device,
    tfjs: tf.version.tfjs,
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
  };
}

/** A checkpoint as stored: a JSON manifest and one binary blob (see engine packState). */
export interface PackedCheckpoint {
  manifest: unknown;
  blob: Uint8Array;
}

/** Splits a checkpoint into manifest + blob (what a worker sends over its message port). */
export function packCheckpoint(checkpoint: RunCheckpoint): PackedCheckpoint {
  return packState(checkpoint as unknown as Parameters<typeof packState>[0]);
}

/** Rebuilds a checkpoint from manifest + blob; CHECKPOINT_INVALID when they do not fit. */
export function unpackCheckpoint(packed: PackedCheckpoint, where: string): RunCheckpoint {
  try {
    return unpackState(packed.manifest, packed.blob) as unknown as RunCheckpoint;
  } catch (error) {
    throw new WorkbenchError('CHECKPOINT_INVALID', `Checkpoint in ${where} is corrupt: ${(error as Error).message}`, { path: where });
  }
}

/** Writes a checkpoint into `dir` (state.bin, then state.json naming its hash), replacing the previous one atomically. */
export async function saveCheckpoint(dir: string, checkpoint: RunCheckpoint | PackedCheckpoint): Promise<void> {
  const { manifest, blob } = 'blob' in checkpoint && checkpoint.blob instanceof Uint8Array ? (checkpoint as PackedCheckpoint) : packCheckpoint(checkpoint as RunCheckpoint);
  // Data first, then the manifest that points into it. The manifest records the data's hash, so a
  // crash between the two renames is detected on load instead of resuming from mismatched files.
  await writeFileAtomic(path.join(dir, 'state.bin'), blob);
  await writeJsonAtomic(path.join(dir, 'state.json'), { schemaVersion: 1, bytes: blob.length, sha256: sha256(blob), state: manifest });
}

/** Reads the checkpoint in `dir` without unpacking it; undefined when there is none. Throws CHECKPOINT_INVALID naming the folder when it is damaged. */
export async function loadPackedCheckpoint(dir: string): Promise<PackedCheckpoint | undefined> {
  const manifestFile = path.join(dir, 'state.json');
  let manifest: { schemaVersion: number; bytes: number; sha256: string; state: unknown } | undefined;
  try {
    manifest = (await readJsonIfExists(manifestFile)) as typeof manifest;
  } catch (error) {
    throw new WorkbenchError('CHECKPOINT_INVALID', (error as Error).message, { path: manifestFile });
  }
  if (!manifest) return undefined;
  const blobFile = path.join(dir, 'state.bin');
  let blob: Uint8Array;
  try {
    blob = new Uint8Array(await fs.readFile(blobFile));
  } catch (error) {
    throw new WorkbenchError('CHECKPOINT_INVALID', `Checkpoint ${blobFile} cannot be read: ${(error as Error).message}`, { path: blobFile });
  }
  if (typeof manifest !== 'object' || manifest.schemaVersion !== 1 || blob.length !== manifest.bytes || sha256(blob) !== manifest.sha256) {
    throw new WorkbenchError('CHECKPOINT_INVALID', `Checkpoint in ${dir} is incomplete or does not match its data file (expected ${manifest.bytes} bytes with sha256 ${manifest.sha256}); remove the folder to restart that run`, { path: dir });
  }
  return { manifest: manifest.state, blob };
}

/** Reads and unpacks the checkpoint in `dir`; undefined when there is none. */
export async function loadCheckpoint(dir: string): Promise<RunCheckpoint | undefined> {
  const packed = await loadPackedCheckpoint(dir);
  return packed ? unpackCheckpoint(packed, dir) : undefined;
}

/** Builds a results.json document from finished and failed runs. */
export function resultsDocument(options: {
  spec: ExperimentSpec;
  runs: RunResult[];
  failed: ResultsDocument['failed'];
  backend: Pick<BackendInfo, 'name' | 'device'>;
  createdAt: string;
}): ResultsDocument {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: 'clwb-results',
    createdAt: options.createdAt,
    updatedAt: new Date().toISOString(),
    app: { name: 'CL Workbench', version: APP_VERSION },
    environment: environment(options.backend),
    specHash: specHash(options.spec),
    experiment: options.spec,
    runs: options.runs,
    failed: options.failed,
    summary: summariseRuns(options.spec, options.runs),
  };
}

/**
 * Runs every strategy x seed of `spec` into `outDir`. Refuses a folder that already holds
 * results unless `resume` (then finished runs are kept and interrupted ones continue from
 * their last checkpoint). A failed run is recorded and the others go on.
 */
export async function runExperiment(options: ExperimentRunOptions): Promise<ResultsDocument> {
  const { spec, outDir, backend } = options;
  const hash = specHash(spec);
  const experimentFile = path.join(outDir, 'experiment.json');
  const resultsFile = path.join(outDir, 'results.json');
  const existing = (await readJsonIfExists(experimentFile)) as ExperimentSpec | undefined;
  if (existing && !options.resume) {
    throw new WorkbenchError('IO', `${outDir} already holds an experiment's results; pass --resume to continue it, or choose another --out folder (nothing was overwritten)`, { path: outDir });
  }
  if (existing && options.resume && specHash(existing) !== hash) {
    throw new WorkbenchError('SPEC_INVALID', `Cannot resume: ${experimentFile} describes a different experiment than the one given (spec hashes differ)`, { path: experimentFile });
  }
  await fs.mkdir(outDir, { recursive: true });
  if (!existing) await writeJsonAtomic(experimentFile, spec);

  const dataset = await loadDataset(spec.dataset.id, {
    ...(options.dataDir ? { cacheDir: options.dataDir } : {}),
    ...(spec.dataset.path ? { path: spec.dataset.path } : {}),
    allowDownload: options.allowDownload ?? false,
    ...(options.onDatasetProgress ? { onProgress: options.onDatasetProgress } : {}),
  });
  const previous = (await readJsonIfExists(resultsFile)) as ResultsDocument | undefined;
  const createdAt = previous?.createdAt ?? new Date().toISOString();
  const planned = planRuns(spec);
  const runs: RunResult[] = [];
  const failed: ResultsDocument['failed'] = [];

  const writeResults = async (): Promise<ResultsDocument> => {
    const document = resultsDocument({ spec, runs, failed, backend, createdAt });
    await writeJsonAtomic(resultsFile, document);
    return document;
  };

  for (const [index, run] of planned.entries()) {
    if (options.signal?.aborted) throw new WorkbenchError('CANCELLED', 'The experiment was cancelled');
    const runDir = path.join(outDir, 'runs', run.id);
    const resultFile = path.join(runDir, 'result.json');
    if (options.resume) {
      const done = (await readJsonIfExists(resultFile)) as RunResult | undefined;
      if (done) {
        runs.push(done);
        continue;
      }
    }
    const checkpointDir = path.join(runDir, 'checkpoint');
    const resumeFrom = options.resume ? await loadCheckpoint(checkpointDir) : undefined;
    const log = new EventLog(path.join(runDir, 'events.ndjson'));
    try {
      const result = await executeRun({
        runId: run.id,
        spec,
        strategyIndex: run.strategyIndex,
        label: run.label,
        seed: run.seed,
        dataset,
        backend,
        ...(resumeFrom ? { resumeFrom } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onEvent: (event) => {
          void log.append(event);
          options.onEvent?.(event, run, index, planned.length);
        },
        onCheckpoint: (checkpoint) => saveCheckpoint(checkpointDir, checkpoint),
      });
      await log.flush();
      await writeJsonAtomic(resultFile, result);
      await fs.rm(checkpointDir, { recursive: true, force: true });
      runs.push(result);
    } catch (error) {
      await log.flush();
      if (error instanceof WorkbenchError && error.code === 'CANCELLED') {
        await writeResults();
        throw error;
      }
      const failure = error instanceof WorkbenchError ? error : new WorkbenchError('INTERNAL', String((error as Error).message ?? error));
      failed.push({ id: run.id, strategy: run.strategy, label: run.label, seed: run.seed, error: { code: failure.code, message: failure.message } });
    }
    await writeResults();
  }
  return writeResults();
}
