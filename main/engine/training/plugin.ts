/**
 * The plugin lifecycle of the training template (DESIGN.md, close to Avalanche):
 * beforeTrainingExp -> (beforeEpoch -> (beforeBatch -> loss terms -> afterBackward
 * -> afterUpdate) -> afterEpoch) -> afterTrainingExp -> evaluation.
 * A strategy is the template plus a few small plugins; every hook is optional.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Experience } from '../data/scenario.ts';
import type { Batch } from './data.ts';
import type { StateTree } from './state.ts';
import type { Strategy, StepOutputs } from './strategy.ts';

export interface Plugin {
  /** Unique within a strategy; keys the plugin's checkpoint state. */
  readonly name: string;
  beforeTrainingExp?(strategy: Strategy, experience: Experience): void | Promise<void>;
  beforeEpoch?(strategy: Strategy): void | Promise<void>;
  /** May return a different (e.g. extended) batch. */
  beforeBatch?(strategy: Strategy, batch: Batch): Batch | Promise<Batch>;
  /** Called inside the gradient tape: return an extra loss term (a scalar) or nothing. */
  lossTerm?(strategy: Strategy, outputs: StepOutputs): tf.Scalar | undefined;
  /** May replace gradients (projection, masking). Returned tensors are disposed by the template. */
  afterBackward?(strategy: Strategy, gradients: Record<string, tf.Tensor>, batch: Batch): Record<string, tf.Tensor> | Promise<Record<string, tf.Tensor>>;
  afterUpdate?(strategy: Strategy, gradients: Record<string, tf.Tensor>): void | Promise<void>;
  afterEpoch?(strategy: Strategy): void | Promise<void>;
  afterTrainingExp?(strategy: Strategy, experience: Experience): void | Promise<void>;
  /** Checkpointed state (buffers, importances, anchors, teacher weights). */
  getState?(): StateTree;
  setState?(state: StateTree, strategy: Strategy): void;
  /** Extra cost for the run record: buffer samples and bytes, extra passes. */
  cost?(): Partial<PluginCost>;
  dispose?(): void;
}

export interface PluginCost {
  bufferSamples: number;
  bufferBytes: number;
  extraForwardSamples: number;
  extraBackwardSamples: number;
}
