/**
 * Baselines: Naive (fine-tuning), Joint (offline upper bound), Cumulative and Ensemble.
 * References: Avalanche strategy_wrappers.py (Naive), joint_training.py, cumulative.py;
 * GMvandeVen/continual-learning models/separate_classifiers.py (Ensemble).
 */
import * as tf from '@tensorflow/tfjs';
import type { Experience } from '../data/scenario.ts';
import { Strategy } from '../training/strategy.ts';
import { TrainingData } from '../training/data.ts';
import { createOptimizer } from '../training/optimizers.ts';
import { loadNetworkState, networkState } from '../training/strategy.ts';
import type { StateTree } from '../training/state.ts';
import type { Network } from '../models/network.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';

/** Naive: the template with no plugin. */
export class Naive extends Strategy {}

/**
 * Joint: one model trained on the union of all experiences, the first time it is asked
 * to train; later experiences add nothing. Every row of its accuracy matrix is the joint
 * model's accuracy, so its BWT and forgetting are 0 by construction: it is the upper bound.
 */
export class Joint extends Strategy {
  private trained = false;

  override async train(experience: Experience): Promise<void> {
    if (this.trained) return;
    this.trained = true;
    for (const e of this.scenario.experiences) this.model.addTask(e.taskId, e.classes);
    this.experience = experience;
    // A fixed number of iterations is per experience: the joint model gets the whole stream's
    // budget (iterations x T steps), as epochs over the union give it the same passes per sample.
    const iterations = this.run.spec.training.iterations;
    const budget = iterations !== undefined ? { iterations: iterations * this.scenario.experiences.length } : {};
    await this.fit(TrainingData.union(this.scenario.experiences, this.inputSize), budget);
  }

  override getState(): StateTree {
    return { ...(super.getState() as Record<string, StateTree>), trained: this.trained };
  }

  override setState(state: StateTree): void {
    super.setState(state);
    this.trained = (state as Record<string, StateTree>).trained === true;
  }
}

/** Cumulative: at experience t, train on the union of experiences 1..t, continuing from the current weights. */
export class Cumulative extends Strategy {
  override trainingData(experience: Experience): TrainingData {
    return TrainingData.union(this.scenario.experiences.slice(0, experience.index + 1), this.inputSize);
  }
}

/**
 * Ensemble: a separate network (and optimizer) per experience. Task-IL routes by task id.
 * Class-IL (Choice): each member gives a softmax over its own classes; the predicted class
 * is the one with the highest probability over all members.
 */
export class Ensemble extends Strategy {
  private readonly members: Network[] = [];
  private readonly memberClasses: number[][] = [];

  override async train(experience: Experience): Promise<void> {
    if (this.members.length > 0) {
      this.optimizer.dispose();
      this.optimizer = createOptimizer(this.run.spec.training.optimizer);
      this.model = this.createNetwork(`member${experience.index}`);
    }
    this.members.push(this.model);
    this.memberClasses.push(experience.classes.slice());
    await super.train(experience);
  }

  override predict(x: tf.Tensor2D, _taskId: number): tf.Tensor2D {
    const numClasses = this.scenario.numClasses;
    if (this.members.length === 0) return this.model.globalLogits(x) as tf.Tensor2D;
    return tf.tidy(() => {
      // -1 marks classes no member knows, so they never win over a probability.
      let scores: tf.Tensor = tf.fill([x.shape[0], numClasses], -1);
      this.members.forEach((member, m) => {
        const classes = this.memberClasses[m];
        const logits = member.globalLogits(x);
        const own = tf.gather(logits, tf.tensor1d(classes, 'int32'), 1);
        const probabilities = tf.softmax(own);
        // Place the member's probabilities at its classes and keep the best over members.
        const placement = tf.oneHot(tf.tensor1d(classes, 'int32'), numClasses);
        const placed = tf.matMul(probabilities, placement);
        const covered = tf.sum(placement, 0).greater(0);
        scores = tf.where(covered.expandDims(0).tile([x.shape[0], 1]), tf.maximum(scores, placed), scores);
      });
      return scores as tf.Tensor2D;
    });
  }

  override parameterCount(): number {
    return this.members.reduce((sum, member) => sum + member.parameterCount(), 0) || this.model.parameterCount();
  }

  override getState(): StateTree {
    return {
      ...(super.getState() as Record<string, StateTree>),
      members: this.members.map((member) => networkState(member)),
      memberClasses: this.memberClasses.map((classes) => Int32Array.from(classes)),
    };
  }

  override setState(state: StateTree): void {
    const tree = state as Record<string, StateTree>;
    const members = tree.members as StateTree[];
    const classes = tree.memberClasses as Int32Array[];
    for (let m = 0; m < members.length; m++) {
      const network = m === 0 ? this.model : this.createNetwork(`member${m}`);
      loadNetworkState(network, members[m]);
      this.members.push(network);
      this.memberClasses.push(Array.from(classes[m]));
    }
    if (this.members.length > 0) this.model = this.members[this.members.length - 1];
    super.setState(state);
  }

  override dispose(): void {
    for (const member of this.members) if (member !== this.model) member.dispose();
    super.dispose();
  }
}

registerStrategy({
  id: 'naive',
  name: 'Naive (fine-tuning)',
  family: 'baseline',
  description:
    'Trains on each experience in turn with no protection against forgetting; the optimizer state carries over (set training.resetOptimizer to start each experience fresh). The lower bound every method should beat.',
  params: {},
  scenarios: ALL_SCENARIOS,
  online: true,
  create: (run, params) => new Naive(run, params),
});

registerStrategy({
  id: 'joint',
  name: 'Joint (offline)',
  family: 'baseline',
  description:
    'One model trained once on the union of all experiences with the same epochs (or, with a fixed number of iterations per experience, iterations x experiences steps); not continual. Every row of its accuracy matrix is the joint model\'s accuracy, so BWT and forgetting are 0: it is the upper bound.',
  params: {},
  scenarios: ALL_SCENARIOS,
  online: false,
  create: (run, params) => new Joint(run, params),
});

registerStrategy({
  id: 'cumulative',
  name: 'Cumulative',
  family: 'baseline',
  description:
    'At experience t trains on the union of experiences 1..t, continuing from the current weights (Avalanche\'s Cumulative). Costly, but a strong reference for what rehearsal with unlimited memory reaches.',
  params: {},
  scenarios: ALL_SCENARIOS,
  online: false,
  create: (run, params) => new Cumulative(run, params),
});

registerStrategy({
  id: 'ensemble',
  name: 'Ensemble (separate networks)',
  family: 'baseline',
  description:
    'A separate network per experience. Task-IL routes each sample to its task\'s network. Class-IL (our choice): every member gives a softmax over its own classes and the class with the highest probability wins. Parameters grow linearly with experiences.',
  paper: { authors: 'G. M. van de Ven, T. Tuytelaars, A. S. Tolias', title: 'Three types of incremental learning', venue: 'Nature Machine Intelligence', year: 2022 },
  params: {},
  scenarios: ALL_SCENARIOS,
  online: false,
  create: (run, params) => new Ensemble(run, params),
});
