// GEM and A-GEM do what their papers say (STRATEGIES.md "Rehearsal"): GEM's dual QP leaves no
// stored-memory gradient with a negative dot product with the update; A-GEM's projected gradient
// is orthogonal to the reference when it was violated and unchanged otherwise; GEM forgets far
// less than Naive in class-IL; both run online; resume is exact and no step leaks tensors.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { runOne, spec, runAndResume, buildStrategy, enterExperience, batchOf, expectFlatTensorsAcrossSteps } from '../helpers/engine.ts';
import { type ExperimentSpec } from '../../main/engine/index.ts';
import type { Plugin } from '../../main/engine/training/plugin.ts';
import type { Strategy } from '../../main/engine/training/strategy.ts';
import { Rng } from '../../main/engine/rng.ts';
import { solveGemDual } from '../../main/engine/strategies/qp.ts';
import { gradientNames, type GemPlugin } from '../../main/engine/strategies/gem.ts';
import { agemProject, type AgemPlugin } from '../../main/engine/strategies/agem.ts';

const synthetic = (strategies: { id: string; params?: Record<string, unknown> }[], extra: Record<string, unknown> = {}): ExperimentSpec =>
  spec({
    dataset: { id: 'synthetic' },
    scenario: { type: 'class-incremental', experiences: 5 },
    model: { type: 'mlp', hidden: [32] },
    training: { epochs: 1, batchSize: 16, optimizer: { type: 'sgd', lr: 0.1 } },
    strategies,
    seeds: [0],
    ...extra,
  });

/** Σ over parameters of a·b, a parameter missing on one side counting as zero. */
function dot(a: Record<string, tf.Tensor>, b: Record<string, tf.Tensor>): number {
  return Object.keys(a)
    .filter((name) => b[name])
    .reduce((sum, name) => sum + tf.tidy(() => tf.sum(tf.mul(a[name], b[name])).dataSync()[0]), 0);
}

const norm = (a: Record<string, tf.Tensor>): number => Math.sqrt(dot(a, a));

/** Records the gradients a step finally applies (plugins later in the list see the projected ones). */
class GradientSpy implements Plugin {
  readonly name = 'spy';
  seen: Record<string, tf.Tensor> | undefined;
  constructor(private readonly check: (strategy: Strategy, gradients: Record<string, tf.Tensor>) => void = () => undefined) {}
  afterBackward(strategy: Strategy, gradients: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    this.check(strategy, gradients);
    return gradients;
  }
}

describe('GEM quadratic program', () => {
  it('solves the dual in a toy case: g̃ = g + Gᵀv with v ≥ margin', () => {
    // G = I₂, g = (−1, 1): the first constraint is violated.
    const gram = [[1, 0], [0, 1]];
    const v = solveGemDual(gram, [-1, 1], 0.5);
    // min ½(1+ε)v² − v over v ≥ 0.5 → v₁ = 1/(1+ε); v₂ = 0.5 at its bound.
    expect(v[0]).toBeCloseTo(1 / 1.001, 9);
    expect(v[1]).toBeCloseTo(0.5, 9);
    const v0 = solveGemDual(gram, [-1, 1], 0, 0);
    expect(v0[0]).toBeCloseTo(1, 9);
    expect(v0[1]).toBeCloseTo(0, 9);
  });

  it('leaves no negative dot product with any memory gradient (random 200-dimensional problems)', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const k = 1 + (trial % 5);
      const p = 200;
      const G = Array.from({ length: k }, () => Array.from({ length: p }, () => rng.normal()));
      const g = Array.from({ length: p }, () => rng.normal());
      // Make the first memory gradient conflict with g.
      for (let i = 0; i < p; i++) G[0][i] -= g[i];
      const dotp = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * b[i], 0);
      const gram = G.map((a) => G.map((b) => dotp(a, b)));
      const dots = G.map((a) => dotp(a, g));
      expect(Math.min(...dots)).toBeLessThan(0);
      for (const margin of [0, 0.5]) {
        const v = solveGemDual(gram, dots, margin);
        expect(Math.min(...v)).toBeGreaterThanOrEqual(margin - 1e-9);
        const projected = g.map((gi, i) => gi + v.reduce((s, vj, j) => s + vj * G[j][i], 0));
        // KKT: G g̃ = λ − εv ≥ −εv.
        for (let j = 0; j < k; j++) expect(dotp(G[j], projected)).toBeGreaterThanOrEqual(-1e-3 * v[j] - 1e-9);
      }
    }
  });
});

describe('GEM in training', () => {
  it('after a projection no stored-memory gradient has a negative dot product with the update', async () => {
    const experiment = synthetic([{ id: 'gem', params: { patternsPerExperience: 32 } }]);
    const { strategy, scenario } = await buildStrategy(experiment);
    const gem = strategy.plugin<GemPlugin>('gem')!;
    let checked = 0;
    let violated = 0;
    strategy.use(
      new GradientSpy((s, gradients) => {
        if (!gem.lastStep) return;
        if (gem.lastStep.dots.some((d) => d < 0)) violated++;
        if (!gem.lastStep.projected) {
          expect(Math.min(...gem.lastStep.dots)).toBeGreaterThanOrEqual(0);
          return;
        }
        // Weights are still those of the step: the memory gradients are those GEM used. As in
        // gem.py the QP is regularised by εI (ε = 1e-3), so at the optimum G g̃ = λ − εv ≥ −εv.
        const v = gem.lastStep.multipliers!;
        gem.memory.experiences(s.experience!.index).forEach((index, k) => {
          const memory = s.gradientsOf(gem.memory.batchOf(index)).gradients;
          const value = dot(memory, gradients);
          expect(value).toBeGreaterThanOrEqual(-1e-3 * v[k] - 1e-5 * norm(memory) * norm(gradients));
          // Far from the violation it corrects.
          expect(value).toBeGreaterThan(Math.min(...gem.lastStep!.dots) / 20);
          tf.dispose(Object.values(memory));
        });
        checked++;
      }),
    );
    try {
      await strategy.train(scenario.experiences[0]);
      await strategy.train(scenario.experiences[1]);
      expect(gem.memory.experiences()).toEqual([0, 1]);
      await enterExperience(strategy, scenario.experiences[2]);
      for (let k = 0; k < 8; k++) await strategy.step(batchOf(scenario, scenario.experiences[2], 16 * k, 16));
      expect(violated).toBeGreaterThan(0);
      expect(checked).toBe(violated);
      // Two memories of 32 samples: one extra forward and backward pass over 64 samples per step of experience 1 and 2.
      const stepsOfOne = Math.ceil(scenario.experiences[1].train.indices.length / 16);
      expect(strategy.cost().extraBackwardSamples).toBe(32 * stepsOfOne + 64 * 8);
      expect(strategy.cost().bufferSamples).toBe(64);
      expect(strategy.cost().bufferBytes).toBe(64 * 4 * (scenario.inputSize + 4));
    } finally {
      strategy.dispose();
    }
  });

  it('multi-head (task-IL): memories route to their own heads and the projection includes the old heads', async () => {
    const experiment = synthetic([{ id: 'gem', params: { patternsPerExperience: 16 } }], { scenario: { type: 'task-incremental', experiences: 5 } });
    const { strategy, scenario } = await buildStrategy(experiment);
    const gem = strategy.plugin<GemPlugin>('gem')!;
    const names: string[][] = [];
    strategy.use(new GradientSpy((_s, gradients) => gem.lastStep?.projected && names.push(Object.keys(gradients))));
    try {
      await strategy.train(scenario.experiences[0]);
      await enterExperience(strategy, scenario.experiences[1]);
      for (let k = 0; k < 10; k++) await strategy.step(batchOf(scenario, scenario.experiences[1], 16 * k, 16));
      expect(names.length).toBeGreaterThan(0);
      expect(names[0]).toContain('head.0.weight');
      expect(names[0]).toContain('head.1.weight');
      const memory = strategy.gradientsOf(gem.memory.batchOf(0)).gradients;
      expect(gradientNames(strategy, [memory])).not.toContain('head.1.weight');
      tf.dispose(Object.values(memory));
    } finally {
      strategy.dispose();
    }
  });

  it('GEM forgets far less than Naive in class-IL on Split MNIST (bundled digits, fixed seed); A-GEM in between', async () => {
    const experiment = spec({
      dataset: { id: 'mnist-bundled' },
      scenario: { type: 'class-incremental', experiences: 5, trainSamplesPerExperience: 800 },
      model: { type: 'mlp', hidden: [200, 200] },
      training: { epochs: 1, batchSize: 32, optimizer: { type: 'sgd', lr: 0.05 } },
      strategies: [{ id: 'naive' }, { id: 'gem', params: { patternsPerExperience: 64 } }, { id: 'agem', params: { patternsPerExperience: 64, sampleSize: 64 } }],
      seeds: [0],
    });
    const naive = await runOne(experiment, { strategyIndex: 0 });
    const gem = await runOne(experiment, { strategyIndex: 1 });
    const agem = await runOne(experiment, { strategyIndex: 2 });
    expect(naive.metrics.forgetting!).toBeGreaterThan(0.6);
    expect(gem.metrics.forgetting!).toBeLessThan(naive.metrics.forgetting! - 0.3);
    expect(gem.metrics.acc).toBeGreaterThan(naive.metrics.acc + 0.2);
    expect(gem.cost.bufferSamples).toBe(5 * 64);
    expect(gem.cost.extraBackwardSamples).toBeGreaterThan(0);
    // A-GEM's single averaged constraint protects less than GEM's, but still more than nothing.
    expect(agem.metrics.acc).toBeGreaterThan(naive.metrics.acc + 0.1);
    expect(agem.metrics.acc).toBeLessThan(gem.metrics.acc);
  });
});

describe('A-GEM', () => {
  it('projects to g − (g·r / r·r) r, orthogonal to the reference, only when g·r < 0', () => {
    const g = { a: tf.tensor1d([1, 2]), b: tf.tensor1d([-3]) };
    const conflicting = { a: tf.tensor1d([-1, 0]), b: tf.tensor1d([1]), c: tf.tensor1d([2]) };
    const { dot: before, projected } = agemProject(g, conflicting);
    expect(before).toBeCloseTo(-4, 6);
    // r·r = 6: g̃ = g + (4/6) r, including the parameter only the reference touches.
    expect(projected!.a.dataSync()[0]).toBeCloseTo(1 - 4 / 6, 6);
    expect(projected!.a.dataSync()[1]).toBeCloseTo(2, 6);
    expect(projected!.b.dataSync()[0]).toBeCloseTo(-3 + 4 / 6, 6);
    expect(projected!.c.dataSync()[0]).toBeCloseTo(8 / 6, 6);
    expect(Math.abs(dot(projected!, conflicting))).toBeLessThan(1e-6);
    const agreeing = { a: tf.tensor1d([1, 1]), b: tf.tensor1d([0]) };
    const kept = agemProject(g, agreeing);
    expect(kept.dot).toBeCloseTo(3, 6);
    expect(kept.projected).toBeUndefined();
    tf.dispose([...Object.values(g), ...Object.values(conflicting), ...Object.values(agreeing), ...Object.values(projected!)]);
  });

  it('in training: the applied gradient is orthogonal to the reference when violated and unchanged otherwise', async () => {
    // A reference sample as large as the memory: the reference gradient is that of every stored sample.
    const experiment = synthetic([{ id: 'agem', params: { patternsPerExperience: 24, sampleSize: 1000 } }]);
    const { strategy, scenario } = await buildStrategy(experiment);
    const agem = strategy.plugin<AgemPlugin>('agem')!;
    let original: Record<string, tf.Tensor> = {};
    const outcomes = { projected: 0, kept: 0 };
    // One spy before A-GEM keeps the raw gradient, one after it sees the applied one.
    strategy.plugins.unshift(
      new GradientSpy((_s, gradients) => {
        tf.dispose(Object.values(original));
        original = Object.fromEntries(Object.entries(gradients).map(([name, g]) => [name, tf.clone(g)]));
      }),
    );
    strategy.use(
      new GradientSpy((s, gradients) => {
        if (!agem.lastStep) return;
        const all = new Rng(1);
        const reference = s.gradientsOf(agem.memory.sample(1000, all, s.experience!.index)).gradients;
        if (agem.lastStep.projected) {
          expect(agem.lastStep.dot).toBeLessThan(0);
          expect(Math.abs(dot(gradients, reference))).toBeLessThan(1e-4 * norm(gradients) * norm(reference));
          outcomes.projected++;
        } else {
          expect(agem.lastStep.dot).toBeGreaterThanOrEqual(0);
          for (const [name, g] of Object.entries(gradients)) expect(g.dataSync()).toEqual(original[name].dataSync());
          outcomes.kept++;
        }
        tf.dispose(Object.values(reference));
      }),
    );
    try {
      await strategy.train(scenario.experiences[0]);
      await strategy.train(scenario.experiences[1]);
      await enterExperience(strategy, scenario.experiences[2]);
      for (let k = 0; k < 8; k++) await strategy.step(batchOf(scenario, scenario.experiences[2], 16 * k, 16));
      expect(outcomes.projected).toBeGreaterThan(0);
      expect(outcomes.kept).toBeGreaterThan(0);
      expect(strategy.cost().bufferSamples).toBe(48);
    } finally {
      tf.dispose(Object.values(original));
      strategy.dispose();
    }
  });
});

describe('online stream (batch 10, one pass)', () => {
  for (const id of ['gem', 'agem']) {
    it(`${id}: fills one memory per experience from the mini-experiences and protects the past`, async () => {
      const experiment = synthetic([{ id: 'naive' }, { id, params: { patternsPerExperience: 20 } }], {
        scenario: { type: 'class-incremental', experiences: 5, online: { experienceSize: 10 } },
        training: { epochs: 1, batchSize: 10, optimizer: { type: 'sgd', lr: 0.05 } },
      });
      const naive = await runOne(experiment, { strategyIndex: 0 });
      const result = await runOne(experiment, { strategyIndex: 1 });
      expect(result.cost.bufferSamples).toBe(5 * 20);
      expect(result.metrics.acc).toBeGreaterThan(naive.metrics.acc);
    });
  }
});

describe('checkpoints and tensors', () => {
  const cases: [string, { id: string; params?: Record<string, unknown> }, Record<string, unknown>][] = [
    ['gem (class-IL)', { id: 'gem', params: { patternsPerExperience: 16 } }, {}],
    ['gem (task-IL)', { id: 'gem', params: { patternsPerExperience: 16 } }, { scenario: { type: 'task-incremental', experiences: 5 } }],
    ['agem', { id: 'agem', params: { patternsPerExperience: 16, sampleSize: 24 } }, {}],
  ];
  for (const [label, strategySpec, extra] of cases) {
    it(`${label}: a resumed run equals the uninterrupted run`, async () => {
      const experiment = synthetic([strategySpec], { training: { epochs: 2, batchSize: 32, optimizer: { type: 'adam', lr: 0.002 } }, ...extra });
      // Checkpoints round-trip through the on-disk format, as a real resume would.
      const { full, resumed } = await runAndResume(experiment);
      expect(resumed.accuracyMatrix).toEqual(full.accuracyMatrix);
      expect(resumed.taskAccuracyMatrix).toEqual(full.taskAccuracyMatrix);
      expect(resumed.cost.bufferSamples).toBe(full.cost.bufferSamples);
      expect(resumed.cost.extraBackwardSamples).toBe(full.cost.extraBackwardSamples);
    });

    it(`${label}: tf.memory().numTensors is flat across training steps`, async () => {
      const experiment = synthetic([strategySpec], extra);
      const { strategy, scenario } = await buildStrategy(experiment);
      try {
        await strategy.train(scenario.experiences[0]);
        await enterExperience(strategy, scenario.experiences[1]);
        await expectFlatTensorsAcrossSteps(strategy, [0, 1, 2, 3, 4, 5].map((k) => batchOf(scenario, scenario.experiences[1], 16 * k, 16)));
      } finally {
        strategy.dispose();
      }
    });
  }
});
