/**
 * LwF: Learning without Forgetting (Li & Hoiem 2016/2018, "Learning without Forgetting", ECCV /
 * TPAMI). References: Avalanche `training/regularization.py` (LearningWithoutForgetting),
 * Mammoth `models/lwf.py`.
 *
 * After each experience the model is copied as a frozen teacher. While training later
 * experiences the loss gets α · KL(softmax(teacher/T) ‖ softmax(student/T)) on the current batch,
 * over the previously seen classes only (single head), or summed over every head the teacher has
 * (multi-head, task-IL).
 *
 * Choices where the references disagree:
 * - α = 1 and T = 2 (the paper's λ_o = 1, T = 2; Avalanche's defaults). Mammoth uses a
 *   temperature-smoothed cross-entropy and a per-dataset α.
 * - The KL is averaged over the batch and not multiplied by T² (Avalanche; Hinton et al. scale
 *   by T², the LwF paper does not).
 * - No warm-up of the new head before training (Mammoth does one; Avalanche does not).
 * - Multi-head: like Avalanche's forward_all_tasks, the student's trunk is run a second time in
 *   training mode to get its outputs on the old heads.
 */
import * as tf from '@tensorflow/tfjs';
import type { Experience } from '../data/scenario.ts';
import type { Network } from '../models/network.ts';
import { Rng } from '../rng.ts';
import type { Plugin } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import { loadNetworkState, networkState, Strategy, type StepOutputs } from '../training/strategy.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';

export interface LwfOptions {
  alpha: number;
  temperature: number;
}

/**
 * KL(softmax(teacher/T) ‖ softmax(student/T)) summed over columns, averaged over rows.
 * No tidy inside: it runs in the gradient tape, whose tidy disposes the intermediates.
 */
export function distillationLoss(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature: number): tf.Scalar {
  const logStudent = tf.logSoftmax(tf.div(student, temperature));
  const logTeacher = tf.logSoftmax(tf.div(teacher, temperature));
  const kl = tf.sum(tf.mul(tf.exp(logTeacher), tf.sub(logTeacher, logStudent)));
  return tf.div(kl, student.shape[0]) as tf.Scalar;
}

export class LwfPlugin implements Plugin {
  readonly name = 'lwf';
  private teacher: Network | undefined;
  /** Single-head models: the global classes seen before the current experience, ascending. */
  private seenClasses: number[] = [];

  constructor(readonly options: LwfOptions) {}

  lossTerm(strategy: Strategy, outputs: StepOutputs): tf.Scalar | undefined {
    const teacher = this.teacher;
    if (!teacher || this.options.alpha === 0) return undefined;
    const terms: tf.Scalar[] = [];
    let extraForward = 0;
    let extraBackward = 0;
    for (const group of outputs.groups) {
      const rows = group.rows.length;
      if (group.taskId === undefined) {
        // One head over all classes: distil on the columns of the classes seen so far.
        if (this.seenClasses.length === 0) continue;
        const columns = tf.tensor1d(this.seenClasses.map((c) => group.columnClasses.indexOf(c)), 'int32');
        const teacherLogits = teacher.forward(group.x, { training: false }) as tf.Tensor2D;
        terms.push(distillationLoss(tf.gather(group.logits, columns, 1), tf.gather(teacherLogits, columns, 1), this.options.temperature));
        extraForward += rows;
      } else {
        // One head per task: distil every head the teacher has, on this group's inputs.
        const studentFeatures = strategy.model.features(group.x, { training: true });
        const teacherFeatures = teacher.features(group.x, { training: false });
        for (const taskId of teacher.tasks()) {
          const student = strategy.model.head(studentFeatures, { taskId }) as tf.Tensor2D;
          const target = teacher.head(teacherFeatures, { taskId }) as tf.Tensor2D;
          terms.push(distillationLoss(student, target, this.options.temperature));
        }
        extraForward += 2 * rows;
        extraBackward += rows;
      }
    }
    strategy.extraCost.extraForwardSamples += extraForward;
    strategy.extraCost.extraBackwardSamples += extraBackward;
    return terms.length ? (tf.mul(tf.addN(terms), this.options.alpha) as tf.Scalar) : undefined;
  }

  afterTrainingExp(strategy: Strategy, experience: Experience): void {
    this.seenClasses = [...new Set([...this.seenClasses, ...experience.classes])].sort((a, b) => a - b);
    this.teacher?.dispose();
    this.teacher = strategy.model.clone(new Rng(`${strategy.run.seed}:init:lwf-teacher`));
  }

  getState(): StateTree {
    return { seenClasses: Int32Array.from(this.seenClasses), teacher: this.teacher ? networkState(this.teacher) : null };
  }

  setState(state: StateTree, strategy: Strategy): void {
    const tree = state as { seenClasses: Int32Array; teacher: StateTree };
    this.seenClasses = Array.from(tree.seenClasses);
    this.teacher?.dispose();
    this.teacher = undefined;
    if (tree.teacher !== null) {
      const teacher = strategy.createNetwork('lwf-teacher');
      loadNetworkState(teacher, tree.teacher);
      this.teacher = teacher;
    }
  }

  dispose(): void {
    this.teacher?.dispose();
    this.teacher = undefined;
  }
}

registerStrategy({
  id: 'lwf',
  name: 'LwF (Learning without Forgetting)',
  family: 'regularisation',
  description:
    'After each experience the model is copied as a frozen teacher; while learning later experiences the loss gets α · KL(teacher ‖ student) at temperature T on the current inputs, over the previously seen classes (single head) or every old head (multi-head). Stores no data; one extra forward pass per step (two for multi-head models).',
  paper: { authors: 'Z. Li, D. Hoiem', title: 'Learning without Forgetting', venue: 'ECCV', year: 2016, url: 'https://arxiv.org/abs/1606.09282' },
  params: {
    alpha: { type: 'number', default: 1, minimum: 0, logScale: true, description: 'Weight α of the distillation term' },
    temperature: { type: 'number', default: 2, minimum: 0, exclusiveMinimum: true, description: 'Softmax temperature T of teacher and student' },
  },
  scenarios: ALL_SCENARIOS,
  online: false,
  create: (run, params) => new Strategy(run, params).use(new LwfPlugin({ alpha: params.alpha as number, temperature: params.temperature as number })),
});
