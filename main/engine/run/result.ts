/** One run's record in results.json (schema in README.md, "results.json"). */
import type { Metrics } from '../metrics/index.ts';
import type { ParamValues } from '../spec/schema.ts';

export interface RunCost {
  /** Seconds spent in training steps (evaluation excluded). */
  trainSeconds: number;
  evalSeconds: number;
  wallSeconds: number;
  trainedSamples: number;
  samplesPerSecond: number;
  /** Highest tf.memory().numBytes seen at a step, and tensors alive then. */
  peakTensorBytes: number;
  peakTensors: number;
  /** Trainable parameters at the end (grows for Ensemble, PNN). */
  parameters: number;
  bufferSamples: number;
  bufferBytes: number;
  extraForwardSamples: number;
  extraBackwardSamples: number;
}

export interface RunResult {
  id: string;
  strategy: string;
  /** Display label, unique within the experiment. */
  label: string;
  name: string;
  params: ParamValues;
  seed: number;
  scenario: Record<string, unknown>;
  backend: string;
  device: string;
  /** R[i][j]: class-IL accuracy on test experience j after training experience i. */
  accuracyMatrix: number[][];
  /** Same with task ids given at test time (task-IL scenarios only). */
  taskAccuracyMatrix?: number[][];
  /** b_j: accuracy of the randomly initialised model on each test experience (for FWT). */
  randomBaseline: number[];
  taskRandomBaseline?: number[];
  metrics: Metrics;
  taskMetrics?: Metrics;
  /** Class-IL accuracy per class after the last experience (null: class not in any test set). */
  perClassAccuracy: (number | null)[];
  /** confusionMatrix[true][predicted] after the last experience, class-IL. */
  confusionMatrix: number[][];
  cost: RunCost;
  startedAt: string;
  finishedAt: string;
  versions: { app: string; tfjs: string };
}
