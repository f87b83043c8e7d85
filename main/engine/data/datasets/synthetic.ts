/**
 * `synthetic`: a tiny generated dataset for tests and smoke runs. Each of the
 * 10 classes has a fixed 8x8 binary-ish prototype; a sample is its prototype
 * plus noise, clipped to [0, 1]. Generated from a fixed seed with integer and
 * basic float arithmetic only (no Math.sin/log/exp, whose last bits may vary
 * between engines), so every call on every machine gives the same bytes.
 */
import type { Dataset, DatasetEntry, DataSplit } from '../types.ts';

const SIDE = 8;
const INPUT_SIZE = SIDE * SIDE;
const NUM_CLASSES = 10;
/** Prototypes differ in at least this many pixels, so classes never nearly coincide. */
const MIN_PROTOTYPE_DISTANCE = 16;

/** Sizes and seed of a generated synthetic dataset. */
export interface SyntheticOptions {
  trainPerClass?: number;
  testPerClass?: number;
  seed?: number;
  /** Noise standard deviation per pixel before clipping (default 0.25). */
  noise?: number;
}

/** The default seed; changing it changes every synthetic benchmark result. */
export const SYNTHETIC_SEED = 0x5eed_c1a5;

/**
 * mulberry32: a small 32-bit seeded PRNG, uniform in [0, 1). Good enough for
 * generating test data; not for cryptography.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 10 class prototypes, `INPUT_SIZE` values each in {0.15, 0.85}. */
function makePrototypes(random: () => number): Float32Array[] {
  const prototypes: Float32Array[] = [];
  while (prototypes.length < NUM_CLASSES) {
    const candidate = Float32Array.from({ length: INPUT_SIZE }, () => (random() < 0.5 ? 0.15 : 0.85));
    const farEnough = prototypes.every((other) => candidate.reduce((count, value, index) => count + (value !== other[index] ? 1 : 0), 0) >= MIN_PROTOTYPE_DISTANCE);
    if (farEnough) prototypes.push(candidate);
  }
  return prototypes;
}

function makeSplit(prototypes: Float32Array[], perClass: number, noise: number, random: () => number): DataSplit {
  const count = perClass * NUM_CLASSES;
  const x = new Float32Array(count * INPUT_SIZE);
  const y = new Int32Array(count);
  // The sum of three uniforms is a cheap bell-shaped noise with variance 3/12 = 1/4.
  const scale = noise * 2;
  let sample = 0;
  for (let label = 0; label < NUM_CLASSES; label++) {
    for (let repeat = 0; repeat < perClass; repeat++, sample++) {
      y[sample] = label;
      for (let pixel = 0; pixel < INPUT_SIZE; pixel++) {
        const value = prototypes[label][pixel] + (random() + random() + random() - 1.5) * scale;
        x[sample * INPUT_SIZE + pixel] = value < 0 ? 0 : value > 1 ? 1 : value;
      }
    }
  }
  return { x, y, count };
}

/**
 * Generates the synthetic dataset (by default 100 train + 30 test samples per
 * class). Samples are grouped by class. Deterministic for given options.
 */
export function generateSynthetic(options: SyntheticOptions = {}): Dataset {
  const { trainPerClass = 100, testPerClass = 30, seed = SYNTHETIC_SEED, noise = 0.25 } = options;
  const random = mulberry32(seed);
  const prototypes = makePrototypes(random);
  return {
    id: 'synthetic',
    name: 'Synthetic 8x8',
    inputShape: [SIDE, SIDE, 1],
    numClasses: NUM_CLASSES,
    classNames: Array.from({ length: NUM_CLASSES }, (_, label) => `class ${label}`),
    train: makeSplit(prototypes, trainPerClass, noise, random),
    test: makeSplit(prototypes, testPerClass, noise, random),
    source: `generated (seed ${seed}, noise ${noise})`,
  };
}

/** Registry entry for `synthetic`: small, fast and needs no files. */
export const syntheticEntry: DatasetEntry = {
  id: 'synthetic',
  name: 'Synthetic 8x8',
  description: '10 classes of noisy 8x8 prototype patterns, 100 train + 30 test per class, generated from a fixed seed (for tests and quick checks).',
  inputShape: [SIDE, SIDE, 1],
  numClasses: NUM_CLASSES,
  bundled: true,
  load: async () => generateSynthetic(),
};
