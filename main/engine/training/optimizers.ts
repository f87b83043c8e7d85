/**
 * SGD (with momentum, PyTorch semantics) and Adam over named parameters.
 * Our own implementations so that the state is plain, named and serialisable
 * (checkpoints, per-experience reset) and new parameters (heads, columns) can
 * join at any time.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../spec/experiment.ts';

export interface OptimizerState {
  type: 'sgd' | 'adam';
  step: number;
  /** Named slot tensors, e.g. `fc1.weight#m`. */
  slots: Record<string, { shape: number[]; data: Float32Array }>;
}

export interface Optimizer {
  readonly spec: OptimizerSpec;
  /** Applies one update; `gradients` keyed by parameter name. Disposes nothing it was given. */
  apply(parameters: Map<string, tf.Variable>, gradients: Record<string, tf.Tensor>, learningRate?: number): void;
  reset(): void;
  /** Forgets the state of one parameter (e.g. a re-initialised layer). */
  forget(name: string): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
  dispose(): void;
}

export function createOptimizer(spec: OptimizerSpec): Optimizer {
  return new SlotOptimizer(spec);
}

class SlotOptimizer implements Optimizer {
  private slots = new Map<string, tf.Variable>();
  private step = 0;

  constructor(readonly spec: OptimizerSpec) {}

  private slot(key: string, like: tf.Tensor): tf.Variable {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = tf.variable(tf.zerosLike(like), false);
      this.slots.set(key, slot);
    }
    return slot;
  }

  apply(parameters: Map<string, tf.Variable>, gradients: Record<string, tf.Tensor>, learningRate = this.spec.lr): void {
    const { type, weightDecay, momentum = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = this.spec;
    this.step += 1;
    const step = this.step;
    tf.tidy(() => {
      for (const [name, gradient] of Object.entries(gradients)) {
        const parameter = parameters.get(name);
        if (!parameter) continue;
        let g: tf.Tensor = gradient;
        if (weightDecay > 0) g = tf.add(g, tf.mul(parameter, weightDecay));
        if (type === 'sgd') {
          if (momentum > 0) {
            const velocity = this.slot(`${name}#v`, parameter);
            // PyTorch: v = momentum * v + g (the first step starts from v = g).
            velocity.assign(tf.add(tf.mul(velocity, momentum), g));
            g = velocity;
          }
          parameter.assign(tf.sub(parameter, tf.mul(g, learningRate)));
        } else {
          const m = this.slot(`${name}#m`, parameter);
          const v = this.slot(`${name}#v`, parameter);
          m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
          v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
          const correction1 = 1 - beta1 ** step;
          const correction2 = 1 - beta2 ** step;
          const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
          parameter.assign(tf.sub(parameter, tf.mul(update, learningRate)));
        }
      }
    });
  }

  reset(): void {
    this.dispose();
    this.step = 0;
  }

  forget(name: string): void {
    for (const suffix of ['#m', '#v']) {
      this.slots.get(name + suffix)?.dispose();
      this.slots.delete(name + suffix);
    }
  }

  getState(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [key, slot] of this.slots) slots[key] = { shape: slot.shape.slice(), data: slot.dataSync() as Float32Array };
    return { type: this.spec.type, step: this.step, slots };
  }

  setState(state: OptimizerState): void {
    this.dispose();
    this.step = state.step;
    for (const [key, { shape, data }] of Object.entries(state.slots)) this.slots.set(key, tf.variable(tf.tensor(data, shape), false));
  }

  dispose(): void {
    for (const slot of this.slots.values()) slot.dispose();
    this.slots.clear();
  }
}
