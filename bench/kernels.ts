/**
 * Training-throughput measurements per backend: an MLP 784-400-400-10 (batch 128)
 * and a small CNN on 28x28x1 (conv 3x3x32, maxpool 2, conv 3x3x64, maxpool 2,
 * dense 128, dense 10; batch 64), both with softmax cross-entropy.
 *
 * Models are written directly with tf ops over tf.variable weights and trained
 * with tf.variableGrads, as the engine does. Batches are built from Float32Array
 * subarrays with tf.tensor: tf.slice from a big tensor copies the whole source
 * out of the wasm heap on every call.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ORDER, initBackend, probeBackends, type BackendName } from '../main/engine/backend/index.ts';
import { mulberry32 } from '../main/engine/data/datasets/synthetic.ts';

/** The models {@link benchKernels} can measure. */
export type BenchModel = 'mlp' | 'cnn';

/** One measured (backend, model) pair. */
export interface BenchRow {
  backend: BackendName;
  /** BackendInfo.device, e.g. 'CPU (wasm, SIMD, 1 thread)'. */
  device: string;
  /** A short label, e.g. 'MLP 784-400-400-10'. */
  model: string;
  batchSize: number;
  optimizer: BenchOptimizer;
  /** Timed steps (after warm-up). */
  steps: number;
  /** Wall time of the timed steps. */
  seconds: number;
  samplesPerSecond: number;
  /** From the fastest single step: on a shared, busy machine closer to what the code can do. */
  peakSamplesPerSecond: number;
  /** Loss after the last step: a sanity check that training ran (NaN means it did not). */
  finalLoss: number;
}

export type BenchOptimizer = 'sgd' | 'adam';

/** Options of {@link benchKernels}; every field is optional. */
export interface BenchOptions {
  /** Backends to measure. Default: every available one except cpu (see `includeCpu`). */
  backends?: BackendName[];
  /** Also measure the pure-JS cpu backend (very slow). Default false. */
  includeCpu?: boolean;
  /** Default ['mlp', 'cnn']. */
  models?: BenchModel[];
  /** Minimum timed wall time per row, in seconds. Default 3. */
  seconds?: number;
  /** Minimum timed steps per row. Default 5. */
  minSteps?: number;
  /** Untimed steps first (kernel setup, XNNPACK operator creation, JIT). Default 3. */
  warmupSteps?: number;
  /** Default 'sgd'. */
  optimizer?: BenchOptimizer;
  /** Progress lines (skipped backends, rows as they finish). Default: silent. */
  log?: (line: string) => void;
}

interface ModelSpec {
  label: string;
  batchSize: number;
  inputShape: number[];
  init(seed: number): tf.Variable[];
  logits(x: tf.Tensor, weights: tf.Variable[]): tf.Tensor2D;
}

const NUM_CLASSES = 10;
const PIXELS = 28 * 28;

/** He-normal initialisation, seeded so that every backend starts from the same weights. */
function heNormal(shape: number[], fanIn: number, seed: number, name: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed), true, name));
}

function zeros(shape: number[], name: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(shape), true, name));
}

const MODELS: Record<BenchModel, ModelSpec> = {
  mlp: {
    label: 'MLP 784-400-400-10',
    batchSize: 128,
    inputShape: [PIXELS],
    init: (seed) => [
      heNormal([PIXELS, 400], PIXELS, seed, 'w1'), zeros([400], 'b1'),
      heNormal([400, 400], 400, seed + 1, 'w2'), zeros([400], 'b2'),
      heNormal([400, NUM_CLASSES], 400, seed + 2, 'w3'), zeros([NUM_CLASSES], 'b3'),
    ],
    logits: (x, [w1, b1, w2, b2, w3, b3]) => {
      const h1 = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1 as tf.Tensor2D), b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2 as tf.Tensor2D), b2));
      return tf.add(tf.matMul(h2, w3 as tf.Tensor2D), b3);
    },
  },
  cnn: {
    label: 'CNN 28x28 c32-p-c64-p-128-10',
    batchSize: 64,
    inputShape: [28, 28, 1],
    // 28 -> conv 26 -> pool 13 -> conv 11 -> pool 5: 5 * 5 * 64 features into the dense layer.
    init: (seed) => [
      heNormal([3, 3, 1, 32], 9, seed, 'c1'), zeros([32], 'cb1'),
      heNormal([3, 3, 32, 64], 9 * 32, seed + 1, 'c2'), zeros([64], 'cb2'),
      heNormal([5 * 5 * 64, 128], 5 * 5 * 64, seed + 2, 'd1'), zeros([128], 'db1'),
      heNormal([128, NUM_CLASSES], 128, seed + 3, 'd2'), zeros([NUM_CLASSES], 'db2'),
    ],
    logits: (x, [c1, cb1, c2, cb2, d1, db1, d2, db2]) => {
      const a1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, c1 as tf.Tensor4D, 1, 'valid'), cb1)) as tf.Tensor4D, 2, 2, 'valid');
      const a2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(a1, c2 as tf.Tensor4D, 1, 'valid'), cb2)) as tf.Tensor4D, 2, 2, 'valid');
      const flat = tf.reshape(a2, [a2.shape[0], 5 * 5 * 64]);
      const h = tf.relu(tf.add(tf.matMul(flat, d1 as tf.Tensor2D), db1));
      return tf.add(tf.matMul(h, d2 as tf.Tensor2D), db2);
    },
  },
};


/** Synthetic MNIST-sized data: `count` images in [0, 1] with one-hot labels. */
function syntheticData(count: number, seed: number): { x: Float32Array; y: Float32Array } {
  const next = mulberry32(seed);
  const x = new Float32Array(count * PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = next();
  const y = new Float32Array(count * NUM_CLASSES);
  for (let i = 0; i < count; i++) y[i * NUM_CLASSES + Math.floor(next() * NUM_CLASSES)] = 1;
  return { x, y };
}

/** A trainer closure for one model: each call runs one optimiser step on the next batch. */
function makeTrainer(spec: ModelSpec, optimizerName: BenchOptimizer, data: { x: Float32Array; y: Float32Array }) {
  const weights = spec.init(1234);
  const learningRate = optimizerName === 'adam' ? 1e-3 : 0.05;
  const optimizer = optimizerName === 'adam' ? tf.train.adam(learningRate) : tf.train.sgd(learningRate);
  const count = data.y.length / NUM_CLASSES;
  const batchesPerEpoch = Math.floor(count / spec.batchSize);
  let batchIndex = 0;

  const step = (): number => {
    const start = (batchIndex++ % batchesPerEpoch) * spec.batchSize;
    const xs = tf.tensor(data.x.subarray(start * PIXELS, (start + spec.batchSize) * PIXELS), [spec.batchSize, ...spec.inputShape]);
    const ys = tf.tensor2d(data.y.subarray(start * NUM_CLASSES, (start + spec.batchSize) * NUM_CLASSES), [spec.batchSize, NUM_CLASSES]);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, spec.logits(xs, weights)) as tf.Scalar, weights);
    optimizer.applyGradients(grads as Record<string, tf.Variable>);
    // Reading the loss waits for the step: libtensorflow may run kernels asynchronously.
    const loss = value.dataSync()[0];
    tf.dispose([xs, ys, value, ...Object.values(grads)]);
    return loss;
  };
  const dispose = (): void => {
    optimizer.dispose();
    tf.dispose(weights);
  };
  return { step, dispose };
}

/**
 * Measures training samples/s for each backend and model.
 *
 * @returns one row per (backend, model) that ran; backends that do not load are
 *   skipped (and logged). Throws if a training step leaks tensors.
 */
export async function benchKernels(options: BenchOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? (() => {});
  const models = options.models ?? ['mlp', 'cnn'];
  const optimizer = options.optimizer ?? 'sgd';
  const minSeconds = options.seconds ?? 3;
  const minSteps = options.minSteps ?? 5;
  const warmupSteps = options.warmupSteps ?? 3;
  const cpuSteps = { warmup: Math.min(warmupSteps, 1), min: Math.min(minSteps, 2) };

  const requested: BackendName[] = [];
  if (options.backends) {
    requested.push(...options.backends);
  } else {
    for (const probe of await probeBackends()) {
      if (probe.name === 'cpu' && !options.includeCpu) continue;
      if (probe.available) requested.push(probe.name);
      else log(`skipping ${probe.name}: ${probe.reason}`);
    }
  }
  const backends = BACKEND_ORDER.filter((name) => requested.includes(name));

  const data = syntheticData(2048, 42);
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    let device: string;
    try {
      device = (await initBackend(backend)).device;
    } catch (error) {
      log(`skipping ${backend}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    for (const model of models) {
      const spec = MODELS[model];
      const trainer = makeTrainer(spec, optimizer, data);
      try {
        // The pure-JS cpu backend takes seconds per CNN step: fewer steps there.
        const slow = backend === 'cpu';
        for (let i = 0; i < (slow ? cpuSteps.warmup : warmupSteps); i++) trainer.step();
        const tensorsBefore = tf.memory().numTensors;
        let steps = 0;
        let loss = NaN;
        let fastestStep = Infinity;
        const started = performance.now();
        let elapsed = 0;
        while (steps < (slow ? cpuSteps.min : minSteps) || elapsed < minSeconds * 1000) {
          const stepStarted = performance.now();
          loss = trainer.step();
          steps++;
          const now = performance.now();
          fastestStep = Math.min(fastestStep, now - stepStarted);
          elapsed = now - started;
        }
        const leaked = tf.memory().numTensors - tensorsBefore;
        if (leaked !== 0) throw new Error(`${spec.label} on ${backend}: ${leaked} tensors leaked over ${steps} steps`);
        const row: BenchRow = {
          backend,
          device,
          model: spec.label,
          batchSize: spec.batchSize,
          optimizer,
          steps,
          seconds: elapsed / 1000,
          samplesPerSecond: (steps * spec.batchSize) / (elapsed / 1000),
          peakSamplesPerSecond: spec.batchSize / (fastestStep / 1000),
          finalLoss: loss,
        };
        rows.push(row);
        log(`${backend} ${spec.label}: ${Math.round(row.samplesPerSecond)} samples/s (${steps} steps, loss ${loss.toFixed(3)})`);
      } finally {
        trainer.dispose();
      }
    }
  }
  return rows;
}
