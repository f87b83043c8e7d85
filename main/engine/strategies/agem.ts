/**
 * A-GEM: Averaged GEM (Chaudhry, Ranzato, Rohrbach & Elhoseiny 2019, "Efficient Lifelong
 * Learning with A-GEM", ICLR). References: facebookresearch/agem, Avalanche
 * `training/plugins/agem.py`, Mammoth `models/agem.py`.
 *
 * At every step one reference gradient g_ref is computed on a random sample of `sampleSize`
 * stored samples of the past experiences; if g·g_ref < 0 the gradient becomes
 * g − (g·g_ref / g_ref·g_ref) g_ref, which is orthogonal to g_ref (A-GEM's closed-form
 * projection onto the single averaged constraint).
 *
 * Choices where the references disagree:
 * - The memory: `patternsPerExperience` samples per experience, a uniform random sample of each
 *   experience (Avalanche; the same per-experience memory as our GEM). Mammoth uses one
 *   reservoir buffer over the whole stream.
 * - The reference sample comes from the experiences before the current one only (the paper and
 *   Avalanche update the memory at the end of a task), also in the online setting.
 * - Defaults: 256 patterns per experience and a reference sample of 256 (the paper's MNIST
 *   settings use 256-sample reference batches).
 */
import * as tf from '@tensorflow/tfjs';
import { Strategy } from '../training/strategy.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';
import { EpisodicProjectionPlugin } from './gem.ts';

export interface AgemOptions {
  patternsPerExperience: number;
  sampleSize: number;
}

/** What the last step found, for tests and inspection. */
export interface AgemStepInfo {
  /** g·g_ref before the projection. */
  dot: number;
  projected: boolean;
}

/**
 * A-GEM's projection: when g·g_ref < 0, g − (g·g_ref / g_ref·g_ref) g_ref over the union of the
 * parameters of both (a parameter missing from one is zero there); otherwise undefined.
 */
export function agemProject(gradients: Record<string, tf.Tensor>, reference: Record<string, tf.Tensor>): { dot: number; projected?: Record<string, tf.Tensor> } {
  const shared = Object.keys(gradients).filter((name) => reference[name] !== undefined);
  const [dot, norm] = tf.tidy(() => {
    const zero = tf.scalar(0);
    const d = shared.length ? tf.addN(shared.map((name) => tf.sum(tf.mul(gradients[name], reference[name])))) : zero;
    const n = tf.addN(Object.values(reference).map((r) => tf.sum(tf.square(r))));
    return [d, n];
  });
  const [dotValue, normValue] = [dot.dataSync()[0], norm.dataSync()[0]];
  dot.dispose();
  norm.dispose();
  if (!(dotValue < 0) || normValue === 0) return { dot: dotValue };
  const scale = dotValue / normValue;
  const projected: Record<string, tf.Tensor> = {};
  for (const name of new Set([...Object.keys(gradients), ...Object.keys(reference)])) {
    const g = gradients[name];
    const r = reference[name];
    projected[name] = tf.tidy(() => (g && r ? tf.sub(g, tf.mul(r, scale)) : g ? tf.clone(g) : tf.mul(r, -scale)));
  }
  return { dot: dotValue, projected };
}

export class AgemPlugin extends EpisodicProjectionPlugin {
  readonly name = 'agem';
  lastStep: AgemStepInfo | undefined;

  constructor(
    readonly options: AgemOptions,
    inputSize: number,
  ) {
    super(options.patternsPerExperience, inputSize);
  }

  afterBackward(strategy: Strategy, gradients: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    const current = strategy.experience?.index ?? 0;
    this.lastStep = undefined;
    if (this.memory.sizeBefore(current) === 0) return gradients;
    const sample = this.memory.sample(this.options.sampleSize, strategy.run.rng, current);
    strategy.extraCost.extraForwardSamples += sample.size;
    strategy.extraCost.extraBackwardSamples += sample.size;
    const reference = strategy.gradientsOf(sample).gradients;
    try {
      const { dot, projected } = agemProject(gradients, reference);
      this.lastStep = { dot, projected: projected !== undefined };
      if (!projected) return gradients;
      this.projections += 1;
      return projected;
    } finally {
      tf.dispose(Object.values(reference));
    }
  }

}

registerStrategy({
  id: 'agem',
  name: 'A-GEM (Averaged GEM)',
  family: 'rehearsal',
  description:
    'Keeps patternsPerExperience random samples per experience. At every step it computes one reference gradient on sampleSize random stored samples of past experiences; if the current gradient points against it (negative dot product), the conflicting component is removed: g ← g − (g·g_ref / g_ref·g_ref) g_ref. Far cheaper than GEM: one extra forward and backward pass over sampleSize samples per step, no quadratic program.',
  paper: { authors: 'A. Chaudhry, M. Ranzato, M. Rohrbach, M. Elhoseiny', title: 'Efficient Lifelong Learning with A-GEM', venue: 'ICLR', year: 2019, url: 'https://arxiv.org/abs/1812.00420' },
  params: {
    patternsPerExperience: { type: 'integer', default: 256, minimum: 1, unit: 'samples', description: 'Samples stored per experience' },
    sampleSize: { type: 'integer', default: 256, minimum: 1, unit: 'samples', description: 'Stored samples drawn for the reference gradient at each step' },
  },
  scenarios: ALL_SCENARIOS,
  online: true,
  create: (run, params) =>
    new Strategy(run, params).use(new AgemPlugin({ patternsPerExperience: params.patternsPerExperience as number, sampleSize: params.sampleSize as number }, run.scenario.inputSize)),
});
