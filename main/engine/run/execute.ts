/**
 * Executes one run (one strategy x one seed): builds the scenario, trains experience
 * by experience, evaluates on every test experience after each, checkpoints, and
 * returns the run record. Pure engine: storage is the caller's (callbacks).
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types.ts';
import { buildScenario, type Experience, type Scenario } from '../data/scenario.ts';
import type { ExperimentSpec } from '../spec/experiment.ts';
import { Rng, type RngState } from '../rng.ts';
import { WorkbenchError } from '../errors.ts';
import { evaluate, type EvaluationResult } from '../training/evaluate.ts';
import type { RunContext, Strategy } from '../training/strategy.ts';
import type { StateTree } from '../training/state.ts';
import { computeMetrics } from '../metrics/index.ts';
import { getStrategy } from '../strategies/index.ts';
import { Network } from '../models/network.ts';
import type { RunEvent, RunEventBody } from './events.ts';
import type { RunCost, RunResult } from './result.ts';

export const APP_VERSION = '0.1.0';

/** Everything needed to continue a run exactly where it stopped. */
export interface RunCheckpoint {
  runId: string;
  /** Experiences fully trained and evaluated. */
  completed: number;
  rng: { words: RngState; spareNormal: number | null };
  strategy: StateTree;
  accuracyMatrix: number[][];
  taskAccuracyMatrix: number[][];
  randomBaseline: number[];
  taskRandomBaseline: number[];
  cost: { trainSeconds: number; evalSeconds: number; wallSeconds: number; peakTensorBytes: number; peakTensors: number };
  startedAt: string;
}

export interface RunRequest {
  runId: string;
  spec: ExperimentSpec;
  strategyIndex: number;
  /** The label shown for this strategy in results (unique within the experiment). */
  label: string;
  seed: number;
  dataset: Dataset;
  backend: { name: string; device: string };
  resumeFrom?: RunCheckpoint;
  onEvent?: (event: RunEvent) => void;
  onCheckpoint?: (checkpoint: RunCheckpoint) => Promise<void>;
  signal?: AbortSignal;
}

/** Splits an experience's training samples into online mini-experiences of `size` samples. */
export function miniExperiences(experience: Experience, size: number, rng: Rng): Experience[] {
  const order = rng.shuffle(experience.train.indices.slice());
  const parts: Experience[] = [];
  for (let start = 0; start < order.length; start += size) {
    parts.push({ ...experience, train: { ...experience.train, indices: order.slice(start, start + size) } });
  }
  return parts;
}

export async function executeRun(request: RunRequest): Promise<RunResult> {
  const { spec, seed, runId } = request;
  const strategySpec = spec.strategies[request.strategyIndex];
  const entry = getStrategy(strategySpec.id);
  const scenario = buildScenario(request.dataset, spec.scenario, seed);
  const T = scenario.experiences.length;
  const emit = (event: RunEventBody): void => request.onEvent?.({ runId, time: new Date().toISOString(), ...event } as RunEvent);
  const resume = request.resumeFrom;
  if (resume && resume.runId !== runId) throw new WorkbenchError('CHECKPOINT_INVALID', `The checkpoint belongs to run ${resume.runId}, not ${runId}`);

  const rng = new Rng(`${seed}:train`);
  const wallStart = performance.now();
  const cost = resume ? { ...resume.cost } : { trainSeconds: 0, evalSeconds: 0, wallSeconds: 0, peakTensorBytes: 0, peakTensors: 0 };
  const wallBefore = cost.wallSeconds;
  const startedAt = resume?.startedAt ?? new Date().toISOString();
  let completedFraction = 0;
  const resumedFraction = (resume?.completed ?? 0) / T;
  let experienceStart = performance.now();
  let lastProgress = 0;
  let samplesSinceProgress = 0;

  const context: RunContext = {
    spec,
    scenario,
    seed,
    rng,
    signal: request.signal,
    onStep: (info) => {
      const now = performance.now();
      const memory = tf.memory();
      cost.peakTensorBytes = Math.max(cost.peakTensorBytes, memory.numBytes);
      cost.peakTensors = Math.max(cost.peakTensors, memory.numTensors);
      samplesSinceProgress += info.batchSize;
      // Throttle progress events to a few per second; always report an experience's last step.
      if (now - lastProgress < 250 && info.step < info.steps) return;
      const fraction = Math.min(1, completedFraction + (info.step / info.steps) / T);
      // Time since this process started the run, against the work done since then (resume-aware).
      const elapsed = (now - wallStart) / 1000;
      const doneHere = fraction - resumedFraction;
      const seconds = (now - (lastProgress || experienceStart)) / 1000;
      emit({
        type: 'progress',
        experience: info.experience,
        experiences: T,
        epoch: info.epoch,
        step: info.step,
        steps: info.steps,
        loss: info.loss,
        samplesPerSecond: seconds > 0 ? samplesSinceProgress / seconds : 0,
        fraction,
        etaSeconds: doneHere > 0 ? (elapsed / doneHere) * (1 - fraction) : null,
        tensorBytes: memory.numBytes,
      });
      lastProgress = now;
      samplesSinceProgress = 0;
    },
  };

  const strategy: Strategy = entry.create(context, strategySpec.params);
  try {
    const accuracyMatrix = resume ? resume.accuracyMatrix.map((r) => r.slice()) : [];
    const taskAccuracyMatrix = resume ? resume.taskAccuracyMatrix.map((r) => r.slice()) : [];
    let randomBaseline = resume?.randomBaseline ?? [];
    let taskRandomBaseline = resume?.taskRandomBaseline ?? [];
    const start = resume?.completed ?? 0;
    if (resume) {
      try {
        strategy.setState(resume.strategy);
        rng.setState(resume.rng);
      } catch (error) {
        throw new WorkbenchError('CHECKPOINT_INVALID', `The checkpoint of ${runId} does not fit this experiment: ${(error as Error).message}`);
      }
    } else {
      const baseline = await randomBaselineOf(spec, scenario, seed);
      randomBaseline = baseline.experiences.map((e) => e.accuracy);
      taskRandomBaseline = baseline.experiences.map((e) => e.taskAccuracy);
    }
    emit({ type: 'started', strategy: strategySpec.id, label: request.label, seed, backend: request.backend.name, device: request.backend.device, experiences: T, ...(resume ? { resumedFrom: start } : {}) });

    let lastEvaluation: EvaluationResult | undefined;
    for (let t = start; t < T; t++) {
      completedFraction = t / T;
      experienceStart = performance.now();
      lastProgress = 0;
      const experience = scenario.experiences[t];
      const trainStart = performance.now();
      if (scenario.onlineExperienceSize !== undefined) {
        for (const part of miniExperiences(experience, scenario.onlineExperienceSize, rng)) await strategy.train(part);
      } else {
        await strategy.train(experience);
      }
      cost.trainSeconds += (performance.now() - trainStart) / 1000;
      const evalStart = performance.now();
      lastEvaluation = await evaluate((x, taskId) => strategy.predict(x, taskId), scenario, spec.training.evalBatchSize);
      cost.evalSeconds += (performance.now() - evalStart) / 1000;
      accuracyMatrix.push(lastEvaluation.experiences.map((e) => e.accuracy));
      taskAccuracyMatrix.push(lastEvaluation.experiences.map((e) => e.taskAccuracy));
      emit({
        type: 'evaluation',
        experience: t,
        accuracies: accuracyMatrix[t],
        ...(scenario.taskLabels ? { taskAccuracies: taskAccuracyMatrix[t] } : {}),
      });
      if (request.onCheckpoint && t < T - 1) {
        const checkpoint: RunCheckpoint = {
          runId,
          completed: t + 1,
          rng: rng.getState(),
          strategy: strategy.getState(),
          accuracyMatrix,
          taskAccuracyMatrix,
          randomBaseline,
          taskRandomBaseline,
          cost: { ...cost, wallSeconds: wallBefore + (performance.now() - wallStart) / 1000 },
          startedAt,
        };
        await request.onCheckpoint(checkpoint);
        emit({ type: 'checkpoint', experience: t });
      }
    }
    if (!lastEvaluation) {
      // Resumed from a checkpoint taken after the last experience: evaluate again.
      lastEvaluation = await evaluate((x, taskId) => strategy.predict(x, taskId), scenario, spec.training.evalBatchSize);
    }
    const metrics = computeMetrics(accuracyMatrix, randomBaseline);
    const taskMetrics = scenario.taskLabels ? computeMetrics(taskAccuracyMatrix, taskRandomBaseline) : undefined;
    const extra = strategy.cost();
    const trainedSamples = strategy.trainedSamples;
    const runCost: RunCost = {
      trainSeconds: cost.trainSeconds,
      evalSeconds: cost.evalSeconds,
      wallSeconds: wallBefore + (performance.now() - wallStart) / 1000,
      trainedSamples,
      samplesPerSecond: cost.trainSeconds > 0 ? trainedSamples / cost.trainSeconds : 0,
      peakTensorBytes: cost.peakTensorBytes,
      peakTensors: cost.peakTensors,
      parameters: strategy.parameterCount(),
      ...extra,
    };
    const evaluation = lastEvaluation;
    const result: RunResult = {
      id: runId,
      strategy: strategySpec.id,
      label: request.label,
      name: entry.name,
      params: strategySpec.params,
      seed,
      scenario: scenario.describe(),
      backend: request.backend.name,
      device: request.backend.device,
      accuracyMatrix,
      ...(scenario.taskLabels ? { taskAccuracyMatrix } : {}),
      randomBaseline,
      ...(scenario.taskLabels ? { taskRandomBaseline } : {}),
      metrics,
      ...(taskMetrics ? { taskMetrics } : {}),
      perClassAccuracy: evaluation.correctByClass.map((c, k) => (evaluation.totalByClass[k] ? c / evaluation.totalByClass[k] : null)),
      confusionMatrix: evaluation.confusion,
      cost: runCost,
      startedAt,
      finishedAt: new Date().toISOString(),
      versions: { app: APP_VERSION, tfjs: tf.version.tfjs },
    };
    emit({ type: 'finished', metrics, ...(taskMetrics ? { taskMetrics } : {}) });
    return result;
  } catch (error) {
    const failure = error instanceof WorkbenchError ? error : new WorkbenchError('INTERNAL', (error as Error).message ?? String(error), { stack: (error as Error).stack });
    emit({ type: 'failed', error: failure.toJSON() });
    throw failure;
  } finally {
    strategy.dispose();
  }
}

/** b_j: accuracy of the randomly initialised model (the strategies' own initial weights). */
async function randomBaselineOf(spec: ExperimentSpec, scenario: Scenario, seed: number): Promise<EvaluationResult> {
  const network = new Network(spec.model, { inputShape: scenario.inputShape, numClasses: scenario.numClasses }, new Rng(`${seed}:init:model`));
  try {
    for (const experience of scenario.experiences) network.addTask(experience.taskId, experience.classes);
    return await evaluate((x) => network.globalLogits(x) as tf.Tensor2D, scenario, spec.training.evalBatchSize);
  } finally {
    network.dispose();
  }
}
