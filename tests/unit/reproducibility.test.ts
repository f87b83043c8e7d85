// Same spec + seed + backend = same numbers; a resumed run = the uninterrupted run; no tensor leaks.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { runOne, spec, runAndResume, expectFlatTensorsAcrossSteps } from '../helpers/engine.ts';
import { initBackend, loadDataset } from '../../main/engine/index.ts';
import { buildScenario } from '../../main/engine/data/scenario.ts';
import { getStrategy } from '../../main/engine/strategies/index.ts';
import { TrainingData } from '../../main/engine/training/data.ts';
import { Rng } from '../../main/engine/rng.ts';

const experiment = (strategies: { id: string }[], extra: Record<string, unknown> = {}) =>
  spec({ strategies, seeds: [0, 1], training: { epochs: 2, batchSize: 32, optimizer: { type: 'adam', lr: 0.002 } }, ...extra });

describe('reproducibility', () => {
  it('gives identical accuracy matrices for the same spec, seed and backend, and different ones for another seed', async () => {
    const e = experiment([{ id: 'naive' }]);
    const a = await runOne(e, { seed: 0 });
    const b = await runOne(e, { seed: 0 });
    const c = await runOne(e, { seed: 1 });
    expect(b.accuracyMatrix).toEqual(a.accuracyMatrix);
    expect(b.metrics).toEqual(a.metrics);
    expect(c.accuracyMatrix).not.toEqual(a.accuracyMatrix);
  });

  for (const [id, extra] of [
    ['naive', {}],
    ['ensemble', {}],
    ['joint', {}],
    ['cumulative', { scenario: { type: 'task-incremental', experiences: 5 }, training: { epochs: 1, batchSize: 32, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } } }],
  ] as const) {
    it(`resumes ${id} from a checkpoint to exactly the uninterrupted result`, async () => {
      const e = experiment([{ id }], extra);
      // Checkpoints round-trip through the on-disk format, as a real resume would.
      const { full, resumed, checkpoints } = await runAndResume(e);
      expect(checkpoints.map((c) => c.completed)).toEqual([1, 2, 3, 4]);
      expect(resumed.accuracyMatrix).toEqual(full.accuracyMatrix);
      expect(resumed.taskAccuracyMatrix).toEqual(full.taskAccuracyMatrix);
      expect(resumed.metrics).toEqual(full.metrics);
      expect(resumed.cost.trainedSamples).toBe(full.cost.trainedSamples);
    });
  }
});

describe('tensor hygiene', () => {
  for (const id of ['naive', 'cumulative', 'ensemble']) {
    it(`${id}: tf.memory().numTensors is flat across training steps`, async () => {
      await initBackend('wasm');
      const e = experiment([{ id }], { scenario: { type: 'task-incremental', experiences: 5 } });
      const dataset = await loadDataset('synthetic');
      const scenario = buildScenario(dataset, e.scenario, 0);
      const strategy = getStrategy(id).create({ spec: e, scenario, seed: 0, rng: new Rng(0) }, e.strategies[0].params);
      try {
        await strategy.train(scenario.experiences[0]);
        const data = TrainingData.ofExperience(scenario.experiences[0], scenario.inputSize);
        const order = Int32Array.from({ length: data.size }, (_, i) => i);
        const before = await expectFlatTensorsAcrossSteps(strategy, [data.batch(order, 0, 32), ...[0, 1, 2, 3, 4].map((i) => data.batch(order, i * 10, i * 10 + 32))]);
        // Evaluation leaks nothing either.
        const x = tf.zeros([4, scenario.inputSize]) as tf.Tensor2D;
        const scores = strategy.predict(x, 0);
        scores.dispose();
        x.dispose();
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        strategy.dispose();
      }
    });
  }
});
