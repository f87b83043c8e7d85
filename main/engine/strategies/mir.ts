/**
 * MIR (Maximally Interfered Retrieval): R. Aljundi, L. Caccia, E. Belilovsky, M. Caccia, M. Lin,
 * L. Charlin, T. Tuytelaars, "Online Continual Learning with Maximally Interfered Retrieval",
 * NeurIPS 2019. References: optimass/Maximally_Interfered_Retrieval, Avalanche
 * training/plugins/mir.py.
 *
 * At every step: draw `subsample` candidates from the memory; take a virtual SGD step on the
 * current batch, θ' = θ - lr ∇L_batch(θ) with lr = the optimizer's learning rate (plain SGD, as
 * both references, whatever the optimizer); score each candidate by its loss increase
 * L(θ') - L(θ); replay the `memBatch` candidates with the largest increase. The loss is
 * L_batch + L_replay (each a mean over its samples, as both references add the two losses).
 * The virtual step needs no copy of the model: the forward pass reads θ' as weight overrides.
 *
 * Choices where references differ:
 * - Storage policy: reservoir by default (the paper's ER-based memory); Avalanche's plugin uses a
 *   class-balanced buffer, available as an option. The memory is updated after each
 *   (mini-)experience, so in the online protocol after every mini-batch.
 * - Avalanche excludes from the candidates the classes of the last batch of the previous
 *   experience; the paper does not, and neither do we.
 * - Candidates are scored in inference mode (batch-norm running statistics are used and not
 *   updated), as Avalanche's comment intends.
 * Ties between equal scores go to the candidate drawn first.
 */
import * as tf from '@tensorflow/tfjs';
import type { Experience } from '../data/scenario.ts';
import { Strategy, crossEntropyPerSample, type RunContext, type StepOutputs } from '../training/strategy.ts';
import { TrainingData, type Batch } from '../training/data.ts';
import type { Plugin, PluginCost } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import type { ParamValues } from '../spec/schema.ts';
import type { ForwardContext } from '../models/model.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';
import { SampleMemory, STORAGE_POLICIES, type StoragePolicy } from './memory.ts';
import { memBatchParam, memorySizeParam, resolveMemBatch } from './replay.ts';

/** Per-sample classification loss of `batch` (row order), optionally with weight overrides. */
export function perSampleLoss(strategy: Strategy, batch: Batch, context: Omit<ForwardContext, 'training' | 'taskId'> = {}): Float32Array {
  const losses = new Float32Array(batch.size);
  tf.tidy(() => {
    const outputs = strategy.forwardBatch(batch, false, strategy.model, context);
    for (const group of outputs.groups) {
      const values = crossEntropyPerSample(group.logits, group.targets).dataSync();
      group.rows.forEach((row, k) => (losses[row] = values[k]));
    }
  });
  return losses;
}

/** Rows `rows` of `batch` as a new batch. */
export function subBatch(batch: Batch, rows: ArrayLike<number>, inputSize: number): Batch {
  const size = rows.length;
  const out: Batch = { x: new Float32Array(size * inputSize), y: new Int32Array(size), taskIds: new Int32Array(size), size, currentSize: 0 };
  for (let k = 0; k < size; k++) {
    const row = rows[k];
    out.x.set(batch.x.subarray(row * inputSize, (row + 1) * inputSize), k * inputSize);
    out.y[k] = batch.y[row];
    out.taskIds[k] = batch.taskIds[row];
  }
  return out;
}

export class MirPlugin implements Plugin {
  readonly name = 'mir';
  /** The replay samples chosen for the current step (consumed by lossTerm). */
  private chosen: Batch | undefined;
  private extraForward = 0;
  private extraBackward = 0;

  constructor(
    readonly memory: SampleMemory,
    readonly subsample: number,
    readonly memBatch: number,
  ) {}

  /**
   * Loss increase of every candidate after a virtual SGD step on `batch`:
   * L(θ - lr ∇L_batch(θ); candidate) - L(θ; candidate).
   */
  interference(strategy: Strategy, batch: Batch, candidates: Batch): Float32Array {
    const lr = strategy.optimizer.spec.lr;
    const { gradients } = strategy.gradientsOf(batch);
    const virtual: Record<string, tf.Tensor> = {};
    for (const [name, gradient] of Object.entries(gradients)) virtual[name] = tf.tidy(() => tf.sub(strategy.model.params.get(name), tf.mul(gradient, lr)));
    tf.dispose(Object.values(gradients));
    try {
      const before = perSampleLoss(strategy, candidates);
      const after = perSampleLoss(strategy, candidates, { weights: virtual });
      return after.map((value, i) => value - before[i]);
    } finally {
      tf.dispose(Object.values(virtual));
    }
  }

  /** Indices (into `candidates`) of the `memBatch` most interfered candidates, largest increase first. */
  select(strategy: Strategy, batch: Batch, candidates: Batch): Int32Array {
    const scores = this.interference(strategy, batch, candidates);
    this.extraForward += batch.size + 2 * candidates.size;
    this.extraBackward += batch.size;
    const order = Array.from({ length: candidates.size }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
    return Int32Array.from(order.slice(0, Math.min(this.memBatch, candidates.size)));
  }

  beforeBatch(strategy: Strategy, batch: Batch): Batch {
    this.chosen = undefined;
    if (this.memory.size === 0 || this.memBatch === 0) return batch;
    const candidates = this.memory.sample(Math.max(this.subsample, 1), strategy.run.rng);
    this.chosen = subBatch(candidates, this.select(strategy, batch, candidates), strategy.inputSize);
    this.extraForward += this.chosen.size;
    this.extraBackward += this.chosen.size;
    return batch;
  }

  lossTerm(strategy: Strategy, _outputs: StepOutputs): tf.Scalar | undefined {
    if (!this.chosen || this.chosen.size === 0) return undefined;
    return strategy.classificationLoss(strategy.forwardBatch(this.chosen, true));
  }

  afterTrainingExp(strategy: Strategy, experience: Experience): void {
    this.chosen = undefined;
    this.memory.offerData(TrainingData.ofExperience(experience, strategy.inputSize), experience.index, strategy.run.rng);
  }

  cost(): Partial<PluginCost> {
    return { bufferSamples: this.memory.size, bufferBytes: this.memory.bytes, extraForwardSamples: this.extraForward, extraBackwardSamples: this.extraBackward };
  }

  getState(): StateTree {
    return { memory: this.memory.getState(), extraForward: this.extraForward, extraBackward: this.extraBackward };
  }

  setState(state: StateTree): void {
    const tree = state as Record<string, StateTree>;
    this.memory.setState(tree.memory);
    this.extraForward = tree.extraForward as number;
    this.extraBackward = tree.extraBackward as number;
  }
}

export class Mir extends Strategy {
  readonly memory: SampleMemory;
  readonly mir: MirPlugin;

  constructor(run: RunContext, params: ParamValues) {
    super(run, params);
    this.memory = new SampleMemory({ capacity: params.memorySize as number, inputSize: this.inputSize, policy: params.policy as StoragePolicy });
    this.mir = new MirPlugin(this.memory, params.subsample as number, resolveMemBatch(run, params.memBatch));
    this.use(this.mir);
  }
}

registerStrategy({
  id: 'mir',
  name: 'MIR (maximally interfered retrieval)',
  family: 'rehearsal',
  description:
    'Replay that picks what to replay: from subsample random memory candidates, the memBatch whose loss would rise most after a virtual SGD step (the optimizer\'s learning rate) on the current batch; the loss is the current loss plus the replay loss. Designed for the online setting (batch 10, one pass). Memory: reservoir by default (the paper), class-balanced as in Avalanche optional.',
  paper: { authors: 'R. Aljundi, L. Caccia, E. Belilovsky, M. Caccia, M. Lin, L. Charlin, T. Tuytelaars', title: 'Online Continual Learning with Maximally Interfered Retrieval', venue: 'NeurIPS', year: 2019 },
  params: {
    memorySize: memorySizeParam(500),
    subsample: { type: 'integer', default: 50, minimum: 1, maximum: 100000, unit: 'samples', description: 'Memory candidates scored at each step.' },
    memBatch: memBatchParam,
    policy: { type: 'enum', values: [...STORAGE_POLICIES], default: 'reservoir', description: 'Which samples the memory keeps.' },
  },
  scenarios: ALL_SCENARIOS,
  online: true,
  create: (run, params) => new Mir(run, params),
});
