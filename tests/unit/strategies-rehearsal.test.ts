// Rehearsal strategies (Replay, ExStream, GDumb, MIR, iCaRL): each does what its paper says.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { runOne, spec, runAndResume, buildStrategy, expectFlatTensorsAcrossSteps } from '../helpers/engine.ts';
import { packState, unpackState } from '../../main/engine/index.ts';
import { TrainingData, type Batch } from '../../main/engine/training/data.ts';
import { Rng } from '../../main/engine/rng.ts';
import { ExStreamBuffer } from '../../main/engine/strategies/exstream.ts';
import type { GDumb } from '../../main/engine/strategies/gdumb.ts';
import type { Mir } from '../../main/engine/strategies/mir.ts';
import type { ICaRL } from '../../main/engine/strategies/icarl.ts';
import { herding, normalizeRows } from '../../main/engine/strategies/icarl.ts';
import type { Replay } from '../../main/engine/strategies/replay.ts';

const synthetic = (strategies: { id: string; params?: Record<string, unknown> }[], extra: Record<string, unknown> = {}) =>
  spec({ strategies, seeds: [0], training: { epochs: 2, batchSize: 32, optimizer: { type: 'adam', lr: 0.002 } }, ...extra });

describe('rehearsal vs Naive on Split MNIST (class-IL, bundled digits, seed 0)', () => {
  // Small and fast: 1000 training samples per experience, an MLP with one hidden layer of 100.
  const experiment = spec({
    dataset: { id: 'mnist-bundled' },
    scenario: { type: 'class-incremental', experiences: 5, trainSamplesPerExperience: 1000, testSamplesPerExperience: 300 },
    model: { type: 'mlp', hidden: [100] },
    training: { epochs: 2, batchSize: 32, optimizer: { type: 'adam', lr: 0.001 } },
    strategies: [
      { id: 'naive' },
      { id: 'replay', params: { memorySize: 200 } },
      { id: 'gdumb', params: { memorySize: 200, epochs: 20 } },
      { id: 'icarl', params: { memorySize: 200 } },
      { id: 'mir', params: { memorySize: 200 } },
      { id: 'exstream', params: { perClass: 20 } },
    ],
    seeds: [0],
  });
  // Naive runs once, shared by every comparison (also when a single test is selected).
  let naiveRun: ReturnType<typeof runOne> | undefined;
  const naiveResult = () => (naiveRun ??= runOne(experiment, { strategyIndex: 0 }));

  it('Naive forgets almost everything (the reference point)', async () => {
    const naive = await naiveResult();
    expect(naive.metrics.acc).toBeLessThan(0.25);
    expect(naive.metrics.forgetting!).toBeGreaterThan(0.8);
  }, 60_000);

  for (const [index, id, minAccGain, minForgettingDrop] of [
    [1, 'replay', 0.4, 0.4],
    [2, 'gdumb', 0.4, 0.4],
    [3, 'icarl', 0.4, 0.4],
    [4, 'mir', 0.4, 0.4],
    [5, 'exstream', 0.25, 0.25],
  ] as const) {
    it(`${id} forgets far less than Naive: final ACC higher by > ${minAccGain}, forgetting lower by > ${minForgettingDrop}`, async () => {
      const naive = await naiveResult();
      const result = await runOne(experiment, { strategyIndex: index });
      expect(result.metrics.acc - naive.metrics.acc).toBeGreaterThan(minAccGain);
      expect(naive.metrics.forgetting! - result.metrics.forgetting!).toBeGreaterThan(minForgettingDrop);
      // Every old experience is still recognised after the last one (Naive: all near 0).
      expect(Math.min(...result.accuracyMatrix[4])).toBeGreaterThan(0.05);
      // The memory is reported in the run's cost.
      expect(result.cost.bufferSamples).toBe(200);
      expect(result.cost.bufferBytes).toBe(200 * 4 * (784 + 4));
      if (id !== 'gdumb') expect(result.cost.extraForwardSamples).toBeGreaterThan(0);
    }, 90_000);
  }
});

describe('ExStream buffer', () => {
  it('merges exactly the closest pair of the class into its count-weighted mean (toy points, by hand)', () => {
    const buffer = new ExStreamBuffer(3, 2, 2);
    const add = (x: number[], label = 0) => buffer.insert({ x, label, taskId: 0, experience: 0 });
    add([0, 0]);
    add([10, 0]);
    add([10.5, 0]);
    add([100, 100], 1); // another class: never merged with class 0
    // Full: the closest pair is (10,0)-(10.5,0); merged into slot 2, the new point takes slot 1.
    expect(add([5, 5])).toEqual({ slot: 1, merged: [1, 2] });
    expect(Array.from(buffer.memory.input(2))).toEqual([10.25, 0]);
    expect(buffer.memory.weight(2)).toBe(2);
    expect(Array.from(buffer.memory.input(1))).toEqual([5, 5]);
    // Now (0,0)-(5,5) at squared distance 50 is the closest pair.
    expect(add([20, 20])).toEqual({ slot: 0, merged: [0, 1] });
    expect(Array.from(buffer.memory.input(1))).toEqual([2.5, 2.5]);
    expect(buffer.memory.weight(1)).toBe(2);
    // (2.5,2.5) w2 and (10.25,0) w2 are closest (66.3 < 495 < 612.5): mean weighted by counts 2 and 2.
    expect(add([0, 1])).toEqual({ slot: 1, merged: [1, 2] });
    expect(Array.from(buffer.memory.input(2))).toEqual([6.375, 1.25]);
    expect(buffer.memory.weight(2)).toBe(4);
    // Unequal counts: (0,1) w1 and (6.375,1.25) w4 are the closest pair (40.7 < 537 < 761).
    expect(add([30, 30])).toEqual({ slot: 1, merged: [1, 2] });
    expect(buffer.memory.input(2)[0]).toBeCloseTo((0 * 1 + 6.375 * 4) / 5, 6);
    expect(buffer.memory.input(2)[1]).toBeCloseTo((1 * 1 + 1.25 * 4) / 5, 6);
    expect(buffer.memory.weight(2)).toBe(5);
    // Class 1 was never touched; total counts = samples seen per class.
    expect(Array.from(buffer.memory.input(3))).toEqual([100, 100]);
    const total = Array.from(buffer.memory.slotsWhere({ label: 0 }), (slot) => buffer.memory.weight(slot)).reduce((a, b) => a + b, 0);
    expect(total).toBe(7);
  });

  it('agrees with a brute-force closest-pair search over a random stream, and survives a checkpoint', () => {
    const rng = new Rng('exstream-brute');
    const buffer = new ExStreamBuffer(6, 3, 4);
    const reference: { x: number[]; w: number }[][] = [[], [], []];
    for (let n = 0; n < 200; n++) {
      const label = rng.int(3);
      const x = Array.from({ length: 4 }, () => Math.fround(rng.normal()));
      const points = reference[label];
      if (points.length === 6) {
        let best = Infinity;
        let pair = [0, 1];
        for (let i = 0; i < 6; i++) {
          for (let j = i + 1; j < 6; j++) {
            const d = points[i].x.reduce((s, v, k) => s + (v - points[j].x[k]) ** 2, 0);
            if (d < best) [best, pair] = [d, [i, j]];
          }
        }
        const [i, j] = pair;
        const w = points[i].w + points[j].w;
        points[j] = { x: points[i].x.map((v, k) => Math.fround((v * points[i].w + points[j].x[k] * points[j].w) / w)), w };
        points[i] = { x, w: 1 };
      } else points.push({ x, w: 1 });
      buffer.insert({ x, label, taskId: 0, experience: 0 });
      if (n === 100) {
        // Restore into a fresh buffer halfway: distances are rebuilt from the stored points.
        const { manifest, blob } = packState(buffer.getState());
        buffer.setState(unpackState(JSON.parse(JSON.stringify(manifest)), blob));
      }
    }
    for (let label = 0; label < 3; label++) {
      const slots = buffer.memory.slotsWhere({ label });
      expect(Array.from(slots, (slot) => Array.from(buffer.memory.input(slot)))).toEqual(reference[label].map((p) => p.x));
      expect(Array.from(slots, (slot) => buffer.memory.weight(slot))).toEqual(reference[label].map((p) => p.w));
    }
  });
});

describe('GDumb', () => {
  it('keeps its memory class-balanced and retrains from scratch on the memory alone after every experience', async () => {
    const e = synthetic([{ id: 'gdumb', params: { memorySize: 30, epochs: 3 } }]);
    const { strategy, scenario } = await buildStrategy<GDumb>(e);
    try {
      for (const experience of scenario.experiences) {
        const before = strategy.trainedSamples;
        await strategy.train(experience);
        const counts = [...strategy.memory.classCounts().values()];
        const seen = 2 * (experience.index + 1);
        expect(counts.length).toBe(seen);
        expect(strategy.memory.size).toBe(30);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(Math.min(...counts)).toBe(Math.floor(30 / seen));
        // Trained only on the memory: epochs x memory size samples, nothing from the stream.
        expect(strategy.trainedSamples - before).toBe(3 * 30);
      }
      expect(strategy.retrainings).toBe(5);
    } finally {
      strategy.dispose();
    }
  });

  it('does not depend on the previous model: the same memory gives the same network', async () => {
    // Two GDumb learners that end with the same memory end with the same weights, whatever they
    // trained before (here: one of them skipped the first experiences' retraining entirely).
    const e = synthetic([{ id: 'gdumb', params: { memorySize: 30, epochs: 2 } }]);
    const a = await buildStrategy<GDumb>(e);
    const b = await buildStrategy<GDumb>(e);
    try {
      for (const experience of a.scenario.experiences.slice(0, 3)) await a.strategy.train(experience);
      b.strategy.memory.setState(a.strategy.memory.getState());
      b.strategy.run.rng.setState(a.strategy.run.rng.getState());
      await a.strategy.train(a.scenario.experiences[3]);
      await b.strategy.train(b.scenario.experiences[3]);
      for (const name of a.strategy.model.params.names()) {
        expect(Array.from(b.strategy.model.params.get(name).dataSync())).toEqual(Array.from(a.strategy.model.params.get(name).dataSync()));
      }
    } finally {
      a.strategy.dispose();
      b.strategy.dispose();
    }
  });
});

describe('MIR', () => {
  it('replays the candidates whose loss rises most after a virtual SGD step (brute force with a real model copy)', async () => {
    const e = synthetic([{ id: 'mir', params: { memorySize: 100, subsample: 40, memBatch: 10 } }], {
      model: { type: 'mlp', hidden: [16] },
      training: { epochs: 1, batchSize: 32, optimizer: { type: 'sgd', lr: 0.5 } },
    });
    const { strategy, scenario } = await buildStrategy<Mir>(e);
    try {
      await strategy.train(scenario.experiences[0]);
      expect(strategy.memory.size).toBe(100);
      const data = TrainingData.ofExperience(scenario.experiences[1], scenario.inputSize);
      const batch = data.batch(strategy.run.rng.permutation(data.size), 0, 32);
      const candidates = strategy.memory.sample(40, strategy.run.rng);
      const tensorsBefore = tf.memory().numTensors;
      const chosen = strategy.mir.select(strategy, batch, candidates);
      expect(tf.memory().numTensors).toBe(tensorsBefore);

      // Brute force: copy the model, apply θ' = θ - lr ∇L(batch) to the copy, compare losses.
      const copy = strategy.model.clone(new Rng(1));
      const { gradients } = strategy.gradientsOf(batch);
      for (const [name, gradient] of Object.entries(gradients)) {
        const updated = tf.sub(copy.params.get(name), tf.mul(gradient, 0.5));
        copy.params.get(name).assign(updated);
        updated.dispose();
      }
      tf.dispose(Object.values(gradients));
      const lossesOf = (network: typeof copy): number[] =>
        tf.tidy(() => {
          const group = strategy.forwardBatch(candidates, false, network).groups[0];
          const logProbabilities = tf.logSoftmax(group.logits).arraySync() as number[][];
          return Array.from(group.targets, (target, row) => -logProbabilities[row][target]);
        });
      const before = lossesOf(strategy.model);
      const after = lossesOf(copy);
      copy.dispose();
      const rise = after.map((value, i) => value - before[i]);
      const bruteForce = rise.map((_, i) => i).sort((p, q) => rise[q] - rise[p]).slice(0, 10);
      expect(Array.from(chosen).sort((p, q) => p - q)).toEqual(bruteForce.sort((p, q) => p - q));
      // The chosen ones come first, largest rise first, and rise more than every other candidate.
      const chosenRise = Array.from(chosen, (i) => rise[i]);
      for (let k = 1; k < chosenRise.length; k++) expect(chosenRise[k - 1]).toBeGreaterThanOrEqual(chosenRise[k] - 1e-6);
      const others = rise.filter((_, i) => !chosen.includes(i));
      expect(Math.min(...chosenRise)).toBeGreaterThanOrEqual(Math.max(...others) - 1e-6);
      // The interference is real: some candidates' loss rises clearly.
      expect(chosenRise[0]).toBeGreaterThan(0.01);
    } finally {
      strategy.dispose();
    }
  });
});

describe('iCaRL', () => {
  it('herding picks exemplars whose running mean tracks the class mean (toy features, by hand)', () => {
    // Unit vectors f0 = (1,0), f1 = (0,1), f2 = (0.6,0.8), f3 = (0.8,0.6); class mean (0.6, 0.6).
    const features = Float32Array.from([1, 0, 0, 1, 0.6, 0.8, 0.8, 0.6]);
    // k=1: f2 and f3 are both at 0.04 from the mean (tie: f2). k=2: (f2+f3)/2 = (0.7,0.7) is the
    // closest (0.02). k=3: f0 and f1 tie at 0.058 (f0). k=4: f1, and the mean is reached exactly.
    expect(Array.from(herding(features, 2, 4))).toEqual([2, 3, 0, 1]);
    expect(Array.from(herding(features, 2, 2))).toEqual([2, 3]);
    // m larger than the class: every sample once.
    expect(Array.from(herding(features, 2, 10)).sort()).toEqual([0, 1, 2, 3]);
  });

  it('herding tracks the class mean better than random exemplars (random features)', () => {
    const rng = new Rng('herding');
    const width = 8;
    const n = 200;
    const features = normalizeRows(Float32Array.from({ length: n * width }, () => rng.normal() + 0.5), width);
    const mean = new Float64Array(width);
    for (let i = 0; i < n; i++) for (let d = 0; d < width; d++) mean[d] += features[i * width + d] / n;
    const error = (rows: ArrayLike<number>, k: number): number => {
      let sum = 0;
      for (let d = 0; d < width; d++) {
        let m = 0;
        for (let j = 0; j < k; j++) m += features[rows[j] * width + d] / k;
        sum += (m - mean[d]) ** 2;
      }
      return Math.sqrt(sum);
    };
    const chosen = herding(features, width, 20);
    for (const k of [5, 10, 20]) {
      let randomError = 0;
      for (let t = 0; t < 20; t++) randomError += error(rng.sample(n, k), k) / 20;
      expect(error(chosen, k)).toBeLessThan(randomError / 3);
    }
  });

  it('keeps m = K / seen classes exemplars per class (old ones reduced to their first m), and classifies by the nearest exemplar mean', async () => {
    const e = synthetic([{ id: 'icarl', params: { memorySize: 24 } }]);
    const { strategy, scenario } = await buildStrategy<ICaRL>(e);
    try {
      let previous = new Map<number, number[][]>();
      for (const experience of scenario.experiences.slice(0, 3)) {
        await strategy.train(experience);
        const seen = 2 * (experience.index + 1);
        const m = Math.floor(24 / seen);
        const counts = strategy.memory.classCounts();
        expect(counts.size).toBe(seen);
        for (const count of counts.values()) expect(count).toBe(m);
        for (const [label, inputs] of previous) {
          const now = Array.from(strategy.memory.slotsWhere({ label }), (slot) => Array.from(strategy.memory.input(slot)));
          expect(now).toEqual(inputs.slice(0, m));
        }
        previous = new Map(strategy.memory.classes().map((label) => [label, Array.from(strategy.memory.slotsWhere({ label }), (slot) => Array.from(strategy.memory.input(slot)))]));
      }
      // Nearest mean of exemplars, checked by hand on a few test samples.
      const { means, present } = strategy.exemplarMeans();
      const width = strategy.model.featureSize;
      expect(Array.from(present)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
      const test = scenario.experiences[1].test;
      const x = new Float32Array(5 * scenario.inputSize);
      for (let i = 0; i < 5; i++) x.set(test.base.x.subarray(test.indices[i] * scenario.inputSize, (test.indices[i] + 1) * scenario.inputSize), i * scenario.inputSize);
      const batch: Batch = { x, y: new Int32Array(5), taskIds: new Int32Array(5), size: 5, currentSize: 5 };
      const features = strategy.normalizedFeatures(batch);
      const input = tf.tensor2d(x, [5, scenario.inputSize]);
      const scores = strategy.predict(input, 0);
      const values = scores.arraySync();
      tf.dispose([input, scores]);
      for (let i = 0; i < 5; i++) {
        for (let c = 0; c < 10; c++) {
          if (!present[c]) {
            expect(values[i][c]).toBe(-1e9);
            continue;
          }
          let distance = 0;
          for (let d = 0; d < width; d++) distance += (features[i * width + d] - means[c * width + d]) ** 2;
          expect(values[i][c]).toBeCloseTo(-distance, 4);
        }
      }
    } finally {
      strategy.dispose();
    }
  });
});

describe('Replay', () => {
  it('adds memBatch memory samples to every step and, online, updates a reservoir memory after every mini-batch', async () => {
    const e = synthetic([{ id: 'replay', params: { memorySize: 50, memBatch: 7, policy: 'reservoir' } }], {
      scenario: { type: 'class-incremental', experiences: 5, online: { experienceSize: 10 } },
      training: { batchSize: 10, optimizer: { type: 'sgd', lr: 0.05 } },
    });
    const { strategy, scenario } = await buildStrategy<Replay>(e);
    try {
      const experience = scenario.experiences[0];
      const parts = Array.from({ length: 8 }, (_, k) => ({ ...experience, train: { ...experience.train, indices: experience.train.indices.slice(10 * k, 10 * k + 10) } }));
      await strategy.train(parts[0]);
      expect(strategy.memory.size).toBe(10);
      expect(strategy.trainedSamples).toBe(10); // nothing to replay yet
      for (const part of parts.slice(1)) await strategy.train(part);
      expect(strategy.memory.size).toBe(50);
      // 7 steps with 7 replayed samples each.
      expect(strategy.trainedSamples).toBe(80 + 7 * 7);
      expect(strategy.cost().extraForwardSamples).toBe(49);
    } finally {
      strategy.dispose();
    }
  });
});

describe('checkpoints: a resumed run equals the uninterrupted run', () => {
  const online = { scenario: { type: 'class-incremental', experiences: 5, online: { experienceSize: 10 } }, training: { batchSize: 10, optimizer: { type: 'sgd', lr: 0.05 } } };
  for (const [label, strategy, extra] of [
    ['replay (experience-balanced)', { id: 'replay', params: { memorySize: 60 } }, {}],
    ['replay (class-balanced, task-IL)', { id: 'replay', params: { memorySize: 60, policy: 'class-balanced' } }, { scenario: { type: 'task-incremental', experiences: 5 } }],
    ['replay (reservoir, online)', { id: 'replay', params: { memorySize: 60, policy: 'reservoir' } }, online],
    ['exstream (online)', { id: 'exstream', params: { perClass: 6 } }, online],
    ['gdumb', { id: 'gdumb', params: { memorySize: 40, epochs: 3 } }, {}],
    ['mir (online)', { id: 'mir', params: { memorySize: 60, subsample: 20 } }, online],
    ['icarl', { id: 'icarl', params: { memorySize: 40 } }, {}],
  ] as const) {
    it(`resumes ${label} from a checkpoint to exactly the uninterrupted result`, async () => {
      const e = synthetic([strategy], extra);
      // Checkpoints round-trip through the on-disk format, as a real resume would.
      const { full, resumed, checkpoints } = await runAndResume(e);
      expect(checkpoints.map((c) => c.completed)).toEqual([1, 2, 3, 4]);
      expect(resumed.accuracyMatrix).toEqual(full.accuracyMatrix);
      expect(resumed.taskAccuracyMatrix).toEqual(full.taskAccuracyMatrix);
      expect(resumed.metrics).toEqual(full.metrics);
      const { wallSeconds: _w1, trainSeconds: _t1, evalSeconds: _e1, samplesPerSecond: _s1, peakTensorBytes: _p1, peakTensors: _q1, ...fullCost } = full.cost;
      const { wallSeconds: _w2, trainSeconds: _t2, evalSeconds: _e2, samplesPerSecond: _s2, peakTensorBytes: _p2, peakTensors: _q2, ...resumedCost } = resumed.cost;
      expect(resumedCost).toEqual(fullCost);
      expect(full.cost.bufferSamples).toBeGreaterThan(0);
    }, 60_000);
  }
});

describe('tensor hygiene', () => {
  for (const [id, params] of [
    ['replay', { memorySize: 50 }],
    ['exstream', { perClass: 5 }],
    ['gdumb', { memorySize: 40, epochs: 1 }],
    ['mir', { memorySize: 50, subsample: 20 }],
    ['icarl', { memorySize: 40 }],
  ] as const) {
    it(`${id}: tf.memory().numTensors is flat across training steps and prediction (task-IL)`, async () => {
      const e = synthetic([{ id, params }], { scenario: { type: 'task-incremental', experiences: 5 } });
      const { strategy, scenario } = await buildStrategy(e);
      try {
        // Two experiences first, so memories are filled and iCaRL has a teacher.
        await strategy.train(scenario.experiences[0]);
        await strategy.train(scenario.experiences[1]);
        const data = TrainingData.ofExperience(scenario.experiences[1], scenario.inputSize);
        const order = Int32Array.from({ length: data.size }, (_, i) => i);
        const before = await expectFlatTensorsAcrossSteps(strategy, [data.batch(order, 0, 32), ...[0, 1, 2, 3, 4].map((i) => data.batch(order, i * 10, i * 10 + 32))]);
        const x = tf.zeros([4, scenario.inputSize]) as tf.Tensor2D;
        const scores = strategy.predict(x, 1);
        expect(scores.shape).toEqual([4, 10]);
        tf.dispose([scores, x]);
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        strategy.dispose();
      }
    });
  }
});
