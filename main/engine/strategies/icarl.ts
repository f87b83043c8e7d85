/**
 * iCaRL: S.-A. Rebuffi, A. Kolesnikov, G. Sperl, C. H. Lampert, "iCaRL: Incremental Classifier and
 * Representation Learning", CVPR 2017. References: Avalanche training/supervised/icarl.py and
 * training/losses.py (ICaRLLossPlugin); Mammoth models/icarl.py.
 *
 * - Exemplars: after each experience, m = floor(K / seen classes); every old class keeps the
 *   first m of its exemplars (they are stored in herding order, so this is the paper's
 *   ReduceExemplarSet); every new class gets m exemplars chosen by herding on L2-normalised
 *   features (Network.features): the k-th exemplar is the sample that brings the mean of the
 *   chosen ones closest to the class mean.
 * - Training data: the experience's samples plus all exemplars.
 * - Loss: sigmoid binary cross-entropy over the classes seen so far. Targets: one-hot for the
 *   experience's new classes; for old classes, the previous model's sigmoid outputs (distillation),
 *   for every sample, exemplars included. The previous model is a frozen copy taken when the
 *   experience starts.
 * - Prediction: nearest mean of exemplars. Each class mean is the mean of its exemplars'
 *   normalised features, renormalised (the paper); the score of class y is -||φ(x)/|φ(x)| - μ_y||²,
 *   classes without exemplars score -1e9.
 *
 * Choices where references differ:
 * - The BCE runs over the seen classes only (the paper, Mammoth); Avalanche's loss also covers
 *   outputs of classes not yet seen (target 0).
 * - No flipped-image augmentation of the class means (the paper adds flips on images); inputs are
 *   used as they are.
 * - The network always has one output over all classes (the paper's), whatever `model.head` says:
 *   the sigmoid loss and the nearest-mean classifier need one output space. In task-IL the task
 *   id then masks the classes at test time (task-IL accuracy of the same predictions).
 * - K (memorySize) defaults to 2000, the paper's value.
 */
import * as tf from '@tensorflow/tfjs';
import type { Experience } from '../data/scenario.ts';
import { Network } from '../models/network.ts';
import { Rng } from '../rng.ts';
import { Strategy, loadNetworkState, networkState, type RunContext, type StepOutputs } from '../training/strategy.ts';
import { TrainingData, type Batch } from '../training/data.ts';
import type { PluginCost } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import type { ParamValues } from '../spec/schema.ts';
import { registerStrategy } from './catalogue.ts';
import { SampleMemory } from './memory.ts';
import { memorySizeParam } from './replay.ts';

/** Score of classes that have no exemplars (never predicted while another class has some). */
const NO_CLASS_SCORE = -1e9;

/** Divides each row (of `width` floats) by its L2 norm, in place; zero rows stay zero. */
export function normalizeRows(values: Float32Array, width: number): Float32Array {
  for (let start = 0; start < values.length; start += width) {
    let sum = 0;
    for (let d = 0; d < width; d++) sum += values[start + d] * values[start + d];
    const norm = Math.sqrt(sum);
    if (norm > 1e-12) for (let d = 0; d < width; d++) values[start + d] /= norm;
  }
  return values;
}

/**
 * Herding (iCaRL's ConstructExemplarSet): `features` holds n rows of `width` floats (already
 * normalised). Returns the indices of min(m, n) distinct rows in the order chosen: the k-th is
 * argmin_i ||μ - (f_i + Σ_{j<k} f_{p_j}) / k|| over rows not yet chosen (lowest index on ties),
 * with μ the mean of all rows.
 */
export function herding(features: Float32Array, width: number, m: number): Int32Array {
  const n = features.length / width;
  const mean = new Float64Array(width);
  for (let i = 0; i < n; i++) for (let d = 0; d < width; d++) mean[d] += features[i * width + d];
  for (let d = 0; d < width; d++) mean[d] /= n;
  const running = new Float64Array(width);
  const taken = new Uint8Array(n);
  const chosen = new Int32Array(Math.min(m, n));
  for (let k = 1; k <= chosen.length; k++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      let distance = 0;
      for (let d = 0; d < width; d++) {
        const diff = mean[d] - (running[d] + features[i * width + d]) / k;
        distance += diff * diff;
      }
      if (distance < bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    chosen[k - 1] = best;
    taken[best] = 1;
    for (let d = 0; d < width; d++) running[d] += features[best * width + d];
  }
  return chosen;
}

/** Numerically stable mean binary cross-entropy with logits: max(z,0) - z t + log(1 + e^-|z|). */
function sigmoidCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const positive = tf.relu(logits);
  const softplus = tf.log1p(tf.exp(tf.neg(tf.abs(logits))));
  return tf.mean(tf.add(tf.sub(positive, tf.mul(logits, targets)), softplus)) as tf.Scalar;
}

export class ICaRL extends Strategy {
  readonly memory: SampleMemory;
  /** The model as it was when the current experience started (distillation targets). */
  private teacher: Network | undefined;
  /** Classes in order of first appearance, and those seen before the current experience. */
  private seenClasses: number[] = [];
  private oldClasses: number[] = [];
  private currentExperience = -1;
  /** Nearest-mean classifier: numClasses x featureSize means and which classes have one. */
  private classMeans: Float32Array;
  private hasMean: Uint8Array;

  constructor(run: RunContext, params: ParamValues) {
    super(run, params);
    this.memory = new SampleMemory({ capacity: params.memorySize as number, inputSize: this.inputSize, policy: 'manual' });
    this.classMeans = new Float32Array(this.scenario.numClasses * this.model.featureSize);
    this.hasMean = new Uint8Array(this.scenario.numClasses);
  }

  /** One output over all classes, whatever the spec's head (see the file comment). */
  override createNetwork(label: string): Network {
    return new Network({ ...this.run.spec.model, head: 'single' }, { inputShape: this.scenario.inputShape, numClasses: this.scenario.numClasses }, new Rng(`${this.run.seed}:init:${label}`));
  }

  override async train(experience: Experience): Promise<void> {
    if (experience.index !== this.currentExperience) {
      this.currentExperience = experience.index;
      this.oldClasses = this.seenClasses.slice();
      if (this.oldClasses.length > 0) {
        this.teacher ??= this.createNetwork('teacher');
        this.teacher.copyFrom(this.model);
      }
      for (const c of experience.classes) if (!this.seenClasses.includes(c)) this.seenClasses.push(c);
    }
    const before = this.trainedSamples;
    const exemplars = this.memory.size;
    await super.train(experience);
    // Exemplars' share of the trained samples: the rehearsal's extra forward and backward passes.
    const rehearsed = Math.round(((this.trainedSamples - before) * exemplars) / (exemplars + experience.train.indices.length));
    this.extraCost.extraForwardSamples += rehearsed;
    this.extraCost.extraBackwardSamples += rehearsed;
    this.updateExemplars(experience);
    this.computeClassMeans();
  }

  /** The experience's samples plus every exemplar. */
  override trainingData(experience: Experience): TrainingData {
    const own = TrainingData.ofExperience(experience, this.inputSize);
    if (this.memory.size === 0) return own;
    return new TrainingData([...own.parts, ...this.memory.toTrainingData().parts], this.inputSize);
  }

  /** Sigmoid BCE over the seen classes; old classes' targets are the teacher's sigmoid outputs. */
  override classificationLoss(outputs: StepOutputs): tf.Scalar {
    const group = outputs.groups[0];
    const size = group.rows.length;
    const newClasses = this.seenClasses.filter((c) => !this.oldClasses.includes(c));
    const distil = this.teacher !== undefined && this.oldClasses.length > 0;
    const columns = distil ? [...this.oldClasses, ...newClasses] : this.seenClasses;
    const logits = tf.gather(group.logits, tf.tensor1d(columns, 'int32'), 1) as tf.Tensor2D;
    const firstNew = distil ? this.oldClasses.length : 0;
    const oneHot = new Float32Array(size * columns.length);
    for (let i = 0; i < size; i++) {
      const k = columns.indexOf(group.targets[i]);
      if (k >= firstNew) oneHot[i * columns.length + k] = 1;
    }
    let targets = tf.tensor2d(oneHot, [size, columns.length]);
    if (distil) {
      // The teacher's variables are not among those differentiated, so no gradient reaches it.
      const previous = tf.sigmoid(tf.gather(this.teacher!.forward(group.x), tf.tensor1d(this.oldClasses, 'int32'), 1));
      targets = tf.add(targets, tf.concat([previous, tf.zeros([size, newClasses.length])], 1)) as tf.Tensor2D;
      this.extraCost.extraForwardSamples += size;
    }
    return sigmoidCrossEntropy(logits, targets);
  }

  /** L2-normalised features of `batch` (size x featureSize), computed in chunks. */
  normalizedFeatures(batch: Batch): Float32Array {
    const width = this.model.featureSize;
    const out = new Float32Array(batch.size * width);
    const chunk = this.run.spec.training.evalBatchSize;
    for (let start = 0; start < batch.size; start += chunk) {
      const end = Math.min(start + chunk, batch.size);
      const values = tf.tidy(() => this.model.features(tf.tensor2d(batch.x.subarray(start * this.inputSize, end * this.inputSize), [end - start, this.inputSize])).dataSync());
      out.set(values, start * width);
    }
    this.extraCost.extraForwardSamples += batch.size;
    return normalizeRows(out, width);
  }

  /** Reduces old classes to m exemplars and picks m by herding for each new class. */
  private updateExemplars(experience: Experience): void {
    const m = Math.floor(this.memory.capacity / this.seenClasses.length);
    const keep: number[] = [];
    for (const c of this.oldClasses) keep.push(...Array.from(this.memory.slotsWhere({ label: c })).slice(0, m));
    this.memory.keep(keep);
    const set = experience.train;
    const data = TrainingData.ofExperience(experience, this.inputSize);
    for (const c of experience.classes) {
      if (this.oldClasses.includes(c)) continue;
      const positions: number[] = [];
      for (let p = 0; p < set.indices.length; p++) if (set.base.y[set.indices[p]] === c) positions.push(p);
      if (positions.length === 0) continue;
      const samples = data.batch(positions, 0, positions.length);
      const chosen = herding(this.normalizedFeatures(samples), this.model.featureSize, m);
      for (const row of chosen) {
        this.memory.append({ x: samples.x.subarray(row * this.inputSize, (row + 1) * this.inputSize), label: c, taskId: experience.taskId, experience: experience.index });
      }
    }
  }

  /** μ_y = normalise(mean of the normalised features of y's exemplars). */
  private computeClassMeans(): void {
    const width = this.model.featureSize;
    this.classMeans.fill(0);
    this.hasMean.fill(0);
    for (const c of this.memory.classes()) {
      const features = this.normalizedFeatures(this.memory.batchWhere({ label: c }));
      const n = features.length / width;
      const mean = new Float32Array(width);
      for (let i = 0; i < n; i++) for (let d = 0; d < width; d++) mean[d] += features[i * width + d] / n;
      this.classMeans.set(normalizeRows(mean, width), c * width);
      this.hasMean[c] = 1;
    }
  }

  /** Nearest mean of exemplars: -||φ(x)/|φ(x)| - μ_y||² for classes with exemplars, -1e9 otherwise. */
  override predict(x: tf.Tensor2D, taskId: number): tf.Tensor2D {
    if (!this.hasMean.some((v) => v === 1)) return super.predict(x, taskId);
    return tf.tidy(() => {
      const features = this.model.features(x) as tf.Tensor2D;
      const normalized = tf.div(features, tf.maximum(tf.norm(features, 2, 1, true), 1e-12));
      const means = tf.tensor2d(this.classMeans, [this.scenario.numClasses, this.model.featureSize]);
      const distances = tf.add(
        tf.sub(tf.sum(tf.square(normalized), 1, true), tf.mul(2, tf.matMul(normalized, means, false, true))),
        tf.sum(tf.square(means), 1).expandDims(0),
      );
      const mask = tf.tensor1d(this.hasMean, 'bool').expandDims(0).tile([x.shape[0], 1]);
      return tf.where(mask, tf.neg(distances), tf.fill(distances.shape, NO_CLASS_SCORE)) as tf.Tensor2D;
    });
  }

  /** Class means as computed after the last experience (numClasses x featureSize) and which exist. */
  exemplarMeans(): { means: Float32Array; present: Uint8Array } {
    return { means: this.classMeans.slice(), present: this.hasMean.slice() };
  }

  override cost(): PluginCost {
    const total = super.cost();
    return { ...total, bufferSamples: total.bufferSamples + this.memory.size, bufferBytes: total.bufferBytes + this.memory.bytes };
  }

  override getState(): StateTree {
    return {
      ...(super.getState() as Record<string, StateTree>),
      memory: this.memory.getState(),
      teacher: this.teacher ? networkState(this.teacher) : null,
      seenClasses: Int32Array.from(this.seenClasses),
      oldClasses: Int32Array.from(this.oldClasses),
      currentExperience: this.currentExperience,
      classMeans: this.classMeans.slice(),
      hasMean: this.hasMean.slice(),
    };
  }

  override setState(state: StateTree): void {
    super.setState(state);
    const tree = state as Record<string, StateTree>;
    this.memory.setState(tree.memory);
    if (tree.teacher) {
      this.teacher ??= this.createNetwork('teacher');
      loadNetworkState(this.teacher, tree.teacher);
    }
    this.seenClasses = Array.from(tree.seenClasses as Int32Array);
    this.oldClasses = Array.from(tree.oldClasses as Int32Array);
    this.currentExperience = tree.currentExperience as number;
    this.classMeans = (tree.classMeans as Float32Array).slice();
    this.hasMean = (tree.hasMean as Uint8Array).slice();
  }

  override dispose(): void {
    this.teacher?.dispose();
    super.dispose();
  }
}

registerStrategy({
  id: 'icarl',
  name: 'iCaRL',
  family: 'rehearsal',
  description:
    'Exemplar rehearsal for class-incremental learning: m = memorySize / seen classes exemplars per class chosen by herding on L2-normalised features; training on the experience plus exemplars with a sigmoid binary cross-entropy over the seen classes whose old-class targets are the previous model\'s outputs (distillation); prediction by the nearest mean of exemplars. Always one output over all classes.',
  paper: { authors: 'S.-A. Rebuffi, A. Kolesnikov, G. Sperl, C. H. Lampert', title: 'iCaRL: Incremental Classifier and Representation Learning', venue: 'CVPR', year: 2017 },
  params: {
    memorySize: memorySizeParam(2000, 'K: exemplars kept in total, divided equally over the seen classes.'),
  },
  scenarios: ['class-incremental', 'task-incremental'],
  online: false,
  create: (run, params) => new ICaRL(run, params),
});
