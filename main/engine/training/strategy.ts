/**
 * The training template. A named strategy is this template plus plugins
 * (Avalanche's BaseTemplate + plugins); subclasses override only what differs:
 * the training data (Cumulative, Joint), the loss (iCaRL) or prediction (Ensemble).
 */
import * as tf from '@tensorflow/tfjs';
import type { Experience, Scenario } from '../data/scenario.ts';
import type { ExperimentSpec } from '../spec/experiment.ts';
import type { ParamValues } from '../spec/schema.ts';
import { WorkbenchError } from '../errors.ts';
import { Rng } from '../rng.ts';
import { Network } from '../models/network.ts';
import type { ForwardContext } from '../models/model.ts';
import { createOptimizer, type Optimizer, type OptimizerState } from './optimizers.ts';
import { TrainingData, type Batch } from './data.ts';
import type { Plugin, PluginCost } from './plugin.ts';
import type { StateTree } from './state.ts';

/** What a strategy gets from the run that hosts it. */
export interface RunContext {
  spec: ExperimentSpec;
  scenario: Scenario;
  seed: number;
  /** The run's training random source (checkpointed). */
  rng: Rng;
  /** Called after every optimisation step. */
  onStep?: (info: StepInfo) => void;
  signal?: AbortSignal;
}

export interface StepInfo {
  experience: number;
  epoch: number;
  /** Step within this experience's training, and how many there will be. */
  step: number;
  steps: number;
  loss: number;
  batchSize: number;
}

/** Network outputs of one step, per task group (one group for single-head models). */
export interface OutputGroup {
  /** Set for multi-head models: the head that produced `logits`. */
  taskId?: number;
  /** Rows of the batch in this group. */
  rows: Int32Array;
  x: tf.Tensor2D;
  logits: tf.Tensor2D;
  /** Targets in the logits' column space (global labels, or labels within the task head). */
  targets: Int32Array;
  /** Global class of each logits column. */
  columnClasses: number[];
}

export interface StepOutputs {
  batch: Batch;
  groups: OutputGroup[];
}

export class Strategy {
  model: Network;
  optimizer: Optimizer;
  readonly plugins: Plugin[] = [];
  experience: Experience | undefined;
  epoch = 0;
  /** Optimisation steps taken over the whole run. */
  iteration = 0;
  /** Samples seen by training steps, for samples/s. */
  trainedSamples = 0;
  readonly extraCost: PluginCost = { bufferSamples: 0, bufferBytes: 0, extraForwardSamples: 0, extraBackwardSamples: 0 };

  constructor(
    readonly run: RunContext,
    readonly params: ParamValues = {},
  ) {
    this.model = this.createNetwork('model');
    this.optimizer = createOptimizer(run.spec.training.optimizer);
  }

  get scenario(): Scenario {
    return this.run.scenario;
  }

  get inputSize(): number {
    return this.run.scenario.inputSize;
  }

  /** A freshly initialised network of the experiment's spec; same `label` + seed = same weights. */
  createNetwork(label: string): Network {
    return new Network(this.run.spec.model, { inputShape: this.scenario.inputShape, numClasses: this.scenario.numClasses }, new Rng(`${this.run.seed}:init:${label}`));
  }

  use(...plugins: Plugin[]): this {
    this.plugins.push(...plugins);
    return this;
  }

  plugin<T extends Plugin>(name: string): T | undefined {
    return this.plugins.find((p) => p.name === name) as T | undefined;
  }

  // ---- the template -------------------------------------------------------------------------

  /** Trains on one experience (or one mini-experience of an online stream). */
  async train(experience: Experience): Promise<void> {
    this.experience = experience;
    this.model.addTask(experience.taskId, experience.classes);
    if (this.run.spec.training.resetOptimizer) this.optimizer.reset();
    for (const plugin of this.plugins) await plugin.beforeTrainingExp?.(this, experience);
    await this.fit(this.trainingData(experience));
    for (const plugin of this.plugins) await plugin.afterTrainingExp?.(this, experience);
  }

  /** The data one experience trains on; Cumulative and Joint override it. */
  trainingData(experience: Experience): TrainingData {
    return TrainingData.ofExperience(experience, this.inputSize);
  }

  /** Epochs (or a fixed number of iterations) of mini-batch steps over `data`. */
  async fit(data: TrainingData, options: { epochs?: number; iterations?: number; batchSize?: number } = {}): Promise<void> {
    const training = this.run.spec.training;
    const online = this.scenario.onlineExperienceSize !== undefined;
    const batchSize = options.batchSize ?? training.batchSize;
    if (data.size === 0) return;
    const perEpoch = Math.ceil(data.size / batchSize);
    const iterations = options.iterations ?? (options.epochs === undefined && !online ? training.iterations : undefined);
    // An explicit `epochs` wins even online (GDumb retrains on its memory for its own epochs).
    const epochs = iterations !== undefined ? Math.ceil(iterations / perEpoch) : (options.epochs ?? (online ? 1 : training.epochs));
    const steps = iterations ?? epochs * perEpoch;
    let step = 0;
    for (this.epoch = 0; this.epoch < epochs && step < steps; this.epoch++) {
      for (const plugin of this.plugins) await plugin.beforeEpoch?.(this);
      const order = this.run.rng.permutation(data.size);
      for (let start = 0; start < data.size && step < steps; start += batchSize) {
        await yieldNow();
        if (this.run.signal?.aborted) throw new WorkbenchError('CANCELLED', 'The run was cancelled');
        const loss = await this.step(data.batch(order, start, Math.min(start + batchSize, data.size)));
        step += 1;
        this.run.onStep?.({ experience: this.experience?.index ?? 0, epoch: this.epoch, step, steps, loss, batchSize });
      }
      for (const plugin of this.plugins) await plugin.afterEpoch?.(this);
    }
  }

  /** One optimisation step; returns the loss. */
  async step(input: Batch): Promise<number> {
    let batch = input;
    for (const plugin of this.plugins) if (plugin.beforeBatch) batch = await plugin.beforeBatch(this, batch);
    const variables = this.trainableVariables();
    const { value, grads } = tf.variableGrads(() => this.loss(this.forwardBatch(batch, true)), variables);
    let gradients = this.namedGradients(grads);
    for (const plugin of this.plugins) {
      if (!plugin.afterBackward) continue;
      const next = await plugin.afterBackward(this, gradients, batch);
      if (next !== gradients) disposeExcept(gradients, next);
      gradients = next;
    }
    this.optimizer.apply(this.parameterMap(), gradients);
    for (const plugin of this.plugins) await plugin.afterUpdate?.(this, gradients);
    tf.dispose(Object.values(gradients));
    const loss = (await value.data())[0];
    value.dispose();
    this.iteration += 1;
    this.trainedSamples += batch.size;
    return loss;
  }

  /**
   * Gradients of the classification loss on `batch` at the current weights, keyed by parameter
   * name, without updating anything (GEM's memory gradients, A-GEM's reference, MIR, Fisher).
   * The caller disposes the returned tensors.
   */
  gradientsOf(batch: Batch, network: Network = this.model): { loss: number; gradients: Record<string, tf.Tensor> } {
    const variables = network.params.names({ trainableOnly: true }).map((name) => network.params.get(name));
    const { value, grads } = tf.variableGrads(() => this.classificationLoss(this.forwardBatch(batch, false, network)), variables);
    const loss = value.dataSync()[0];
    value.dispose();
    const gradients: Record<string, tf.Tensor> = {};
    for (const [variableName, gradient] of Object.entries(grads)) gradients[network.params.shortName(variableName)] = gradient;
    return { loss, gradients };
  }

  /** Task loss plus every plugin's loss term. Runs inside the gradient tape. */
  loss(outputs: StepOutputs): tf.Scalar {
    let total = this.classificationLoss(outputs);
    for (const plugin of this.plugins) {
      const term = plugin.lossTerm?.(this, outputs);
      if (term) total = tf.add(total, term);
    }
    return total;
  }

  /** Mean softmax cross-entropy over the batch (per task head for multi-head models). */
  classificationLoss(outputs: StepOutputs): tf.Scalar {
    const total = outputs.groups.reduce((sum, g) => sum + g.rows.length, 0);
    const sums = outputs.groups.map((g) => tf.sum(crossEntropyPerSample(g.logits, g.targets)));
    return tf.div(tf.addN(sums), total) as tf.Scalar;
  }

  /**
   * Forward pass of a host batch, split by task head where the model has several. `context`
   * adds forward options such as weight overrides (MIR's virtual step) or masks.
   */
  forwardBatch(batch: Batch, training: boolean, network: Network = this.model, context: Omit<ForwardContext, 'training' | 'taskId'> = {}): StepOutputs {
    const inputSize = this.inputSize;
    if (!network.multiHead) {
      const x = tf.tensor2d(batch.x.subarray(0, batch.size * inputSize), [batch.size, inputSize]);
      const logits = network.forward(x, { ...context, training }) as tf.Tensor2D;
      const rows = Int32Array.from({ length: batch.size }, (_, i) => i);
      const columnClasses = Array.from({ length: this.scenario.numClasses }, (_, i) => i);
      return { batch, groups: [{ rows, x, logits, targets: batch.y.slice(0, batch.size), columnClasses }] };
    }
    const byTask = new Map<number, number[]>();
    for (let i = 0; i < batch.size; i++) {
      const task = batch.taskIds[i];
      if (!byTask.has(task)) byTask.set(task, []);
      byTask.get(task)!.push(i);
    }
    const groups: OutputGroup[] = [];
    for (const [taskId, rowList] of byTask) {
      const classes = network.classesOfTask(taskId);
      if (!classes) throw new Error(`no head for task ${taskId}`);
      const rows = Int32Array.from(rowList);
      const data = new Float32Array(rows.length * inputSize);
      rows.forEach((row, k) => data.set(batch.x.subarray(row * inputSize, (row + 1) * inputSize), k * inputSize));
      const x = tf.tensor2d(data, [rows.length, inputSize]);
      const logits = network.forward(x, { ...context, training, taskId }) as tf.Tensor2D;
      const targets = Int32Array.from(rows, (row) => classes.indexOf(batch.y[row]));
      groups.push({ taskId, rows, x, logits, targets, columnClasses: classes });
    }
    return { batch, groups };
  }

  /** Scores over all classes (global order) for evaluation; higher is more likely. */
  predict(x: tf.Tensor2D, _taskId: number): tf.Tensor2D {
    return this.model.globalLogits(x) as tf.Tensor2D;
  }

  trainableVariables(): tf.Variable[] {
    return this.model.params.names({ trainableOnly: true }).map((name) => this.model.params.get(name));
  }

  parameterMap(): Map<string, tf.Variable> {
    return new Map(this.model.params.names({ trainableOnly: true }).map((name) => [name, this.model.params.get(name)]));
  }

  private namedGradients(grads: tf.NamedTensorMap): Record<string, tf.Tensor> {
    const named: Record<string, tf.Tensor> = {};
    for (const [variableName, gradient] of Object.entries(grads)) named[this.model.params.shortName(variableName)] = gradient;
    return named;
  }

  /** Parameters to report in the run's cost (grows for Ensemble, PNN). */
  parameterCount(): number {
    return this.model.parameterCount();
  }

  cost(): PluginCost {
    const total = { ...this.extraCost };
    for (const plugin of this.plugins) {
      const cost = plugin.cost?.() ?? {};
      for (const key of Object.keys(total) as (keyof PluginCost)[]) total[key] += cost[key] ?? 0;
    }
    return total;
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  getState(): StateTree {
    return {
      model: networkState(this.model),
      optimizer: optimizerStateTree(this.optimizer.getState()),
      iteration: this.iteration,
      trainedSamples: this.trainedSamples,
      extraCost: { ...this.extraCost },
      plugins: Object.fromEntries(this.plugins.filter((p) => p.getState).map((p) => [p.name, p.getState!()])),
    };
  }

  setState(state: StateTree): void {
    const tree = state as Record<string, StateTree>;
    loadNetworkState(this.model, tree.model);
    this.optimizer.setState(optimizerStateFromTree(tree.optimizer));
    this.iteration = tree.iteration as number;
    this.trainedSamples = tree.trainedSamples as number;
    Object.assign(this.extraCost, tree.extraCost as object);
    const plugins = tree.plugins as Record<string, StateTree>;
    for (const plugin of this.plugins) if (plugin.setState && plugins[plugin.name] !== undefined) plugin.setState(plugins[plugin.name], this);
  }

  dispose(): void {
    for (const plugin of this.plugins) plugin.dispose?.();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

let lastYield = 0;

/**
 * Lets the event loop run (cancel messages, progress writes) at most every 100 ms: training
 * is otherwise one long chain of resolved promises that never gives I/O a turn.
 */
async function yieldNow(): Promise<void> {
  const now = performance.now();
  if (now - lastYield < 100) return;
  lastYield = now;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/** Per-sample softmax cross-entropy from logits and integer targets. */
export function crossEntropyPerSample(logits: tf.Tensor2D, targets: Int32Array): tf.Tensor1D {
  const labels = tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]);
  return tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

function disposeExcept(old: Record<string, tf.Tensor>, kept: Record<string, tf.Tensor>): void {
  const keep = new Set(Object.values(kept));
  for (const tensor of Object.values(old)) if (!keep.has(tensor)) tensor.dispose();
}

/** A network's parameter values and head structure as a state tree. */
export function networkState(network: Network): StateTree {
  const params: Record<string, StateTree> = {};
  for (const name of network.params.names()) {
    const variable = network.params.get(name);
    params[name] = { shape: variable.shape.slice(), data: variable.dataSync() as Float32Array };
  }
  return { heads: network.headState().map(([task, classes]) => [task, classes]), params };
}

export function loadNetworkState(network: Network, state: StateTree): void {
  const tree = state as { heads: [number, number[]][]; params: Record<string, { shape: number[]; data: Float32Array }> };
  for (const [task, classes] of tree.heads) network.addTask(task, classes);
  for (const [name, { shape, data }] of Object.entries(tree.params)) {
    if (!network.params.has(name)) throw new Error(`checkpoint has parameter ${name} that the model does not`);
    const variable = network.params.get(name);
    if (variable.shape.join('x') !== shape.join('x')) throw new Error(`parameter ${name}: checkpoint shape ${shape} differs from the model's ${variable.shape}`);
    const value = tf.tensor(data, shape);
    variable.assign(value);
    value.dispose();
  }
}

function optimizerStateTree(state: OptimizerState): StateTree {
  return { type: state.type, step: state.step, slots: Object.fromEntries(Object.entries(state.slots).map(([k, v]) => [k, { shape: v.shape, data: v.data }])) };
}

function optimizerStateFromTree(tree: StateTree): OptimizerState {
  return tree as unknown as OptimizerState;
}
