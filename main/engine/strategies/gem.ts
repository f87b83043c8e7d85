/**
 * GEM: Gradient Episodic Memory (Lopez-Paz & Ranzato 2017, "Gradient Episodic Memory for
 * Continual Learning", NeurIPS). References: facebookresearch/GradientEpisodicMemory
 * `model/gem.py`, Avalanche `training/plugins/gem.py`.
 *
 * An episodic memory of `patternsPerExperience` samples per experience. At every step the
 * gradient on each past experience's memory is computed; when the current gradient g has a
 * negative dot product with any of them, g is replaced by the solution of the dual QP
 * (`solveGemDual`): g̃ = Gᵀv + g with v = argmin ½vᵀ(GGᵀ + εI)v + (Gg)ᵀv, v ≥ margin.
 *
 * Choices where the references disagree:
 * - Which samples are kept: a uniform random sample of each experience (reservoir sampling over
 *   the experience's stream, so the same in the online setting), like Avalanche; gem.py keeps the
 *   last `n_memories` samples of each task's stream in a ring buffer.
 * - 256 patterns per experience and margin (memoryStrength) 0.5, ε = 1e-3: the paper's MNIST
 *   settings and gem.py's constants.
 * - Gradients are flattened over every trainable parameter the current or the memory losses
 *   touch (for multi-head models, old heads enter through their memories' gradients), as in
 *   gem.py, which flattens the whole network.
 * - The memory losses use the same head routing as training: all outputs for a single head
 *   (class- and domain-IL), the experience's own head for multi-head models (task-IL).
 */
import * as tf from '@tensorflow/tfjs';
import type { Experience } from '../data/scenario.ts';
import type { Rng } from '../rng.ts';
import type { Plugin, PluginCost } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import { Strategy } from '../training/strategy.ts';
import { TrainingData, type Batch } from '../training/data.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';
import { SampleMemory } from './memory.ts';
import { solveGemDual } from './qp.ts';

/**
 * One `SampleMemory` per experience, each holding a reservoir sample of that experience's
 * training stream (GEM's and A-GEM's per-experience episodic memory).
 */
export class EpisodicMemory {
  private readonly memories = new Map<number, SampleMemory>();

  constructor(
    readonly patternsPerExperience: number,
    readonly inputSize: number,
  ) {}

  /** Offers the training samples of `experience` (or of one online mini-experience) to its memory. */
  add(experience: Experience, rng: Rng): void {
    if (this.patternsPerExperience === 0) return;
    this.memoryOf(experience.index).offerData(TrainingData.ofExperience(experience, this.inputSize), experience.index, rng);
  }

  /** Experiences with a memory, ascending; only those before `before` when given. */
  experiences(before = Infinity): number[] {
    return [...this.memories.keys()].filter((index) => index < before && this.memories.get(index)!.size > 0).sort((a, b) => a - b);
  }

  /** Every stored sample of one experience as a batch. */
  batchOf(experience: number): Batch {
    return this.memories.get(experience)!.all();
  }

  /** Samples stored for the experiences before `before`. */
  sizeBefore(before: number): number {
    return this.experiences(before).reduce((sum, index) => sum + this.memories.get(index)!.size, 0);
  }

  /** `k` distinct random samples from the memories of the experiences before `before` (all when fewer). */
  sample(k: number, rng: Rng, before = Infinity): Batch {
    const indices = this.experiences(before);
    const sizes = indices.map((index) => this.memories.get(index)!.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const picked = Array.from(rng.sample(total, Math.min(k, total))).sort((a, b) => a - b);
    const parts: Batch[] = [];
    let offset = 0;
    let cursor = 0;
    indices.forEach((index, m) => {
      const slots: number[] = [];
      while (cursor < picked.length && picked[cursor] < offset + sizes[m]) slots.push(picked[cursor++] - offset);
      offset += sizes[m];
      if (slots.length) parts.push(this.memories.get(index)!.batchOf(slots));
    });
    return joinBatches(parts, this.inputSize);
  }

  get size(): number {
    return [...this.memories.values()].reduce((sum, memory) => sum + memory.size, 0);
  }

  get bytes(): number {
    return [...this.memories.values()].reduce((sum, memory) => sum + memory.bytes, 0);
  }

  getState(): StateTree {
    return Object.fromEntries([...this.memories].map(([index, memory]) => [String(index), memory.getState()]));
  }

  setState(state: StateTree): void {
    this.memories.clear();
    for (const [index, memoryState] of Object.entries(state as Record<string, StateTree>)) this.memoryOf(Number(index)).setState(memoryState);
  }

  private memoryOf(experience: number): SampleMemory {
    let memory = this.memories.get(experience);
    if (!memory) {
      memory = new SampleMemory({ capacity: this.patternsPerExperience, inputSize: this.inputSize, policy: 'reservoir' });
      this.memories.set(experience, memory);
    }
    return memory;
  }
}

function joinBatches(parts: Batch[], inputSize: number): Batch {
  const size = parts.reduce((sum, part) => sum + part.size, 0);
  const batch: Batch = { x: new Float32Array(size * inputSize), y: new Int32Array(size), taskIds: new Int32Array(size), size, currentSize: 0 };
  let row = 0;
  for (const part of parts) {
    batch.x.set(part.x.subarray(0, part.size * inputSize), row * inputSize);
    batch.y.set(part.y.subarray(0, part.size), row);
    batch.taskIds.set(part.taskIds.subarray(0, part.size), row);
    row += part.size;
  }
  return batch;
}

// ---- flat gradient vectors --------------------------------------------------------------------

/** Parameter names present in any of `gradients`, in the model's parameter order. */
export function gradientNames(strategy: Strategy, gradients: Record<string, tf.Tensor>[]): string[] {
  const present = new Set(gradients.flatMap((g) => Object.keys(g)));
  return strategy.model.params.names({ trainableOnly: true }).filter((name) => present.has(name));
}

/** The gradients of `names` as one flat vector, zeros for parameters the gradient does not touch. */
export function flatten(strategy: Strategy, gradients: Record<string, tf.Tensor>, names: string[]): tf.Tensor1D {
  return tf.tidy(() => tf.concat(names.map((name) => (gradients[name] ?? tf.zerosLike(strategy.model.params.get(name))).reshape([-1]))) as tf.Tensor1D);
}

/** Splits a flat vector back into named tensors shaped like the parameters. */
export function unflatten(strategy: Strategy, vector: tf.Tensor1D, names: string[]): Record<string, tf.Tensor> {
  const sizes = names.map((name) => strategy.model.params.get(name).size);
  const pieces = tf.split(vector, sizes);
  const out: Record<string, tf.Tensor> = {};
  names.forEach((name, i) => {
    out[name] = pieces[i].reshape(strategy.model.params.get(name).shape);
    pieces[i].dispose();
  });
  return out;
}

// ---- the plugin -------------------------------------------------------------------------------

export interface GemOptions {
  patternsPerExperience: number;
  /** The margin γ of the dual constraints v ≥ γ. */
  memoryStrength: number;
}

/** What the last step found, for tests and inspection. */
export interface GemStepInfo {
  /** Dot products of the current gradient with each past memory gradient, before projection. */
  dots: number[];
  projected: boolean;
  /** The dual solution v (one per past experience) when projected. */
  multipliers?: number[];
}

/**
 * What GEM and A-GEM share: a per-experience episodic memory filled after each (mini-)experience,
 * a projection counter, their cost and their checkpoint state. Subclasses project gradients.
 */
export abstract class EpisodicProjectionPlugin implements Plugin {
  abstract readonly name: string;
  readonly memory: EpisodicMemory;
  projections = 0;

  constructor(patternsPerExperience: number, inputSize: number) {
    this.memory = new EpisodicMemory(patternsPerExperience, inputSize);
  }

  afterTrainingExp(strategy: Strategy, experience: Experience): void {
    this.memory.add(experience, strategy.run.rng);
  }

  cost(): Partial<PluginCost> {
    return { bufferSamples: this.memory.size, bufferBytes: this.memory.bytes };
  }

  getState(): StateTree {
    return { memory: this.memory.getState(), projections: this.projections };
  }

  setState(state: StateTree): void {
    const tree = state as { memory: StateTree; projections: number };
    this.memory.setState(tree.memory);
    this.projections = tree.projections;
  }
}

export class GemPlugin extends EpisodicProjectionPlugin {
  readonly name = 'gem';
  lastStep: GemStepInfo | undefined;

  constructor(
    readonly options: GemOptions,
    inputSize: number,
  ) {
    super(options.patternsPerExperience, inputSize);
  }

  afterBackward(strategy: Strategy, gradients: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    const current = strategy.experience?.index ?? 0;
    const past = this.memory.experiences(current);
    this.lastStep = undefined;
    if (past.length === 0) return gradients;
    const memoryGradients = past.map((index) => strategy.gradientsOf(this.memory.batchOf(index)).gradients);
    const memorySamples = this.memory.sizeBefore(current);
    strategy.extraCost.extraForwardSamples += memorySamples;
    strategy.extraCost.extraBackwardSamples += memorySamples;
    try {
      const names = gradientNames(strategy, [gradients, ...memoryGradients]);
      const result = projectGradient(strategy, gradients, memoryGradients, names, this.options.memoryStrength);
      this.lastStep = { dots: result.dots, projected: result.projected !== undefined, ...(result.multipliers ? { multipliers: result.multipliers } : {}) };
      if (!result.projected) return gradients;
      this.projections += 1;
      return result.projected;
    } finally {
      for (const g of memoryGradients) tf.dispose(Object.values(g));
    }
  }

}

/**
 * GEM's projection of `gradients` against `memoryGradients` over the parameters `names`.
 * Returns the dot products and, when any was negative, the projected gradients (new tensors).
 */
export function projectGradient(
  strategy: Strategy,
  gradients: Record<string, tf.Tensor>,
  memoryGradients: Record<string, tf.Tensor>[],
  names: string[],
  margin: number,
  epsilon = 1e-3,
): { dots: number[]; projected?: Record<string, tf.Tensor>; multipliers?: number[] } {
  const g = flatten(strategy, gradients, names);
  const G = tf.tidy(() => tf.stack(memoryGradients.map((m) => flatten(strategy, m, names))) as tf.Tensor2D);
  try {
    const dots = Array.from(readAndDispose(tf.tidy(() => tf.matMul(G, g.reshape([-1, 1])).reshape([-1]))));
    if (!dots.some((d) => d < 0)) return { dots };
    const k = dots.length;
    const gramData = readAndDispose(tf.tidy(() => tf.matMul(G, G, false, true)));
    const gram = Array.from({ length: k }, (_, i) => Array.from(gramData.subarray(i * k, (i + 1) * k)));
    const v = solveGemDual(gram, dots, margin, epsilon);
    const projectedVector = tf.tidy(() => tf.add(g, tf.matMul(tf.tensor2d(v, [1, k]), G).reshape([-1])) as tf.Tensor1D);
    const projected = unflatten(strategy, projectedVector, names);
    projectedVector.dispose();
    return { dots, projected, multipliers: v };
  } finally {
    g.dispose();
    G.dispose();
  }
}

function readAndDispose(tensor: tf.Tensor): Float32Array {
  const data = tensor.dataSync() as Float32Array;
  tensor.dispose();
  return data;
}

registerStrategy({
  id: 'gem',
  name: 'GEM (Gradient Episodic Memory)',
  family: 'rehearsal',
  description:
    'Keeps an episodic memory per experience (a random sample of patternsPerExperience samples). At every step it computes the gradient on each past experience\'s memory; if the current gradient has a negative dot product with any of them, it is projected to the closest gradient that does not increase those losses, by solving GEM\'s small dual quadratic program with margin memoryStrength. Cost: one forward and backward pass over every stored sample per step.',
  paper: { authors: 'D. Lopez-Paz, M. Ranzato', title: 'Gradient Episodic Memory for Continual Learning', venue: 'NeurIPS', year: 2017, url: 'https://arxiv.org/abs/1706.08840' },
  params: {
    patternsPerExperience: { type: 'integer', default: 256, minimum: 1, unit: 'samples', description: 'Samples stored per experience' },
    memoryStrength: { type: 'number', default: 0.5, minimum: 0, description: 'Margin γ of the dual constraints v ≥ γ: larger values push the update further towards the past gradients' },
  },
  scenarios: ALL_SCENARIOS,
  online: true,
  create: (run, params) =>
    new Strategy(run, params).use(
      new GemPlugin({ patternsPerExperience: params.patternsPerExperience as number, memoryStrength: params.memoryStrength as number }, run.scenario.inputSize),
    ),
});
