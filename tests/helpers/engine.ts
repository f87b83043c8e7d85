/** Test helpers: build validated specs and run them in-process on the wasm backend. */
import { executeRun, initBackend, loadDataset, validateExperiment, validationCatalogue, type ExperimentSpec, type RunResult } from '../../main/engine/index.ts';
import type { RunCheckpoint, RunRequest } from '../../main/engine/run/execute.ts';

export function spec(partial: Record<string, unknown>): ExperimentSpec {
  return validateExperiment(
    {
      schemaVersion: 1,
      name: 'test',
      dataset: { id: 'synthetic' },
      scenario: { type: 'class-incremental', experiences: 5 },
      model: { type: 'mlp', hidden: [64] },
      training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', lr: 0.001 } },
      strategies: [{ id: 'naive' }],
      seeds: [0],
      ...partial,
    },
    validationCatalogue(),
  );
}

export async function runOne(experiment: ExperimentSpec, options: { strategyIndex?: number; seed?: number } & Partial<Pick<RunRequest, 'onCheckpoint' | 'resumeFrom' | 'onEvent'>> = {}): Promise<RunResult> {
  const backend = await initBackend('wasm');
  const dataset = await loadDataset(experiment.dataset.id);
  const strategyIndex = options.strategyIndex ?? 0;
  const seed = options.seed ?? experiment.seeds[0];
  return executeRun({
    runId: `test-${strategyIndex}-${seed}`,
    spec: experiment,
    strategyIndex,
    label: experiment.strategies[strategyIndex].id,
    seed,
    dataset,
    backend,
    ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
    ...(options.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}

export type { RunCheckpoint };
