/**
 * GDumb: A. Prabhu, P. H. S. Torr, P. K. Dokania, "GDumb: A Simple Approach that Questions Our
 * Progress in Continual Learning", ECCV 2020. References: drimpossible/GDumb src/main.py (training),
 * Avalanche training/plugins/gdumb.py.
 *
 * A greedy class-balanced sampler fills a memory of `memorySize` samples from the stream (while
 * there is room every sample is stored; then a sample of a class below its quota
 * floor(memorySize / seen classes) replaces a random sample of the largest class). The learner
 * never trains on the stream: it is retrained from scratch (the same initial weights every time,
 * as Avalanche's plugin copies its initial model) on the memory alone.
 *
 * Choices where references differ:
 * - When to retrain: after every experience (Avalanche), so the accuracy matrix has a row per
 *   experience; the paper retrains only when asked to predict. In an online stream the memory is
 *   filled mini-batch by mini-batch and the model is retrained once the experience is complete.
 * - Optimisation: the paper uses SGD with cosine warm restarts, gradient clipping and many passes
 *   (hundreds); we use the run's optimizer and batch size for `epochs` passes over the memory
 *   (default 50), starting from a fresh optimizer state each time.
 */
import type { Experience } from '../data/scenario.ts';
import { Strategy, type RunContext } from '../training/strategy.ts';
import { TrainingData } from '../training/data.ts';
import type { PluginCost } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import type { ParamValues } from '../spec/schema.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';
import { SampleMemory } from './memory.ts';
import { memorySizeParam } from './replay.ts';

export class GDumb extends Strategy {
  readonly memory: SampleMemory;
  /** Online: training samples of each experience received so far (retrain when it is complete). */
  private received = new Map<number, number>();
  /** Times the model was retrained from scratch. */
  retrainings = 0;

  constructor(run: RunContext, params: ParamValues) {
    super(run, params);
    this.memory = new SampleMemory({ capacity: params.memorySize as number, inputSize: this.inputSize, policy: 'class-balanced' });
  }

  override async train(experience: Experience): Promise<void> {
    this.experience = experience;
    this.memory.offerData(TrainingData.ofExperience(experience, this.inputSize), experience.index, this.run.rng);
    if (this.scenario.onlineExperienceSize !== undefined) {
      const received = (this.received.get(experience.index) ?? 0) + experience.train.indices.length;
      this.received.set(experience.index, received);
      if (received < this.scenario.experiences[experience.index].train.indices.length) return;
    }
    await this.retrain(experience);
  }

  /** Fresh network (same initial weights), fresh optimizer state, `epochs` passes over the memory. */
  private async retrain(experience: Experience): Promise<void> {
    this.model.dispose();
    this.model = this.createNetwork('model');
    for (const seen of this.scenario.experiences.slice(0, experience.index + 1)) this.model.addTask(seen.taskId, seen.classes);
    this.optimizer.reset();
    this.retrainings += 1;
    await this.fit(this.memory.toTrainingData(), { epochs: this.params.epochs as number });
  }

  override cost(): PluginCost {
    const total = super.cost();
    return { ...total, bufferSamples: total.bufferSamples + this.memory.size, bufferBytes: total.bufferBytes + this.memory.bytes };
  }

  override getState(): StateTree {
    return {
      ...(super.getState() as Record<string, StateTree>),
      memory: this.memory.getState(),
      received: [...this.received].map(([index, count]) => [index, count]),
      retrainings: this.retrainings,
    };
  }

  override setState(state: StateTree): void {
    super.setState(state);
    const tree = state as Record<string, StateTree>;
    this.memory.setState(tree.memory);
    this.received = new Map((tree.received as [number, number][]).map(([index, count]) => [index, count]));
    this.retrainings = tree.retrainings as number;
  }
}

registerStrategy({
  id: 'gdumb',
  name: 'GDumb',
  family: 'rehearsal',
  description:
    'A greedy class-balanced sampler keeps memorySize samples (equal quota per seen class, evicting at random from the largest class); after every experience the model is retrained from its initial weights on the memory alone for `epochs` passes. The paper retrains only at prediction time with SGD and cosine warm restarts; we retrain after each experience with the run\'s optimizer.',
  paper: { authors: 'A. Prabhu, P. H. S. Torr, P. K. Dokania', title: 'GDumb: A Simple Approach that Questions Our Progress in Continual Learning', venue: 'ECCV', year: 2020 },
  params: {
    memorySize: memorySizeParam(500),
    epochs: { type: 'integer', default: 50, minimum: 1, maximum: 10000, unit: 'passes', description: 'Passes over the memory each time the model is retrained.' },
  },
  scenarios: ALL_SCENARIOS,
  online: true,
  create: (run, params) => new GDumb(run, params),
});
