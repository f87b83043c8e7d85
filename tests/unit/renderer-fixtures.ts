/**
 * Shared fixtures of the renderer's tests: a fake back end (the real API client over a
 * fake transport, so stores run their real calls), a small catalogue, and results.
 */
import type { ApiEvent, Catalogue, Envelope, ReplyOf, RequestOf, ResultsDocument, RunResult, RunSummary, Verb } from '../../main/workbench/api/contract.ts';
import { createClient, type WorkbenchClient } from '../../renderer/src/api/client.ts';

type Handler<V extends Verb> = (request: RequestOf<V>) => ReplyOf<V> | Promise<ReplyOf<V>>;
export type Handlers = { [V in Verb]?: Handler<V> };

export interface FakeBackend {
  client: WorkbenchClient;
  /** Every call made, in order. */
  calls: { verb: Verb; request: unknown }[];
  handlers: Handlers;
  /** Pushes an event to every subscriber. */
  emit(event: ApiEvent): void;
}

/** An error the fake back end answers with (as the real one would, in an envelope). */
export class FakeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function fakeBackend(handlers: Handlers = {}): FakeBackend {
  const calls: FakeBackend['calls'] = [];
  const listeners = new Set<(event: ApiEvent) => void>();
  const client = createClient({
    async invoke(verb, request): Promise<Envelope<unknown>> {
      calls.push({ verb, request });
      const handler = handlers[verb] as ((request: unknown) => unknown) | undefined;
      if (!handler) return { ok: false, error: { code: 'NOT_IMPLEMENTED', message: `${verb} is not faked` } };
      try {
        return { ok: true, value: await handler(request) };
      } catch (error) {
        const e = error as FakeError;
        return { ok: false, error: { code: (e.code ?? 'INTERNAL') as never, message: e.message } };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ready: () => Promise.resolve(),
    close: () => undefined,
  });
  return { client, calls, handlers, emit: (event) => listeners.forEach((listener) => listener(event)) };
}

export const CATALOGUE: Catalogue = {
  strategies: [
    { id: 'naive', name: 'Naive (fine-tuning)', family: 'baseline', description: 'Fine-tuning.', params: {}, scenarios: ['class-incremental', 'task-incremental', 'domain-incremental'], online: true },
    { id: 'joint', name: 'Joint', family: 'baseline', description: 'Upper bound.', params: {}, scenarios: ['class-incremental', 'task-incremental', 'domain-incremental'], online: false },
    { id: 'cumulative', name: 'Cumulative', family: 'baseline', description: 'Retrain on all.', params: {}, scenarios: ['class-incremental', 'task-incremental', 'domain-incremental'], online: false },
    { id: 'ensemble', name: 'Ensemble', family: 'baseline', description: 'One net per experience.', params: {}, scenarios: ['class-incremental', 'task-incremental', 'domain-incremental'], online: false },
    {
      id: 'replay',
      name: 'Replay (experience replay)',
      family: 'rehearsal',
      description: 'Keeps a memory of past samples.',
      params: {
        memorySize: { type: 'integer', default: 500, minimum: 1, maximum: 100000, unit: 'samples', description: 'Samples the memory holds.' },
        policy: { type: 'enum', values: ['reservoir', 'class-balanced', 'experience-balanced'], default: 'experience-balanced', description: 'Which samples the memory keeps.' },
      },
      scenarios: ['class-incremental', 'task-incremental', 'domain-incremental'],
      online: true,
    },
    {
      id: 'ewc',
      name: 'EWC (Elastic Weight Consolidation)',
      family: 'regularisation',
      description: 'Penalises moving important weights.',
      paper: { authors: 'J. Kirkpatrick et al.', title: 'Overcoming catastrophic forgetting in neural networks', venue: 'PNAS', year: 2017 },
      params: {
        lambda: { type: 'number', default: 1000, minimum: 0, logScale: true, description: 'Penalty strength.' },
        online: { type: 'boolean', default: false, description: 'One running Fisher.' },
        fisherSamples: { type: 'integer', default: 500, minimum: 1, description: 'Samples for the Fisher.' },
        layers: { type: 'integer[]', default: [0, 1], minimum: 0, description: 'Layers penalised.' },
      },
      scenarios: ['class-incremental', 'task-incremental', 'domain-incremental'],
      online: false,
    },
  ],
  datasets: [
    { id: 'mnist-bundled', name: 'MNIST (bundled 10k)', description: 'Bundled digits.', inputShape: [28, 28, 1], numClasses: 10, bundled: true, available: true, downloadable: false, importable: false },
    { id: 'synthetic', name: 'Synthetic 8x8', description: 'Patterns.', inputShape: [8, 8, 1], numClasses: 10, bundled: true, available: true, downloadable: false, importable: false },
    { id: 'mnist', name: 'MNIST', description: 'IDX files.', inputShape: [28, 28, 1], numClasses: 10, bundled: false, available: false, downloadable: true, importable: true, folder: '/cache/mnist', missing: ['train-images-idx3-ubyte'] },
  ],
  models: [
    { type: 'mlp', name: 'MLP', description: 'Dense.', inputs: ['hidden'] },
    { type: 'cnn', name: 'CNN', description: 'Conv.', inputs: ['channels'] },
  ],
  scenarios: [{ type: 'class-incremental', name: 'Class-incremental', description: 'Split classes.' }],
  optimizers: ['sgd', 'adam'],
};

/** A run summary with sensible defaults. */
export function runSummary(overrides: Partial<RunSummary> & { id: string }): RunSummary {
  return {
    experimentId: 'exp',
    experimentName: 'Experiment',
    strategy: 'naive',
    label: 'Naive (fine-tuning)',
    seed: 0,
    status: 'queued',
    createdAt: '2026-01-01T00:00:00.000Z',
    evaluations: 0,
    events: 0,
    resumable: false,
    ...overrides,
  };
}

/** A finished run's record: accuracy matrix T×T from `final` (the last row) with simple forgetting. */
export function runResult(label: string, strategy: string, seed: number, acc: number, params: Record<string, unknown> = {}): RunResult {
  const T = 3;
  const matrix = Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (j < i ? acc : j === i ? 0.95 : 0)));
  const last = matrix[T - 1];
  return {
    id: `${label}-s${seed}`,
    strategy,
    label,
    name: label,
    params: params as RunResult['params'],
    seed,
    scenario: {},
    backend: 'wasm',
    device: 'CPU',
    accuracyMatrix: matrix,
    randomBaseline: [0.1, 0.1, 0.1],
    metrics: { acc: last.reduce((a, b) => a + b, 0) / T, bwt: acc - 0.95, fwt: -0.1, forgetting: 0.95 - acc, averageIncrementalAccuracy: 0.8, forgettingPerExperience: [0.95 - acc, 0.95 - acc, null] },
    perClassAccuracy: [],
    confusionMatrix: [],
    cost: { trainSeconds: 10 + seed, evalSeconds: 1, wallSeconds: 12, trainedSamples: 1000, samplesPerSecond: 100, peakTensorBytes: 1e6, peakTensors: 10, parameters: 5000, bufferSamples: 0, bufferBytes: 0, extraForwardSamples: 0, extraBackwardSamples: 0 },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    versions: { app: '0.1.0', tfjs: '4.22.0' },
  };
}

export function resultsDocument(runs: RunResult[], failed: ResultsDocument['failed'] = []): ResultsDocument {
  return {
    schemaVersion: 1,
    kind: 'clwb-results',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    app: { name: 'clwb', version: '0.1.0' },
    environment: { backend: 'wasm', device: 'CPU', tfjs: '4.22.0', node: '20', platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'cpu' },
    specHash: 'hash',
    experiment: { schemaVersion: 1, name: 'Split MNIST quick' } as ResultsDocument['experiment'],
    runs,
    failed,
    summary: [],
  };
}
