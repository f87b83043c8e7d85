/**
 * Evaluation after each experience: accuracy on every test experience, class-IL
 * (argmax over all classes) and task-IL (argmax over the experience's own classes,
 * Mammoth's mask_classes) from the same predictions, plus per-class counts and the
 * confusion matrix.
 */
import * as tf from '@tensorflow/tfjs';
import { fillBatch, type Experience, type Scenario } from '../data/scenario.ts';

export interface ExperienceEvaluation {
  accuracy: number;
  taskAccuracy: number;
  samples: number;
}

export interface EvaluationResult {
  /** One entry per test experience. */
  experiences: ExperienceEvaluation[];
  /** correct[c], total[c] per global class (class-IL). */
  correctByClass: number[];
  totalByClass: number[];
  /** confusion[true][predicted], class-IL. */
  confusion: number[][];
}

/** Something that scores samples over all classes. */
export type Predictor = (x: tf.Tensor2D, taskId: number) => tf.Tensor2D;

export async function evaluate(predict: Predictor, scenario: Scenario, batchSize: number, experiences: Experience[] = scenario.experiences): Promise<EvaluationResult> {
  const numClasses = scenario.numClasses;
  const correctByClass = new Array<number>(numClasses).fill(0);
  const totalByClass = new Array<number>(numClasses).fill(0);
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  const results: ExperienceEvaluation[] = [];
  for (const experience of experiences) {
    const count = experience.test.indices.length;
    const positions = Int32Array.from({ length: count }, (_, i) => i);
    const inTask = new Uint8Array(numClasses);
    for (const c of experience.classes) inTask[c] = 1;
    let correct = 0;
    let taskCorrect = 0;
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(start + batchSize, count);
      const size = end - start;
      const x = new Float32Array(size * scenario.inputSize);
      const y = new Int32Array(size);
      fillBatch(experience.test, positions, start, end, x, y);
      const scores = tf.tidy(() => predict(tf.tensor2d(x, [size, scenario.inputSize]), experience.taskId));
      const values = (await scores.data()) as Float32Array;
      scores.dispose();
      for (let i = 0; i < size; i++) {
        let best = 0;
        let bestTask = -1;
        for (let c = 0; c < numClasses; c++) {
          const v = values[i * numClasses + c];
          if (v > values[i * numClasses + best]) best = c;
          if (inTask[c] && (bestTask < 0 || v > values[i * numClasses + bestTask])) bestTask = c;
        }
        const label = y[i];
        if (best === label) correct++;
        if (bestTask === label) taskCorrect++;
        totalByClass[label]++;
        if (best === label) correctByClass[label]++;
        confusion[label][best]++;
      }
    }
    results.push({ accuracy: count ? correct / count : 0, taskAccuracy: count ? taskCorrect / count : 0, samples: count });
  }
  return { experiences: results, correctByClass, totalByClass, confusion };
}
