/**
 * Experience Replay: a memory of past samples; every mini-batch is the current batch plus
 * `memBatch` random memory samples, trained with one loss over the concatenation.
 * References: Avalanche training/plugins/replay.py and training/storage_policy.py;
 * Mammoth models/er.py (Chaudhry et al. 2019, "On Tiny Episodic Memories in Continual Learning").
 *
 * Choices where references differ:
 * - When the memory is updated: after each experience, with that experience's training samples
 *   (Avalanche's ReplayPlugin.after_training_exp), so an experience never replays itself. In an
 *   online stream every mini-experience is a `train` call, so the memory is updated after every
 *   mini-batch, as Mammoth's ER does with reservoir sampling.
 * - Default policy: experience-balanced (Avalanche's default storage policy and the seed's
 *   "random replay"); reservoir (Mammoth ER) and class-balanced are options.
 * - Default memory size 500 (a common Mammoth buffer size; Avalanche's default is 200) and
 *   memBatch = the training batch size (Avalanche's batch_size_mem default, Mammoth's minibatch_size).
 */
import type { Experience } from '../data/scenario.ts';
import { Strategy, type RunContext } from '../training/strategy.ts';
import { TrainingData, concatBatches, type Batch } from '../training/data.ts';
import type { Plugin, PluginCost } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import type { ParamSchemas, ParamValues } from '../spec/schema.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';
import { SampleMemory, STORAGE_POLICIES, type StoragePolicy } from './memory.ts';

/** Schema entries shared by the rehearsal strategies. */
export const memorySizeParam = (defaultSize: number, description = 'Samples the memory holds in total.'): ParamSchemas[string] => ({
  type: 'integer',
  default: defaultSize,
  minimum: 1,
  maximum: 100000,
  unit: 'samples',
  description,
});

export const memBatchParam: ParamSchemas[string] = {
  type: 'integer',
  default: 0,
  minimum: 0,
  maximum: 10000,
  unit: 'samples',
  description: 'Memory samples added to each training mini-batch; 0 = the training batch size.',
};

/** `memBatch` with 0 meaning "the training batch size". */
export function resolveMemBatch(run: RunContext, value: unknown): number {
  const n = typeof value === 'number' ? value : 0;
  return n > 0 ? n : run.spec.training.batchSize;
}

/**
 * The replay plugin: draws `memBatch` memory samples into every batch and updates the memory
 * with each experience's samples after training on it. Reused by other strategies that replay.
 */
export class ReplayPlugin implements Plugin {
  readonly name = 'replay';
  /** Memory samples drawn into training batches so far (each costs one extra forward and backward). */
  private replayed = 0;

  constructor(
    readonly memory: SampleMemory,
    readonly memBatch: number,
  ) {}

  beforeBatch(strategy: Strategy, batch: Batch): Batch {
    if (this.memory.size === 0 || this.memBatch === 0) return batch;
    const replay = this.memory.sample(this.memBatch, strategy.run.rng);
    this.replayed += replay.size;
    return concatBatches(batch, replay, strategy.inputSize);
  }

  afterTrainingExp(strategy: Strategy, experience: Experience): void {
    this.memory.offerData(TrainingData.ofExperience(experience, strategy.inputSize), experience.index, strategy.run.rng);
  }

  cost(): Partial<PluginCost> {
    return { bufferSamples: this.memory.size, bufferBytes: this.memory.bytes, extraForwardSamples: this.replayed, extraBackwardSamples: this.replayed };
  }

  getState(): StateTree {
    return { memory: this.memory.getState(), replayed: this.replayed };
  }

  setState(state: StateTree): void {
    const tree = state as Record<string, StateTree>;
    this.memory.setState(tree.memory);
    this.replayed = tree.replayed as number;
  }
}

/** Replay = the template + ReplayPlugin. */
export class Replay extends Strategy {
  readonly memory: SampleMemory;

  constructor(run: RunContext, params: ParamValues) {
    super(run, params);
    this.memory = new SampleMemory({ capacity: params.memorySize as number, inputSize: this.inputSize, policy: params.policy as StoragePolicy });
    this.use(new ReplayPlugin(this.memory, resolveMemBatch(run, params.memBatch)));
  }
}

registerStrategy({
  id: 'replay',
  name: 'Replay (experience replay)',
  family: 'rehearsal',
  description:
    'Keeps a memory of past samples and adds memBatch random memory samples to every training mini-batch (one loss over both). The memory is updated after each experience (after every mini-batch in an online stream) by a storage policy: experience-balanced (after experience i, memorySize / i samples per experience, replaced at random: "random replay"), reservoir (every stream sample kept with probability memorySize / n), or class-balanced (equal quota per seen class).',
  paper: { authors: 'A. Chaudhry, M. Rohrbach, M. Elhoseiny, T. Ajanthan, P. K. Dokania, P. H. S. Torr, M. Ranzato', title: 'On Tiny Episodic Memories in Continual Learning', venue: 'arXiv:1902.10486', year: 2019 },
  params: {
    memorySize: memorySizeParam(500),
    memBatch: memBatchParam,
    policy: { type: 'enum', values: [...STORAGE_POLICIES], default: 'experience-balanced', description: 'Which samples the memory keeps.' },
  },
  scenarios: ALL_SCENARIOS,
  online: true,
  create: (run, params) => new Replay(run, params),
});
