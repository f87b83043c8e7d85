import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { currentBackend, initBackend, probeBackends } from '../../main/engine/backend/index.ts';
import { registerWasmKernelFixes } from '../../main/engine/backend/wasm-kernels.ts';
import { WorkbenchError } from '../../main/engine/errors.ts';

/** Seeded values in [-1, 1) so that both backends see identical inputs. */
function values(count: number, seed: number, offset = 0): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 4294967296) * 2 - 1 + offset;
  }
  return out;
}

function input(shape: number[], seed: number, offset = 0): tf.Tensor {
  return tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed, offset), shape);
}

/**
 * Runs `compute` on the cpu backend (the reference) and on wasm, and checks every
 * output agrees within 1e-4 of the output's scale (gradients of sums grow with size).
 */
async function expectWasmMatchesCpu(compute: () => tf.Tensor[]): Promise<void> {
  const run = (): Float32Array[] => {
    const outputs = compute();
    const data = outputs.map((t) => t.dataSync() as Float32Array);
    tf.dispose(outputs);
    return data;
  };
  await tf.setBackend('cpu');
  const expected = run();
  await initBackend('wasm');
  const actual = run();
  expect(actual.length).toBe(expected.length);
  expected.forEach((reference, index) => {
    expect(actual[index].length).toBe(reference.length);
    const scale = Math.max(1, ...reference.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(actual[index][i] - reference[i]));
    expect(worst, `output ${index}: worst difference ${worst} at scale ${scale}`).toBeLessThanOrEqual(1e-4 * scale);
  });
}

const nodeGpuInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
})();

describe('initBackend', () => {
  it('initialises wasm, describes it, and is idempotent', async () => {
    const info = await initBackend('wasm');
    expect(info).toMatchObject({ name: 'wasm', tfjsBackend: 'wasm', version: tf.version.tfjs });
    expect(info.device).toMatch(/^CPU \(wasm(, SIMD)?, \d+ threads?\)$/);
    expect(info.notes.join('\n')).toContain('Conv2DBackpropFilter');
    expect(tf.getBackend()).toBe('wasm');
    expect(await initBackend('wasm')).toBe(info);
    expect(currentBackend()).toBe(info);
  });

  it.skipIf(nodeGpuInstalled)('rejects tensorflow-gpu with BACKEND_UNAVAILABLE, saying why and what is available', async () => {
    await initBackend('wasm');
    const error = await initBackend('tensorflow-gpu').then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(WorkbenchError);
    const workbenchError = error as WorkbenchError;
    expect(workbenchError.code).toBe('BACKEND_UNAVAILABLE');
    expect(workbenchError.message).toContain("Backend 'tensorflow-gpu' is unavailable");
    expect(workbenchError.message).toContain('@tensorflow/tfjs-node-gpu is not installed');
    expect(workbenchError.message).toMatch(/Available backends: .*wasm, cpu\.$/);
    expect(workbenchError.details.available).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    // A failed switch leaves the working backend in place.
    expect(currentBackend()?.name).toBe('wasm');
  });

  it.skipIf(nodeGpuInstalled)("picks wasm for 'auto' here and notes what it skipped", async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.notes.some((note) => note.startsWith('tensorflow-gpu skipped:'))).toBe(true);
    expect(await initBackend('auto')).toBe(info);
    const probes = await probeBackends();
    expect(probes.map((probe) => probe.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect(probes.find((probe) => probe.name === 'wasm')?.available).toBe(true);
  });

  it('switches to cpu and back', async () => {
    expect((await initBackend('cpu')).device).toBe('CPU (JavaScript)');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend('wasm')).name).toBe('wasm');
  });
});

describe('wasm kernel fixes match the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('registers its kernels only once, even from a re-imported module', async () => {
    expect(registerWasmKernelFixes()).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    vi.resetModules();
    const fresh = await import('../../main/engine/backend/wasm-kernels.ts');
    expect(fresh.registerWasmKernelFixes()).toEqual([]);
  });

  it('clones share buffers and dispose cleanly', () => {
    const before = tf.memory();
    const x = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(x);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    copy.dispose();
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.memory().numTensors).toBe(before.numTensors);
  });

  const convCases: { x: number[]; filter: number[]; stride: number; pad: 'same' | 'valid' | number }[] = [
    { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same' },
    { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], stride: 2, pad: 'same' },
    { x: [2, 10, 10, 3], filter: [3, 3, 3, 4], stride: 2, pad: 'same' },
    { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], stride: 2, pad: 'valid' },
    { x: [2, 10, 10, 3], filter: [3, 3, 3, 4], stride: 2, pad: 'valid' },
    { x: [2, 8, 8, 4], filter: [3, 3, 4, 2], stride: 1, pad: 'valid' },
    { x: [3, 8, 7, 5], filter: [1, 1, 5, 6], stride: 2, pad: 'same' },
    { x: [2, 11, 11, 2], filter: [5, 5, 2, 3], stride: 3, pad: 'valid' },
    { x: [2, 11, 12, 2], filter: [4, 2, 2, 3], stride: 1, pad: 'same' },
    { x: [2, 7, 7, 3], filter: [3, 3, 3, 8], stride: 1, pad: 1 },
    // Patches (fH*fW*ci values) at most half as long as dy rows (co): the filter gradient goes through im2col.
    { x: [2, 10, 10, 1], filter: [3, 3, 1, 32], stride: 1, pad: 'valid' },
    { x: [2, 9, 9, 2], filter: [3, 3, 2, 40], stride: 2, pad: 'same' },
    { x: [2, 10, 10, 1], filter: [3, 3, 1, 24], stride: 2, pad: 'valid' },
    { x: [2, 7, 8, 1], filter: [2, 3, 1, 12], stride: 1, pad: 'same' },
    { x: [2, 7, 8, 1], filter: [3, 3, 1, 18], stride: 1, pad: 1 },
    { x: [3, 8, 7, 4], filter: [1, 1, 4, 8], stride: 2, pad: 'same' },
    // Padding wider than the filter: the input gradient keeps the shipped kernel.
    { x: [1, 5, 5, 2], filter: [3, 3, 2, 2], stride: 1, pad: 3 },
  ];
  it.each(convCases)('conv2d gradients: x $x, filter $filter, stride $stride, pad $pad', async ({ x, filter, stride, pad }) => {
    await expectWasmMatchesCpu(() => {
      const xs = input(x, 1);
      const weights = input(filter, 2);
      const loss = (a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, stride, pad)));
      const grads = tf.grads(loss)([xs, weights]);
      tf.dispose([xs, weights]);
      return grads;
    });
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matMul (transposeA %s, transposeB %s) and its gradients', async (transposeA, transposeB) => {
    await expectWasmMatchesCpu(() => {
      const a = input(transposeA ? [37, 21] : [21, 37], 3);
      const b = input(transposeB ? [13, 37] : [37, 13], 4);
      const batchedA = input(transposeA ? [3, 6, 5] : [3, 5, 6], 5);
      const batchedB = input(transposeB ? [3, 4, 6] : [3, 6, 4], 6);
      const product = tf.matMul(a, b, transposeA, transposeB);
      const batched = tf.matMul(batchedA, batchedB, transposeA, transposeB);
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, transposeA, transposeB))))([a, b]);
      const fused = tf.fused.matMul({ a, b, transposeA, transposeB, bias: tf.ones([13]), activation: 'relu' });
      tf.dispose([a, b, batchedA, batchedB]);
      return [product, batched, fused, ...grads];
    });
  });

  it('matMul of a small batch by a large matrix (computed as (BᵀAᵀ)ᵀ), then again with the same matrix', async () => {
    await expectWasmMatchesCpu(() => {
      const weights = input([64, 96], 17);
      const first = input([4, 64], 18);
      const second = input([4, 64], 19);
      const batched = input([1, 4, 64], 20);
      const outputs = [tf.matMul(first, weights), tf.matMul(second, weights), tf.matMul(batched, weights)];
      tf.dispose([weights, first, second, batched]);
      return outputs;
    });
  });

  it.each([
    ['max', 2, 2, 'valid'],
    ['max', 2, 2, 'same'],
    ['max', 3, 2, 'same'],
    ['max', 3, 1, 'same'],
    ['avg', 2, 2, 'valid'],
    ['avg', 2, 2, 'same'],
    ['avg', 3, 2, 'same'],
  ] as const)('%sPool %i stride %i %s and its gradient, negative windows included', async (kind, size, stride, pad) => {
    await expectWasmMatchesCpu(() => {
      // Shifted down so that many windows are entirely negative (the shipped MaxPoolGrad gets these wrong).
      const x = input([2, 7, 6, 3], 7, -0.6);
      const pool = (t: tf.Tensor) => (kind === 'max' ? tf.maxPool(t as tf.Tensor4D, size, stride, pad) : tf.avgPool(t as tf.Tensor4D, size, stride, pad));
      const weights = input(pool(x).shape, 8);
      const grads = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(pool(t), weights)))([x]);
      const forward = pool(x);
      tf.dispose([x, weights]);
      return [forward, ...grads];
    });
  });

  it('sums over leading axes (bias gradients) and other axes (shipped kernel)', async () => {
    await expectWasmMatchesCpu(() => {
      const x = input([4, 5, 6, 7], 16);
      const counts = tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
      return [
        tf.sum(x, [0, 1, 2]),
        tf.sum(x, [1, 0], true),
        tf.sum(x, 0),
        tf.sum(x, [1, 3]),
        tf.sum(x, -1),
        tf.sum(x),
        tf.cast(tf.sum(counts, 0), 'float32'),
      ];
    });
  });

  it('depthwise conv and gather gradients, einsum (borrowed from cpu)', async () => {
    await expectWasmMatchesCpu(() => {
      const x = input([2, 6, 6, 3], 9);
      const filter = input([3, 3, 3, 2], 10);
      const table = input([6, 4], 11);
      const indices = tf.tensor1d([0, 2, 2, 5], 'int32');
      const depthwise = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'))))([x, filter]);
      const gather = tf.grads((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, indices))))([table]);
      const einsum = tf.einsum('ij,jk->ik', table, tf.transpose(table));
      tf.dispose([x, filter, table, indices]);
      return [...depthwise, ...gather, einsum];
    });
  });

  it('gradients of a residual block (strided convs, 1x1 shortcut, normalisation, pools, add)', async () => {
    await expectWasmMatchesCpu(() => {
      const x = input([2, 8, 8, 4], 12);
      const w1 = input([3, 3, 4, 4], 13);
      const w2 = input([3, 3, 4, 8], 14);
      const shortcut = input([1, 1, 4, 8], 15);
      const labels = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 8);
      const loss = (a: tf.Tensor, c1: tf.Tensor, c2: tf.Tensor, s: tf.Tensor) => {
        let h = tf.relu(tf.conv2d(a as tf.Tensor4D, c1 as tf.Tensor4D, 1, 'same'));
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        h = tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5)));
        h = tf.maxPool(h as tf.Tensor4D, 3, 1, 'same');
        const main = tf.conv2d(h as tf.Tensor4D, c2 as tf.Tensor4D, 2, 'same');
        const out = tf.relu(tf.add(main, tf.conv2d(a as tf.Tensor4D, s as tf.Tensor4D, 2, 'same')));
        const logits = tf.mean(out, [1, 2]);
        const pooled = tf.avgPool(out as tf.Tensor4D, 2, 2, 'valid');
        return tf.add(tf.losses.softmaxCrossEntropy(labels, logits), tf.mul(tf.sum(pooled), 0.01)) as tf.Scalar;
      };
      const grads = tf.grads(loss)([x, w1, w2, shortcut]);
      tf.dispose([x, w1, w2, shortcut, labels]);
      return grads;
    });
  });
});

describe('training on wasm', () => {
  it('runs small-CNN training steps without leaking tensors or wasm buffers', async () => {
    await initBackend('wasm');
    const variable = (shape: number[], seed: number) => tf.variable(input(shape, seed).mul(0.3));
    const weights = [variable([3, 3, 1, 8], 20), variable([3, 3, 8, 16], 21), variable([5 * 5 * 16, 10], 22)];
    const optimizer = tf.train.sgd(0.05);
    const pixels = values(8 * 28 * 28, 23, 0.5);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const step = (): number => {
      const xs = tf.tensor4d(pixels, [8, 28, 28, 1]);
      const { value, grads } = tf.variableGrads(() => {
        const a1 = tf.maxPool(tf.relu(tf.conv2d(xs, weights[0] as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid');
        const a2 = tf.avgPool(tf.relu(tf.conv2d(a1, weights[1] as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid');
        const logits = tf.matMul(tf.reshape(a2, [8, 5 * 5 * 16]), weights[2] as tf.Tensor2D);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, weights);
      optimizer.applyGradients(grads);
      const loss = value.dataSync()[0];
      tf.dispose([xs, value, ...Object.values(grads)]);
      return loss;
    };
    const first = step();
    step();
    const before = tf.memory();
    const losses = [step(), step(), step()];
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]).toBeLessThan(first);
    optimizer.dispose();
    tf.dispose([...weights, labels]);
  });
});
