// Behaviour of the baselines on the bundled MNIST digits, fixed seed (STRATEGIES.md "Baselines").
import { describe, expect, it } from 'vitest';
import { runOne, spec } from '../helpers/engine.ts';

const splitMnist = (type: string, strategies: { id: string }[]) =>
  spec({
    dataset: { id: 'mnist-bundled' },
    scenario: { type, experiences: 5 },
    model: { type: 'mlp', hidden: [400, 400] },
    training: { epochs: 2, batchSize: 64, optimizer: { type: 'adam', lr: 0.001 } },
    strategies,
    seeds: [0],
  });

describe('baselines on Split MNIST (class-IL)', () => {
  const experiment = splitMnist('class-incremental', [{ id: 'naive' }, { id: 'joint' }, { id: 'cumulative' }]);

  it('Naive forgets: final ACC well under 0.35, old experiences near 0, the last one high', async () => {
    const result = await runOne(experiment, { strategyIndex: 0 });
    const last = result.accuracyMatrix[4];
    expect(result.metrics.acc).toBeLessThan(0.35);
    expect(last[4]).toBeGreaterThan(0.8);
    expect(Math.max(...last.slice(0, 3))).toBeLessThan(0.3);
    expect(result.metrics.forgetting!).toBeGreaterThan(0.6);
    expect(result.metrics.bwt!).toBeLessThan(-0.6);
    // What it forgets it had learnt: the diagonal (accuracy just after training) is high on average.
    const diagonal = result.accuracyMatrix.map((row, i) => row[i]);
    expect(diagonal.reduce((s, v) => s + v, 0) / 5).toBeGreaterThan(0.75);
  });

  it('Joint stays high (> 0.85) with every row equal', async () => {
    const result = await runOne(experiment, { strategyIndex: 1 });
    expect(result.metrics.acc).toBeGreaterThan(0.85);
    for (const row of result.accuracyMatrix) expect(row).toEqual(result.accuracyMatrix[4]);
    expect(result.metrics.bwt).toBe(0);
  });

  it('Cumulative stays high (> 0.85) and forgets little', async () => {
    const result = await runOne(experiment, { strategyIndex: 2 });
    expect(result.metrics.acc).toBeGreaterThan(0.85);
    expect(result.metrics.forgetting!).toBeLessThan(0.1);
    // It trains on the union: more samples than Naive's single pass over each experience.
    expect(result.cost.trainedSamples).toBeGreaterThan(2 * 8000 * 2);
  });
});

describe('Joint with a fixed number of iterations', () => {
  it('gets the whole stream\'s budget: iterations x experiences steps, like the sequential strategies', async () => {
    const experiment = spec({ training: { iterations: 7, batchSize: 16, optimizer: { type: 'adam', lr: 0.001 } }, strategies: [{ id: 'joint' }, { id: 'naive' }] });
    const joint = await runOne(experiment, { strategyIndex: 0 });
    const naive = await runOne(experiment, { strategyIndex: 1 });
    expect(naive.cost.trainedSamples).toBe(5 * 7 * 16);
    expect(joint.cost.trainedSamples).toBe(naive.cost.trainedSamples);
  });
});

describe('Ensemble', () => {
  it('routes by task id in task-IL: each member answers for its own task (near perfect task-IL)', async () => {
    const experiment = splitMnist('task-incremental', [{ id: 'ensemble' }, { id: 'naive' }]);
    const ensemble = await runOne(experiment, { strategyIndex: 0 });
    expect(ensemble.taskAccuracyMatrix).toBeDefined();
    // Separate networks cannot forget: each task's task-IL accuracy is unchanged after later tasks.
    const matrix = ensemble.taskAccuracyMatrix!;
    for (let j = 0; j < 5; j++) {
      expect(matrix[4][j]).toBeGreaterThan(0.95);
      expect(matrix[4][j]).toBe(matrix[j][j]);
    }
    expect(ensemble.taskMetrics!.forgetting).toBe(0);
    // Parameters grow with one network per experience.
    const naive = await runOne(experiment, { strategyIndex: 1 });
    expect(ensemble.cost.parameters).toBeGreaterThan(4 * (naive.cost.parameters - 5 * 401 * 2));
  });

  it('combines members by their own-class softmax in class-IL (better than chance on old experiences)', async () => {
    const experiment = splitMnist('class-incremental', [{ id: 'ensemble' }]);
    const result = await runOne(experiment);
    // Unlike Naive, old experiences keep being predicted (no output layer overwritten).
    expect(Math.min(...result.accuracyMatrix[4])).toBeGreaterThan(0.1);
    expect(result.metrics.acc).toBeGreaterThan(0.35);
  });
});
