/**
 * Scenarios cut a dataset into a stream of experiences (Avalanche vocabulary).
 * Experiences never copy the dataset: each holds indices into the base split and,
 * for domain-IL, a per-experience pixel transform applied when a batch is filled.
 */
import type { DataSplit, Dataset } from './types.ts';
import type { ScenarioSpec, ScenarioType } from '../spec/experiment.ts';
import { Rng } from '../rng.ts';

/** Maps one input sample (HWC floats) to its transformed copy. */
export interface SampleTransform {
  readonly kind: 'permuted' | 'rotated';
  apply(source: Float32Array, target: Float32Array): void;
  /** For the run record: the permutation seed or the angle. */
  describe(): Record<string, unknown>;
}

/** A view of samples: positions into a base split, with an optional transform. */
export interface SampleSet {
  base: DataSplit;
  indices: Int32Array;
  transform?: SampleTransform;
}

export interface Experience {
  index: number;
  /** Task id (= index for split and domain scenarios); only revealed at test time in task-IL. */
  taskId: number;
  /** Classes present in this experience (global ids). */
  classes: number[];
  train: SampleSet;
  test: SampleSet;
}

export interface Scenario {
  type: ScenarioType;
  numClasses: number;
  inputShape: [number, number, number];
  inputSize: number;
  /** True when task ids are known at test time (task-IL): task-IL accuracy is reported too. */
  taskLabels: boolean;
  classOrder: number[];
  experiences: Experience[];
  /** Online streams: mini-experience size (train side), evaluation stays per experience. */
  onlineExperienceSize?: number;
  /** Facts for the run record (class order, transforms). */
  describe(): Record<string, unknown>;
}

export function sampleCount(set: SampleSet): number {
  return set.indices.length;
}

/**
 * Copies samples `positions[start..end)` of `set` into `x` (sample-major) and their labels into `y`.
 * Batches are built from typed arrays, never with tf.slice (slow on wasm).
 */
export function fillBatch(set: SampleSet, positions: ArrayLike<number>, start: number, end: number, x: Float32Array, y: Int32Array, offset = 0): void {
  const size = set.base.x.length / Math.max(1, set.base.count);
  for (let k = start; k < end; k++) {
    const index = set.indices[positions[k]];
    const row = offset + k - start;
    const source = set.base.x.subarray(index * size, (index + 1) * size);
    const target = x.subarray(row * size, (row + 1) * size);
    if (set.transform) set.transform.apply(source, target);
    else target.set(source);
    y[row] = set.base.y[index];
  }
}

/** Builds the scenario of `spec` over `dataset`; `seed` fixes class order and subsampling. */
export function buildScenario(dataset: Dataset, spec: ScenarioSpec, seed: number): Scenario {
  const rng = new Rng(`${seed}:scenario`);
  const [height, width, channels] = dataset.inputShape;
  const inputSize = height * width * channels;
  const byClassTrain = groupByClass(dataset.train, dataset.numClasses);
  const byClassTest = groupByClass(dataset.test, dataset.numClasses);
  const experiences: Experience[] = [];
  let classOrder = Array.from({ length: dataset.numClasses }, (_, i) => i);

  const subsample = (indices: Int32Array, limit: number | undefined): Int32Array => {
    if (limit === undefined || limit >= indices.length) return indices;
    const picked = rng.sample(indices.length, limit);
    const out = new Int32Array(limit);
    for (let i = 0; i < limit; i++) out[i] = indices[picked[i]];
    return out.sort();
  };

  if (spec.type === 'domain-incremental') {
    const all = (count: number): Int32Array => Int32Array.from({ length: count }, (_, i) => i);
    for (let t = 0; t < spec.experiences; t++) {
      const transform = spec.transform === 'rotated'
        ? rotation(spec.angles?.[t] ?? (180 * t) / spec.experiences, dataset.inputShape)
        : permutation(rng.nextUint32(), inputSize);
      experiences.push({
        index: t,
        taskId: t,
        classes: classOrder.slice(),
        train: { base: dataset.train, indices: subsample(all(dataset.train.count), spec.trainSamplesPerExperience), transform },
        test: { base: dataset.test, indices: subsample(all(dataset.test.count), spec.testSamplesPerExperience), transform },
      });
    }
  } else {
    if (spec.classOrder) classOrder = spec.classOrder.slice();
    else if (spec.shuffleClasses) classOrder = Array.from(rng.permutation(dataset.numClasses));
    const per = spec.classesPerExperience ?? Math.floor(dataset.numClasses / spec.experiences);
    for (let t = 0; t < spec.experiences; t++) {
      const classes = classOrder.slice(t * per, (t + 1) * per);
      const pick = (groups: number[][]): Int32Array => Int32Array.from(classes.flatMap((c) => groups[c])).sort();
      experiences.push({
        index: t,
        taskId: t,
        classes,
        train: { base: dataset.train, indices: subsample(pick(byClassTrain), spec.trainSamplesPerExperience) },
        test: { base: dataset.test, indices: subsample(pick(byClassTest), spec.testSamplesPerExperience) },
      });
    }
  }
  return {
    type: spec.type,
    numClasses: dataset.numClasses,
    inputShape: dataset.inputShape,
    inputSize,
    taskLabels: spec.type === 'task-incremental',
    classOrder,
    experiences,
    ...(spec.online ? { onlineExperienceSize: spec.online.experienceSize } : {}),
    describe: () => ({
      type: spec.type,
      experiences: experiences.length,
      classOrder,
      experienceClasses: experiences.map((e) => e.classes),
      trainSamples: experiences.map((e) => e.train.indices.length),
      testSamples: experiences.map((e) => e.test.indices.length),
      ...(spec.transform ? { transform: spec.transform, transforms: experiences.map((e) => e.train.transform?.describe()) } : {}),
      ...(spec.online ? { online: spec.online } : {}),
    }),
  };
}

function groupByClass(split: DataSplit, numClasses: number): number[][] {
  const groups: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < split.count; i++) groups[split.y[i]].push(i);
  return groups;
}

/** A fixed pixel permutation (Permuted MNIST): output[i] = input[perm[i]]. */
export function permutation(seed: number, size: number): SampleTransform {
  const order = new Rng(seed).permutation(size);
  return {
    kind: 'permuted',
    apply(source, target) {
      for (let i = 0; i < size; i++) target[i] = source[order[i]];
    },
    describe: () => ({ kind: 'permuted', seed }),
  };
}

/**
 * Rotation about the image centre by `degrees` with bilinear sampling (zeros outside).
 * The source coordinates and weights of every output pixel are computed once per experience.
 */
export function rotation(degrees: number, shape: [number, number, number]): SampleTransform {
  const [height, width, channels] = shape;
  const pixels = height * width;
  const sourceIndex = new Int32Array(pixels * 4).fill(-1);
  const weight = new Float32Array(pixels * 4);
  const radians = (degrees * Math.PI) / 180;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      // Inverse mapping: where does this output pixel come from in the input?
      const dy = row - cy;
      const dx = col - cx;
      const sy = cos * dy - sin * dx + cy;
      const sx = sin * dy + cos * dx + cx;
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const fy = sy - y0;
      const fx = sx - x0;
      const corners: [number, number, number][] = [
        [y0, x0, (1 - fy) * (1 - fx)],
        [y0, x0 + 1, (1 - fy) * fx],
        [y0 + 1, x0, fy * (1 - fx)],
        [y0 + 1, x0 + 1, fy * fx],
      ];
      const base = (row * width + col) * 4;
      corners.forEach(([y, x, w], k) => {
        if (y >= 0 && y < height && x >= 0 && x < width && w > 0) {
          sourceIndex[base + k] = y * width + x;
          weight[base + k] = w;
        }
      });
    }
  }
  return {
    kind: 'rotated',
    apply(source, target) {
      for (let p = 0; p < pixels; p++) {
        for (let c = 0; c < channels; c++) {
          let value = 0;
          for (let k = 0; k < 4; k++) {
            const s = sourceIndex[p * 4 + k];
            if (s >= 0) value += weight[p * 4 + k] * source[s * channels + c];
          }
          target[p * channels + c] = value;
        }
      }
    },
    describe: () => ({ kind: 'rotated', degrees }),
  };
}
