/**
 * Functional models: explicit named parameters and a `forward(x, context)`.
 * Not Keras LayersModel, because the CL methods need direct access to single
 * parameters (EWC, SI, PackNet), multiplicative masks (HAT, Piggyback, SupSup),
 * weights produced elsewhere (hypernetworks), per-task heads and columns, and
 * cutting or injecting activations at a named layer (latent replay).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.ts';

/** Per-call options of a forward pass. */
export interface ForwardContext {
  /** Training mode (batch-norm statistics update). Default false. */
  training?: boolean;
  /** Which task head to use for multi-head models; required for them when training. */
  taskId?: number;
  /** Multiplicative masks by parameter name: the layer uses mask ⊙ W. */
  masks?: Record<string, tf.Tensor>;
  /** Replacement tensors by parameter name (e.g. weights produced by a hypernetwork). */
  weights?: Record<string, tf.Tensor>;
  /** Record the activation after each named layer in this list into `captured`. */
  capture?: string[];
  captured?: Record<string, tf.Tensor>;
  /** The input is the activation after this layer (latent replay): start after it. */
  startAfter?: string;
  /** Stop after this layer and return its activation instead of logits. */
  stopAfter?: string;
}

/** How a layer reads a parameter, honouring replacements and masks. */
export type ParamReader = (name: string) => tf.Tensor;

export interface Layer {
  /** Cut point name, e.g. `fc1`, `conv2`, `features`. */
  name: string;
  apply(x: tf.Tensor, param: ParamReader, context: ForwardContext): tf.Tensor;
}

export interface ParamInfo {
  variable: tf.Variable;
  /** False for buffers such as batch-norm running statistics. */
  trainable: boolean;
}

let nextModelId = 0;

/**
 * Parameters owned by one model. Variable names in the tfjs engine must be unique,
 * so each is registered as `m<id>/<name>`; the rest of the engine uses the short name.
 */
export class ParamStore {
  readonly id = nextModelId++;
  private readonly entries = new Map<string, ParamInfo>();

  add(name: string, value: tf.Tensor, trainable = true): tf.Variable {
    if (this.entries.has(name)) throw new Error(`parameter ${name} already exists`);
    const variable = tf.variable(value, trainable, `m${this.id}/${name}`);
    value.dispose();
    this.entries.set(name, { variable, trainable });
    return variable;
  }

  get(name: string): tf.Variable {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`unknown parameter ${name}`);
    return entry.variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(options: { trainableOnly?: boolean } = {}): string[] {
    return [...this.entries].filter(([, info]) => !options.trainableOnly || info.trainable).map(([name]) => name);
  }

  /** Short name of a registered variable name (as keys of tf.variableGrads). */
  shortName(variableName: string): string {
    const prefix = `m${this.id}/`;
    return variableName.startsWith(prefix) ? variableName.slice(prefix.length) : variableName;
  }

  count(options: { trainableOnly?: boolean } = {}): number {
    return this.names(options).reduce((sum, name) => sum + this.get(name).size, 0);
  }

  setTrainable(name: string, trainable: boolean): void {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`unknown parameter ${name}`);
    entry.trainable = trainable;
    entry.variable.trainable = trainable;
  }

  dispose(): void {
    for (const { variable } of this.entries.values()) variable.dispose();
    this.entries.clear();
  }
}

/** PyTorch's default initialisation: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weights and biases. */
export function uniformInit(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = (rng.next() * 2 - 1) * bound;
  return tf.tensor(data, shape);
}

/** Kaiming normal (fan-in, ReLU gain), used for residual networks. */
export function kaimingNormal(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const std = Math.sqrt(2 / fanIn);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
  return tf.tensor(data, shape);
}
