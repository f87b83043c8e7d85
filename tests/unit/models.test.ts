// Functional models: shapes, parameter counts, heads, cut points, and that conv nets train on wasm.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/index.ts';
import { Network } from '../../main/engine/models/network.ts';
import { Rng } from '../../main/engine/rng.ts';
import type { ModelSpec } from '../../main/engine/spec/experiment.ts';
import { runOne, spec } from '../helpers/engine.ts';

const model = (partial: Partial<ModelSpec>): ModelSpec => ({ type: 'mlp', hidden: [400, 400], channels: [32, 64], width: 20, head: 'single', ...partial });

describe('networks', () => {
  it('MLP 784-400-400-10 has the textbook parameter count and output shape', async () => {
    await initBackend('wasm');
    const network = new Network(model({}), { inputShape: [28, 28, 1], numClasses: 10 }, new Rng(0));
    expect(network.parameterCount()).toBe(784 * 400 + 400 + 400 * 400 + 400 + 400 * 10 + 10);
    const logits = tf.tidy(() => network.forward(tf.zeros([3, 784])));
    expect(logits.shape).toEqual([3, 10]);
    logits.dispose();
    expect(network.layerNames).toEqual(['fc1', 'features', 'head']);
    network.dispose();
  });

  it('initialises like PyTorch (uniform ±1/sqrt(fan-in)) and identically for the same seed', async () => {
    await initBackend('wasm');
    const a = new Network(model({ hidden: [50] }), { inputShape: [8, 8, 1], numClasses: 10 }, new Rng('s'));
    const b = new Network(model({ hidden: [50] }), { inputShape: [8, 8, 1], numClasses: 10 }, new Rng('s'));
    const weights = a.params.get('features.weight').dataSync();
    expect(Math.max(...weights)).toBeLessThanOrEqual(1 / 8);
    expect(Math.min(...weights)).toBeGreaterThanOrEqual(-1 / 8);
    expect(b.params.get('features.weight').dataSync()).toEqual(weights);
    a.dispose();
    b.dispose();
  });

  it('multi-head: a head per task created on first sight, local logits per task, global logits placed by class', async () => {
    await initBackend('wasm');
    const network = new Network(model({ hidden: [16], head: 'multi' }), { inputShape: [8, 8, 1], numClasses: 10 }, new Rng(1));
    network.addTask(0, [3, 7]);
    network.addTask(1, [1, 9]);
    network.addTask(1, [1, 9]);
    expect(network.tasks()).toEqual([0, 1]);
    const x = tf.randomUniform([2, 64]) as tf.Tensor2D;
    const local = network.forward(x, { taskId: 1 });
    expect(local.shape).toEqual([2, 2]);
    const global = network.globalLogits(x);
    const g = global.arraySync() as number[][];
    const l = local.arraySync() as number[][];
    expect(g[0][1]).toBeCloseTo(l[0][0], 5);
    expect(g[0][9]).toBeCloseTo(l[0][1], 5);
    expect(g[0][0]).toBe(-1e9);
    tf.dispose([x, local, global]);
    network.dispose();
  });

  it('cuts and injects activations at a named layer (latent replay)', async () => {
    await initBackend('wasm');
    const network = new Network(model({ hidden: [20, 10] }), { inputShape: [8, 8, 1], numClasses: 10 }, new Rng(2));
    tf.tidy(() => {
      const x = tf.randomUniform([4, 64]);
      const latent = network.forward(x, { stopAfter: 'fc1' });
      expect(latent.shape).toEqual([4, 20]);
      const resumed = network.forward(latent, { startAfter: 'fc1' });
      const direct = network.forward(x);
      expect(Array.from(resumed.dataSync())).toEqual(Array.from(direct.dataSync()));
      const masked = network.forward(x, { masks: { 'head.weight': tf.zeros([10, 10]) } });
      // A zero mask on the head leaves only its bias.
      expect(Array.from(masked.dataSync().slice(0, 10))).toEqual(Array.from(network.params.get('head.bias').dataSync()));
    });
    network.dispose();
  });

  it('CNN and reduced ResNet-18 give logits of the right shape; ResNet widths follow the GEM paper', async () => {
    await initBackend('wasm');
    const cnn = new Network(model({ type: 'cnn' }), { inputShape: [28, 28, 1], numClasses: 10 }, new Rng(3));
    const resnet = new Network(model({ type: 'resnet18-reduced' }), { inputShape: [32, 32, 3], numClasses: 100 }, new Rng(3));
    tf.tidy(() => {
      expect(cnn.forward(tf.zeros([2, 784])).shape).toEqual([2, 10]);
      expect(resnet.forward(tf.zeros([2, 32 * 32 * 3]), { training: true }).shape).toEqual([2, 100]);
    });
    expect(resnet.featureSize).toBe(160);
    // The GEM paper's reduced ResNet-18 (nf = 20) on CIFAR-100 has about 1.1 M parameters.
    expect(resnet.parameterCount()).toBeGreaterThan(1.0e6);
    expect(resnet.parameterCount()).toBeLessThan(1.2e6);
    cnn.dispose();
    resnet.dispose();
  });
});

describe('conv nets train on wasm', () => {
  it('a CNN learns the synthetic classes (far above chance) with no tensor leak', async () => {
    const experiment = spec({
      scenario: { type: 'task-incremental', experiences: 2 },
      model: { type: 'cnn', channels: [8, 16] },
      training: { epochs: 3, batchSize: 32, optimizer: { type: 'adam', lr: 0.003 } },
    });
    const result = await runOne(experiment);
    expect(result.backend).toBe('wasm');
    expect(result.taskMetrics!.acc).toBeGreaterThan(0.8);
  });

  it('a reduced ResNet-18 takes training steps (batch norm, residual adds) on wasm', async () => {
    const experiment = spec({
      scenario: { type: 'class-incremental', experiences: 1, classesPerExperience: 2, trainSamplesPerExperience: 64, testSamplesPerExperience: 20 },
      model: { type: 'resnet18-reduced', width: 4 },
      training: { epochs: 6, batchSize: 16, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } },
    });
    const result = await runOne(experiment);
    expect(result.cost.trainedSamples).toBe(6 * 64);
    // Enough steps for the batch-norm running statistics (momentum 0.1) to settle for evaluation.
    expect(result.accuracyMatrix[0][0]).toBeGreaterThan(0.6);
  });
});
