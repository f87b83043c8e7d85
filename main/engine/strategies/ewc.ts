/**
 * EWC: Elastic Weight Consolidation (Kirkpatrick et al. 2017, "Overcoming catastrophic
 * forgetting in neural networks", PNAS) and online EWC (Schwarz et al. 2018, "Progress &
 * Compress", ICML). References: Avalanche `training/plugins/ewc.py`, Mammoth `models/ewc_on.py`,
 * GMvandeVen/continual-learning `models/cl/continual_learner.py`.
 *
 * Choices where the references disagree:
 * - Fisher: the empirical Fisher with the TRUE label, from per-sample squared gradients of the
 *   log-likelihood, averaged over `fisherSamples` random samples of the experience (GMvandeVen's
 *   `fisher_labels='true'`; Mammoth weights each sample by its predicted probability, we do not).
 *   `fisher: 'mini-batch'` is Avalanche's faster approximation: the mean over mini-batches of the
 *   squared mean mini-batch gradient (smaller by about the batch size, so it needs a larger λ).
 * - Penalty λ/2 Σ F (θ − θ*)² (the paper and GMvandeVen; Mammoth and Avalanche drop the ½).
 * - Online mode: F ← γ F + F_new and one anchor θ* = the latest weights (GMvandeVen, Mammoth).
 */
import * as tf from '@tensorflow/tfjs';
import type { Experience } from '../data/scenario.ts';
import type { Network } from '../models/network.ts';
import { Rng } from '../rng.ts';
import type { Plugin } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import { Strategy } from '../training/strategy.ts';
import { TrainingData } from '../training/data.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';

// ---- named parameter tensors (anchors and importances), shared with SI -------------------------

/** One tensor per parameter name: an anchor θ*, an importance (Fisher, Ω) or an accumulator. */
export type ParamTensors = Map<string, tf.Tensor>;

/** Copies of the current values of `network`'s trainable parameters (or of `names`). */
export function snapshotParameters(network: Network, names: Iterable<string> = network.params.names({ trainableOnly: true })): ParamTensors {
  const snapshot: ParamTensors = new Map();
  for (const name of names) snapshot.set(name, tf.clone(network.params.get(name)));
  return snapshot;
}

export function disposeParamTensors(tensors: ParamTensors | undefined): void {
  if (!tensors) return;
  for (const tensor of tensors.values()) tensor.dispose();
  tensors.clear();
}

export function paramTensorsState(tensors: ParamTensors): StateTree {
  const tree: Record<string, StateTree> = {};
  for (const [name, tensor] of tensors) tree[name] = { shape: tensor.shape.slice(), data: tensor.dataSync() as Float32Array };
  return tree;
}

export function paramTensorsFromState(state: StateTree): ParamTensors {
  const tensors: ParamTensors = new Map();
  for (const [name, { shape, data }] of Object.entries(state as Record<string, { shape: number[]; data: Float32Array }>)) tensors.set(name, tf.tensor(data, shape));
  return tensors;
}

/** Σ importance ⊙ (θ − anchor)² over the parameters that have both (called inside the tape). */
export function quadraticPenalty(network: Network, importance: ParamTensors, anchor: ParamTensors): tf.Scalar | undefined {
  const terms: tf.Tensor[] = [];
  for (const [name, weight] of importance) {
    const reference = anchor.get(name);
    if (!reference || !network.params.has(name)) continue;
    terms.push(tf.sum(tf.mul(weight, tf.square(tf.sub(network.params.get(name), reference)))));
  }
  return terms.length ? (tf.addN(terms) as tf.Scalar) : undefined;
}

// ---- Fisher information -----------------------------------------------------------------------

export type FisherEstimate = 'per-sample' | 'mini-batch';

export interface FisherOptions {
  estimate: FisherEstimate;
  /** Samples drawn (without replacement) from `data`; all of them when larger than the data. */
  samples: number;
  /** Mini-batch size for the 'mini-batch' estimate. */
  batchSize: number;
  rng: Rng;
}

/**
 * The diagonal empirical Fisher at the current weights: the mean over samples of the squared
 * gradient of −log p(y|x) with the true label y ('per-sample'), or the mean over mini-batches
 * of the squared mean gradient ('mini-batch'). Returns the Fisher per parameter and how many
 * forward/backward sample passes it took.
 */
export function estimateFisher(strategy: Strategy, data: TrainingData, options: FisherOptions): { fisher: ParamTensors; passes: number } {
  const count = Math.min(options.samples, data.size);
  const order = options.rng.sample(data.size, count);
  const network = strategy.model;
  const names = network.params.names({ trainableOnly: true });
  const variables = names.map((name) => network.params.get(name));
  const sums = new Map(names.map((name) => [name, tf.variable(tf.zerosLike(network.params.get(name)), false)]));
  const chunk = options.estimate === 'per-sample' ? 1 : Math.max(1, options.batchSize);
  let groups = 0;
  for (let start = 0; start < count; start += chunk) {
    const batch = data.batch(order, start, Math.min(start + chunk, count));
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => strategy.classificationLoss(strategy.forwardBatch(batch, false)), variables);
      for (const [variableName, gradient] of Object.entries(grads)) {
        const sum = sums.get(network.params.shortName(variableName))!;
        sum.assign(tf.add(sum, tf.square(gradient)));
      }
    });
    groups += 1;
  }
  const fisher: ParamTensors = new Map();
  for (const [name, sum] of sums) {
    fisher.set(name, tf.div(sum, Math.max(1, groups)));
    sum.dispose();
  }
  return { fisher, passes: count };
}

// ---- the plugin -------------------------------------------------------------------------------

export type EwcMode = 'separate' | 'online';

export interface EwcOptions {
  lambda: number;
  mode: EwcMode;
  gamma: number;
  fisher: FisherEstimate;
  fisherSamples: number;
}

interface Consolidation {
  anchor: ParamTensors;
  fisher: ParamTensors;
}

/**
 * Σ_k F_k (θ − θ*_k)² folded into one quadratic F (θ − a)² + constant, with F = Σ_k F_k and
 * a = Σ_k F_k θ*_k / F: the same value and gradient, at the per-step cost of a single penalty.
 */
interface CombinedPenalty {
  fisher: ParamTensors;
  anchor: ParamTensors;
  constant: number;
  /** False when the tensors are those of the only consolidation (not disposed with it). */
  owned: boolean;
}

export class EwcPlugin implements Plugin {
  readonly name = 'ewc';
  /** Separate mode: one per past experience. Online mode: at most one. */
  private consolidations: Consolidation[] = [];
  private combined: CombinedPenalty | undefined;

  constructor(readonly options: EwcOptions) {}

  /** The stored Fisher matrices and anchors (for tests and inspection; do not dispose). */
  get penalties(): readonly { anchor: ReadonlyMap<string, tf.Tensor>; fisher: ReadonlyMap<string, tf.Tensor> }[] {
    return this.consolidations;
  }

  lossTerm(strategy: Strategy): tf.Scalar | undefined {
    if (!this.combined) return undefined;
    const term = quadraticPenalty(strategy.model, this.combined.fisher, this.combined.anchor);
    return term ? (tf.mul(tf.add(term, this.combined.constant), this.options.lambda / 2) as tf.Scalar) : undefined;
  }

  afterTrainingExp(strategy: Strategy, experience: Experience): void {
    // The Fisher of the last experience would never be used.
    if (experience.index >= strategy.scenario.experiences.length - 1) return;
    const data = strategy.trainingData(experience);
    const { fisher, passes } = estimateFisher(strategy, data, {
      estimate: this.options.fisher,
      samples: this.options.fisherSamples,
      batchSize: strategy.run.spec.training.batchSize,
      // A stream of its own: the Fisher sample does not shift the run's training order.
      rng: new Rng(`${strategy.run.seed}:ewc:${experience.index}`),
    });
    strategy.extraCost.extraForwardSamples += passes;
    strategy.extraCost.extraBackwardSamples += passes;
    const anchor = snapshotParameters(strategy.model);
    if (this.options.mode === 'separate' || this.consolidations.length === 0) {
      this.consolidations.push({ anchor, fisher });
    } else {
      // Online EWC: F <- γ F + F_new, one anchor at the latest weights.
      const previous = this.consolidations[0];
      for (const [name, value] of fisher) {
        const old = previous.fisher.get(name);
        if (!old) continue;
        fisher.set(name, tf.tidy(() => tf.add(tf.mul(old, this.options.gamma), value)));
        value.dispose();
      }
      for (const [name, old] of previous.fisher) if (!fisher.has(name)) fisher.set(name, tf.mul(old, this.options.gamma));
      this.disposeConsolidations();
      this.consolidations = [{ anchor, fisher }];
    }
    this.combine();
  }

  private combine(): void {
    this.disposeCombined();
    if (this.consolidations.length === 0) return;
    if (this.consolidations.length === 1) {
      // Share the tensors: nothing to fold.
      const [only] = this.consolidations;
      this.combined = { fisher: only.fisher, anchor: only.anchor, constant: 0, owned: false };
      return;
    }
    const fisher: ParamTensors = new Map();
    const anchor: ParamTensors = new Map();
    let constant = 0;
    const names = new Set(this.consolidations.flatMap((c) => [...c.fisher.keys()].filter((name) => c.anchor.has(name))));
    for (const name of names) {
      const parts = this.consolidations.filter((c) => c.fisher.has(name) && c.anchor.has(name));
      const [total, mean, rest] = tf.tidy(() => {
        const sum = tf.addN(parts.map((c) => c.fisher.get(name)!));
        const weighted = tf.addN(parts.map((c) => tf.mul(c.fisher.get(name)!, c.anchor.get(name)!)));
        // Where the experiences give (next to) no weight the anchor is irrelevant: use the latest
        // one (the threshold keeps the division away from denormals).
        const weighty = tf.greater(sum, 1e-30);
        const a = tf.where(weighty, tf.div(weighted, tf.where(weighty, sum, tf.onesLike(sum))), parts[parts.length - 1].anchor.get(name)!);
        const residual = tf.addN(parts.map((c) => tf.sum(tf.mul(c.fisher.get(name)!, tf.square(tf.sub(c.anchor.get(name)!, a))))));
        return [sum, a, residual];
      });
      fisher.set(name, total);
      anchor.set(name, mean);
      constant += rest.dataSync()[0];
      rest.dispose();
    }
    this.combined = { fisher, anchor, constant, owned: true };
  }

  getState(): StateTree {
    return this.consolidations.map(({ anchor, fisher }) => ({ anchor: paramTensorsState(anchor), fisher: paramTensorsState(fisher) }));
  }

  setState(state: StateTree): void {
    this.dispose();
    this.consolidations = (state as { anchor: StateTree; fisher: StateTree }[]).map((entry) => ({
      anchor: paramTensorsFromState(entry.anchor),
      fisher: paramTensorsFromState(entry.fisher),
    }));
    this.combine();
  }

  private disposeCombined(): void {
    if (this.combined?.owned) {
      disposeParamTensors(this.combined.fisher);
      disposeParamTensors(this.combined.anchor);
    }
    this.combined = undefined;
  }

  private disposeConsolidations(): void {
    for (const { anchor, fisher } of this.consolidations) {
      disposeParamTensors(anchor);
      disposeParamTensors(fisher);
    }
    this.consolidations = [];
  }

  dispose(): void {
    this.disposeCombined();
    this.disposeConsolidations();
  }
}

registerStrategy({
  id: 'ewc',
  name: 'EWC (Elastic Weight Consolidation)',
  family: 'regularisation',
  description:
    'After each experience, estimates the diagonal Fisher information at the learnt weights θ* and adds λ/2 Σ F (θ − θ*)² to the loss, so weights important for earlier experiences move less. Our choice: the empirical Fisher with the true label from per-sample squared gradients over a random sample of the experience ("mini-batch" is the faster approximation of Avalanche). Separate mode keeps one penalty per past experience; online mode (Schwarz et al. 2018) keeps one anchor and F ← γF + F_new.',
  paper: { authors: 'J. Kirkpatrick, R. Pascanu, N. Rabinowitz, et al.', title: 'Overcoming catastrophic forgetting in neural networks', venue: 'PNAS', year: 2017, url: 'https://arxiv.org/abs/1612.00796' },
  params: {
    lambda: { type: 'number', default: 1e9, minimum: 0, logScale: true, description: 'Penalty strength λ. The empirical Fisher shrinks as the model grows confident, so long Adam runs need a large λ (GMvandeVen, Split MNIST: 1e5 task-IL, 1e9 class-IL) and short SGD runs a small one (1e2 to 1e3)' },
    mode: { type: 'enum', values: ['separate', 'online'], default: 'separate', description: 'separate: one penalty per past experience; online: one anchor and a decayed running Fisher' },
    gamma: { type: 'number', default: 1, minimum: 0, maximum: 1, description: 'Online mode: decay γ of the previous Fisher (F ← γF + F_new)' },
    fisher: { type: 'enum', values: ['per-sample', 'mini-batch'], default: 'per-sample', description: 'Fisher estimate: mean of per-sample squared gradients (exact empirical Fisher) or of squared mini-batch gradients (faster, smaller)' },
    fisherSamples: { type: 'integer', default: 200, minimum: 1, unit: 'samples', description: 'Samples of the experience used to estimate the Fisher' },
  },
  scenarios: ALL_SCENARIOS,
  online: false,
  create: (run, params) =>
    new Strategy(run, params).use(
      new EwcPlugin({
        lambda: params.lambda as number,
        mode: params.mode as EwcMode,
        gamma: params.gamma as number,
        fisher: params.fisher as FisherEstimate,
        fisherSamples: params.fisherSamples as number,
      }),
    ),
});
