/** Building blocks of the functional models. Each creates its parameters in a ParamStore. */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.ts';
import { kaimingNormal, uniformInit, type Layer, type ParamStore } from './model.ts';

export function dense(store: ParamStore, rng: Rng, name: string, inputs: number, outputs: number, activation?: 'relu'): Layer {
  store.add(`${name}.weight`, uniformInit(rng, [inputs, outputs], inputs));
  store.add(`${name}.bias`, uniformInit(rng, [outputs], inputs));
  return {
    name,
    apply(x, param) {
      const flat = x.rank === 2 ? x : x.reshape([x.shape[0], -1]);
      const y = tf.add(tf.matMul(flat as tf.Tensor2D, param(`${name}.weight`) as tf.Tensor2D), param(`${name}.bias`));
      return activation === 'relu' ? tf.relu(y) : y;
    },
  };
}

export interface ConvOptions {
  kernel: number;
  stride?: number;
  padding?: 'same' | 'valid';
  bias?: boolean;
  activation?: 'relu';
  init?: 'uniform' | 'kaiming';
}

export function conv2d(store: ParamStore, rng: Rng, name: string, inChannels: number, outChannels: number, options: ConvOptions): Layer {
  const { kernel, stride = 1, padding = 'same', bias = true, activation, init = 'uniform' } = options;
  const fanIn = kernel * kernel * inChannels;
  const shape = [kernel, kernel, inChannels, outChannels];
  store.add(`${name}.weight`, init === 'kaiming' ? kaimingNormal(rng, shape, fanIn) : uniformInit(rng, shape, fanIn));
  if (bias) store.add(`${name}.bias`, uniformInit(rng, [outChannels], fanIn));
  return {
    name,
    apply(x, param) {
      let y: tf.Tensor = tf.conv2d(x as tf.Tensor4D, param(`${name}.weight`) as tf.Tensor4D, stride, padding);
      if (bias) y = tf.add(y, param(`${name}.bias`));
      return activation === 'relu' ? tf.relu(y) : y;
    },
  };
}

export function maxPool(name: string, size: number): Layer {
  return { name, apply: (x) => tf.maxPool(x as tf.Tensor4D, size, size, 'valid') };
}

/**
 * Batch normalisation over NHWC (or N×F) with running statistics kept as
 * non-trainable parameters (so checkpoints and copies carry them).
 */
export function batchNorm(store: ParamStore, name: string, channels: number, momentum = 0.1, epsilon = 1e-5): Layer {
  store.add(`${name}.gamma`, tf.ones([channels]));
  store.add(`${name}.beta`, tf.zeros([channels]));
  const runningMean = store.add(`${name}.runningMean`, tf.zeros([channels]), false);
  const runningVar = store.add(`${name}.runningVar`, tf.ones([channels]), false);
  return {
    name,
    apply(x, param, context) {
      const axes = x.rank === 4 ? [0, 1, 2] : [0];
      if (context.training) {
        const { mean, variance } = tf.moments(x, axes);
        // Running statistics are updated outside the gradient (PyTorch semantics, unbiased variance).
        const count = axes.reduce((n, axis) => n * x.shape[axis], 1);
        tf.tidy(() => {
          const unbiased = tf.mul(variance, count / Math.max(1, count - 1));
          runningMean.assign(tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)));
          runningVar.assign(tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
        });
        return tf.batchNorm(x, mean, variance, param(`${name}.beta`), param(`${name}.gamma`), epsilon);
      }
      return tf.batchNorm(x, param(`${name}.runningMean`), param(`${name}.runningVar`), param(`${name}.beta`), param(`${name}.gamma`), epsilon);
    },
  };
}
