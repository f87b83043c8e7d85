/**
 * The networks of the catalogue (MLP, small CNN, reduced ResNet-18) as a trunk of
 * named layers followed by a single head over all classes or one head per task.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../spec/experiment.ts';
import type { Rng } from '../rng.ts';
import { ParamStore, type ForwardContext, type Layer, type ParamReader } from './model.ts';
import { batchNorm, conv2d, dense, maxPool } from './layers.ts';

/** The penultimate layer's name: every network's trunk ends in it (iCaRL features, latent cuts). */
export const FEATURES_LAYER = 'features';

export interface NetworkShape {
  inputShape: [number, number, number];
  numClasses: number;
}

export class Network {
  readonly params = new ParamStore();
  readonly trunk: Layer[];
  readonly featureSize: number;
  /** Multi-head: classes (global ids) of each task head, in head output order. */
  private readonly headClasses = new Map<number, number[]>();
  private readonly initRng: Rng;

  constructor(
    readonly spec: ModelSpec,
    readonly shape: NetworkShape,
    rng: Rng,
  ) {
    this.initRng = rng;
    const built = buildTrunk(this.params, rng, spec, shape.inputShape);
    this.trunk = built.layers;
    this.featureSize = built.featureSize;
    if (spec.head === 'single') this.addHeadParams('head', shape.numClasses);
  }

  get multiHead(): boolean {
    return this.spec.head === 'multi';
  }

  /** Names of the cut points, input side first. */
  get layerNames(): string[] {
    return [...this.trunk.map((layer) => layer.name), 'head'];
  }

  /** Multi-head: creates the head of a task the first time it appears (no-op otherwise). */
  addTask(taskId: number, classes: number[]): void {
    if (!this.multiHead || this.headClasses.has(taskId)) return;
    this.headClasses.set(taskId, classes.slice());
    this.addHeadParams(`head.${taskId}`, classes.length);
  }

  tasks(): number[] {
    return [...this.headClasses.keys()];
  }

  classesOfTask(taskId: number): number[] | undefined {
    return this.headClasses.get(taskId);
  }

  private addHeadParams(name: string, outputs: number): void {
    dense(this.params, this.initRng, name, this.featureSize, outputs);
  }

  private reader(context: ForwardContext): ParamReader {
    return (name) => {
      const value = context.weights?.[name] ?? this.params.get(name);
      const mask = context.masks?.[name];
      return mask ? tf.mul(value, mask) : value;
    };
  }

  /** Runs the trunk (respecting startAfter/stopAfter/capture) and returns the last activation. */
  features(x: tf.Tensor, context: ForwardContext = {}): tf.Tensor {
    const param = this.reader(context);
    let started = context.startAfter === undefined;
    let h = x;
    if (started && x.rank === 2 && this.spec.type !== 'mlp') h = x.reshape([x.shape[0], ...this.shape.inputShape]);
    for (const layer of this.trunk) {
      if (!started) {
        if (layer.name === context.startAfter) started = true;
        continue;
      }
      h = layer.apply(h, param, context);
      if (context.capture?.includes(layer.name)) (context.captured ??= {})[layer.name] = h;
      if (layer.name === context.stopAfter) return h;
    }
    if (!started) throw new Error(`unknown layer ${context.startAfter}`);
    return h;
  }

  /**
   * Logits. Single head: [B, numClasses]. Multi-head with `taskId`: that head's own
   * [B, classesOfTask] outputs (labels within the task).
   */
  forward(x: tf.Tensor, context: ForwardContext = {}): tf.Tensor {
    const h = this.features(x, context);
    if (context.stopAfter && context.stopAfter !== 'head') return h;
    return this.head(h, context);
  }

  /** Applies the head to trunk features. */
  head(features: tf.Tensor, context: ForwardContext = {}): tf.Tensor {
    const param = this.reader(context);
    const name = this.multiHead ? `head.${requireTask(context)}` : 'head';
    if (this.multiHead && !this.params.has(`${name}.weight`)) throw new Error(`no head for task ${context.taskId}`);
    return tf.add(tf.matMul(features as tf.Tensor2D, param(`${name}.weight`) as tf.Tensor2D), param(`${name}.bias`));
  }

  /**
   * Logits over all classes in global class order, for evaluation. Multi-head: every
   * existing head's outputs placed at its classes; classes without a head get -1e9.
   */
  globalLogits(x: tf.Tensor, context: ForwardContext = {}): tf.Tensor {
    if (!this.multiHead) return this.forward(x, context);
    return tf.tidy(() => {
      const features = this.features(x, context);
      const batch = x.shape[0];
      const columns: tf.Tensor[] = [];
      const placed = new Array<number>(this.shape.numClasses).fill(-1);
      let offset = 0;
      for (const [taskId, classes] of this.headClasses) {
        columns.push(this.head(features, { ...context, taskId }));
        classes.forEach((c, k) => (placed[c] = offset + k));
        offset += classes.length;
      }
      const fill = tf.fill([batch, 1], -1e9);
      const all = tf.concat([...columns, fill], 1);
      const order = placed.map((p) => (p < 0 ? offset : p));
      return tf.gather(all, tf.tensor1d(order, 'int32'), 1);
    });
  }

  parameterCount(): number {
    return this.params.count({ trainableOnly: true });
  }

  /** Copies every parameter value (and head structure) from another network of the same spec. */
  copyFrom(other: Network): void {
    for (const [taskId, classes] of other.headClasses) this.addTask(taskId, classes);
    for (const name of other.params.names()) this.params.get(name).assign(other.params.get(name));
  }

  /** A new network with the same spec and values (e.g. LwF's teacher). */
  clone(rng: Rng): Network {
    const copy = new Network(this.spec, this.shape, rng);
    copy.copyFrom(this);
    return copy;
  }

  /** Serialisable head structure, for checkpoints. */
  headState(): [number, number[]][] {
    return [...this.headClasses];
  }

  dispose(): void {
    this.params.dispose();
  }
}

function requireTask(context: ForwardContext): number {
  if (context.taskId === undefined) throw new Error('a multi-head model needs the task id');
  return context.taskId;
}

function buildTrunk(store: ParamStore, rng: Rng, spec: ModelSpec, inputShape: [number, number, number]): { layers: Layer[]; featureSize: number } {
  const [height, width, channels] = inputShape;
  if (spec.type === 'mlp') {
    const layers: Layer[] = [];
    let inputs = height * width * channels;
    spec.hidden.forEach((units, i) => {
      const last = i === spec.hidden.length - 1;
      layers.push(dense(store, rng, last ? FEATURES_LAYER : `fc${i + 1}`, inputs, units, 'relu'));
      inputs = units;
    });
    if (layers.length === 0) layers.push({ name: FEATURES_LAYER, apply: (x) => x.reshape([x.shape[0], -1]) });
    return { layers, featureSize: inputs };
  }
  if (spec.type === 'cnn') {
    const layers: Layer[] = [];
    let inChannels = channels;
    let size = [height, width];
    spec.channels.forEach((outChannels, i) => {
      layers.push(conv2d(store, rng, `conv${i + 1}`, inChannels, outChannels, { kernel: 3, activation: 'relu' }));
      layers.push(maxPool(`pool${i + 1}`, 2));
      size = size.map((s) => Math.floor(s / 2));
      inChannels = outChannels;
    });
    const flat = size[0] * size[1] * inChannels;
    layers.push(dense(store, rng, FEATURES_LAYER, flat, 128, 'relu'));
    return { layers, featureSize: 128 };
  }
  return reducedResNet18(store, rng, channels, spec.width);
}

/**
 * Reduced ResNet-18 of the GEM paper (Lopez-Paz & Ranzato 2017): BasicBlocks [2, 2, 2, 2]
 * with widths nf, 2nf, 4nf, 8nf (nf = 20), batch norm, then global average pooling.
 */
function reducedResNet18(store: ParamStore, rng: Rng, inChannels: number, nf: number): { layers: Layer[]; featureSize: number } {
  const layers: Layer[] = [];
  const stem = conv2d(store, rng, 'conv1', inChannels, nf, { kernel: 3, bias: false, init: 'kaiming' });
  const stemNorm = batchNorm(store, 'bn1', nf);
  layers.push({ name: 'stem', apply: (x, p, c) => tf.relu(stemNorm.apply(stem.apply(x, p, c), p, c)) });
  let channels = nf;
  const stages: [number, number][] = [[nf, 1], [nf * 2, 2], [nf * 4, 2], [nf * 8, 2]];
  stages.forEach(([outChannels, stride], stage) => {
    for (let block = 0; block < 2; block++) {
      const name = `layer${stage + 1}.${block}`;
      layers.push(basicBlock(store, rng, name, channels, outChannels, block === 0 ? stride : 1));
      channels = outChannels;
    }
  });
  layers.push({ name: FEATURES_LAYER, apply: (x) => tf.mean(x, [1, 2]) });
  return { layers, featureSize: channels };
}

function basicBlock(store: ParamStore, rng: Rng, name: string, inChannels: number, outChannels: number, stride: number): Layer {
  const conv1 = conv2d(store, rng, `${name}.conv1`, inChannels, outChannels, { kernel: 3, stride, bias: false, init: 'kaiming' });
  const bn1 = batchNorm(store, `${name}.bn1`, outChannels);
  const conv2 = conv2d(store, rng, `${name}.conv2`, outChannels, outChannels, { kernel: 3, bias: false, init: 'kaiming' });
  const bn2 = batchNorm(store, `${name}.bn2`, outChannels);
  const projection = stride !== 1 || inChannels !== outChannels;
  const shortcut = projection ? conv2d(store, rng, `${name}.shortcut`, inChannels, outChannels, { kernel: 1, stride, bias: false, init: 'kaiming' }) : undefined;
  const shortcutNorm = projection ? batchNorm(store, `${name}.shortcutBn`, outChannels) : undefined;
  return {
    name,
    apply(x, p, c) {
      const main = bn2.apply(conv2.apply(tf.relu(bn1.apply(conv1.apply(x, p, c), p, c)), p, c), p, c);
      const skip = shortcut && shortcutNorm ? shortcutNorm.apply(shortcut.apply(x, p, c), p, c) : x;
      return tf.relu(tf.add(main, skip));
    },
  };
}
