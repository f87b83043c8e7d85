/**
 * SI: Synaptic Intelligence (Zenke, Poole & Ganguli 2017, "Continual Learning Through Synaptic
 * Intelligence", ICML). References: ganguli-lab/pathint, Mammoth `models/si.py`, Avalanche
 * `training/plugins/synaptic_intelligence.py`, GMvandeVen/continual-learning.
 *
 * Per step ω += −g ⊙ Δθ, with g the gradient of the loss WITHOUT the SI penalty (the paper and
 * pathint use the unregularised gradient; GMvandeVen uses the total one; Mammoth approximates
 * ω by lr·g²) and Δθ the parameter change the optimizer actually made. At the end of each
 * experience Ω += ω / (Δθ_total² + ξ), with Δθ_total the change over the experience, then ω = 0
 * and θ* = θ. Penalty c Σ Ω (θ − θ*)² (no ½, as in pathint and Mammoth). No clamping of Ω.
 *
 * How g is obtained without a second backward pass: the template differentiates the total loss;
 * SI's own penalty has the closed-form gradient 2cΩ(θ − θ*), which is subtracted in
 * `afterBackward`. In the `si` strategy (no other loss term) g is then exactly the task-loss
 * gradient; combined with other plugins it is the gradient of everything but SI's penalty, taken
 * before any later plugin projects or masks it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Plugin } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import { Strategy } from '../training/strategy.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';
import { disposeParamTensors, paramTensorsFromState, paramTensorsState, quadraticPenalty, snapshotParameters, type ParamTensors } from './ewc.ts';

export interface SiOptions {
  /** Penalty strength c. */
  c: number;
  /** Damping ξ of the importance denominator. */
  xi: number;
}

export class SiPlugin implements Plugin {
  readonly name = 'si';
  /** Ω: consolidated importance per parameter. */
  private importance: ParamTensors = new Map();
  /** θ*: weights at the end of the previous experience. */
  private anchor: ParamTensors = new Map();
  /** ω: running path integral of the current experience. */
  private omega: ParamTensors = new Map();
  /** Weights at the start of the current experience (for Δθ_total). */
  private start: ParamTensors = new Map();
  /** Between afterBackward and afterUpdate: the task gradient and the weights before the step. */
  private pendingGradient: ParamTensors = new Map();
  private pendingWeights: ParamTensors = new Map();

  constructor(readonly options: SiOptions) {}

  /** Ω and the running ω (copies are not made: do not dispose). For tests and inspection. */
  get importances(): ReadonlyMap<string, tf.Tensor> {
    return this.importance;
  }

  get pathIntegral(): ReadonlyMap<string, tf.Tensor> {
    return this.omega;
  }

  beforeTrainingExp(strategy: Strategy): void {
    disposeParamTensors(this.start);
    this.start = snapshotParameters(strategy.model);
  }

  lossTerm(strategy: Strategy): tf.Scalar | undefined {
    const penalty = quadraticPenalty(strategy.model, this.importance, this.anchor);
    return penalty ? (tf.mul(penalty, this.options.c) as tf.Scalar) : undefined;
  }

  afterBackward(strategy: Strategy, gradients: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    const c = this.options.c;
    // Left over only if the previous step failed between backward and update.
    disposeParamTensors(this.pendingGradient);
    disposeParamTensors(this.pendingWeights);
    for (const [name, gradient] of Object.entries(gradients)) {
      const variable = strategy.model.params.get(name);
      const weight = this.importance.get(name);
      const anchor = this.anchor.get(name);
      // Remove SI's own penalty gradient 2cΩ(θ − θ*) to get the unregularised gradient.
      this.pendingGradient.set(name, weight && anchor && c !== 0 ? tf.tidy(() => tf.sub(gradient, tf.mul(tf.mul(weight, tf.sub(variable, anchor)), 2 * c))) : tf.clone(gradient));
      this.pendingWeights.set(name, tf.clone(variable));
    }
    return gradients;
  }

  afterUpdate(strategy: Strategy): void {
    for (const [name, gradient] of this.pendingGradient) {
      const before = this.pendingWeights.get(name)!;
      const previous = this.omega.get(name);
      const next = tf.tidy(() => {
        // −g·Δθ = g·(θ_before − θ_after)
        const contribution = tf.mul(gradient, tf.sub(before, strategy.model.params.get(name)));
        return previous ? tf.add(previous, contribution) : contribution;
      });
      previous?.dispose();
      this.omega.set(name, next);
    }
    disposeParamTensors(this.pendingGradient);
    disposeParamTensors(this.pendingWeights);
  }

  afterTrainingExp(strategy: Strategy): void {
    const xi = this.options.xi;
    for (const [name, omega] of this.omega) {
      const start = this.start.get(name);
      if (!start) continue;
      const previous = this.importance.get(name);
      const next = tf.tidy(() => {
        const delta = tf.sub(strategy.model.params.get(name), start);
        const added = tf.div(omega, tf.add(tf.square(delta), xi));
        return previous ? tf.add(previous, added) : added;
      });
      previous?.dispose();
      this.importance.set(name, next);
    }
    disposeParamTensors(this.omega);
    disposeParamTensors(this.anchor);
    this.anchor = snapshotParameters(strategy.model);
  }

  getState(): StateTree {
    return {
      importance: paramTensorsState(this.importance),
      anchor: paramTensorsState(this.anchor),
      omega: paramTensorsState(this.omega),
      start: paramTensorsState(this.start),
    };
  }

  setState(state: StateTree): void {
    this.dispose();
    const tree = state as Record<string, StateTree>;
    this.importance = paramTensorsFromState(tree.importance);
    this.anchor = paramTensorsFromState(tree.anchor);
    this.omega = paramTensorsFromState(tree.omega);
    this.start = paramTensorsFromState(tree.start);
  }

  dispose(): void {
    for (const tensors of [this.importance, this.anchor, this.omega, this.start, this.pendingGradient, this.pendingWeights]) disposeParamTensors(tensors);
  }
}

registerStrategy({
  id: 'si',
  name: 'SI (Synaptic Intelligence)',
  family: 'regularisation',
  description:
    'Tracks online how much each weight contributed to lowering the loss: ω += −g·Δθ at every step (g the gradient of the loss without the SI penalty, Δθ the actual update). After each experience Ω += ω / (Δθ_total² + ξ) and θ* = θ; the loss gets c Σ Ω (θ − θ*)². No extra forward or backward passes.',
  paper: { authors: 'F. Zenke, B. Poole, S. Ganguli', title: 'Continual Learning Through Synaptic Intelligence', venue: 'ICML', year: 2017, url: 'https://arxiv.org/abs/1703.04200' },
  params: {
    c: { type: 'number', default: 10, minimum: 0, logScale: true, description: 'Penalty strength c (GMvandeVen: 10 for Split-MNIST task-IL, 5000 for class-IL)' },
    xi: { type: 'number', default: 0.1, minimum: 0, exclusiveMinimum: true, logScale: true, description: 'Damping ξ in Ω += ω / (Δθ² + ξ)' },
  },
  scenarios: ALL_SCENARIOS,
  online: false,
  create: (run, params) => new Strategy(run, params).use(new SiPlugin({ c: params.c as number, xi: params.xi as number })),
});
