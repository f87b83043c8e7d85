/** Test helpers: build validated specs and run them in-process on the wasm backend. */
import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { executeRun, initBackend, loadDataset, packState, unpackState, validateExperiment, validationCatalogue, type ExperimentSpec, type RunResult } from '../../main/engine/index.ts';
import { buildScenario, type Experience, type Scenario } from '../../main/engine/data/scenario.ts';
import { getStrategy } from '../../main/engine/strategies/index.ts';
import { TrainingData, type Batch } from '../../main/engine/training/data.ts';
import type { Strategy } from '../../main/engine/training/strategy.ts';
import { Rng } from '../../main/engine/rng.ts';
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

/**
 * Runs `experiment` uninterrupted, keeping every checkpoint round-tripped through the on-disk
 * format, then resumes from the checkpoint taken after `resumeAfter` experiences.
 */
export async function runAndResume(experiment: ExperimentSpec, resumeAfter = 2): Promise<{ full: RunResult; resumed: RunResult; checkpoints: RunCheckpoint[] }> {
  const checkpoints: RunCheckpoint[] = [];
  const full = await runOne(experiment, {
    onCheckpoint: async (checkpoint) => {
      const { manifest, blob } = packState(checkpoint as never);
      checkpoints.push(unpackState(JSON.parse(JSON.stringify(manifest)), blob) as unknown as RunCheckpoint);
    },
  });
  const resumed = await runOne(experiment, { resumeFrom: checkpoints[resumeAfter - 1] });
  return { full, resumed, checkpoints };
}

/** A strategy built outside a run (seed 0) on the experiment's own dataset, for step-level tests. */
export async function buildStrategy<T extends Strategy = Strategy>(experiment: ExperimentSpec, index = 0): Promise<{ strategy: T; scenario: Scenario }> {
  await initBackend('wasm');
  const dataset = await loadDataset(experiment.dataset.id);
  const scenario = buildScenario(dataset, experiment.scenario, 0);
  const entry = experiment.strategies[index];
  const strategy = getStrategy(entry.id).create({ spec: experiment, scenario, seed: 0, rng: new Rng(0) }, entry.params) as T;
  return { strategy, scenario };
}

/** Starts an experience the way Strategy.train does, without training on it. */
export async function enterExperience(strategy: Strategy, experience: Experience): Promise<void> {
  strategy.experience = experience;
  strategy.model.addTask(experience.taskId, experience.classes);
  for (const plugin of strategy.plugins) await plugin.beforeTrainingExp?.(strategy, experience);
}

/** Samples [start, start + size) of an experience's training set, in stored order. */
export function batchOf(scenario: Scenario, experience: Experience, start: number, size: number): Batch {
  const data = TrainingData.ofExperience(experience, scenario.inputSize);
  return data.batch(Int32Array.from({ length: data.size }, (_, i) => i), start, Math.min(start + size, data.size));
}

/**
 * Takes one step on `batches[0]`, records tf.memory().numTensors, takes the remaining steps and
 * expects the count unchanged; returns the recorded count for further checks.
 */
export async function expectFlatTensorsAcrossSteps(strategy: Strategy, batches: Batch[]): Promise<number> {
  await strategy.step(batches[0]);
  const before = tf.memory().numTensors;
  for (const batch of batches.slice(1)) await strategy.step(batch);
  expect(tf.memory().numTensors).toBe(before);
  return before;
}
