/**
 * ExStream: T. L. Hayes, N. D. Cahill, C. Kanan, "Memory Efficient Experience Replay for
 * Streaming Learning", ICRA 2019. Reference: tyler-hayes/ExStream ExStream.py.
 *
 * Each class has a buffer of `perClass` stored points with cluster counts. A new sample of a class
 * whose buffer is not full is stored as is (count 1). When the buffer is full, the two closest
 * stored points of that class (squared Euclidean distance) are merged into their count-weighted
 * mean (count = the sum) and the new sample takes the freed slot, so new samples are always
 * stored exactly.
 *
 * Choices where our setting differs from the reference:
 * - Space: the reference clusters fixed, pre-extracted CNN features and trains only an MLP on
 *   them. Our networks are trained end to end, so stored points must be inputs: we cluster in
 *   input space (merged points are averaged images).
 * - Training: the reference trains one full epoch over the buffer after every single sample. We
 *   train one step per incoming mini-batch on that batch (the new samples, which the buffer has
 *   just stored) plus `memBatch` random buffer points: "stream + buffer", like Replay. With batch
 *   10 and one pass (the online protocol) this is the streaming setting of the paper.
 * - Offline runs with several epochs: only the first pass over an experience feeds the buffer,
 *   so each stream sample is clustered exactly once.
 * - A merged point keeps the task id and experience of the larger of the two clusters (the first
 *   on a tie); this only matters in multi-head models, where a class belongs to one task anyway.
 * Ties between equally close pairs go to the first pair in slot order.
 */
import { Strategy, type RunContext } from '../training/strategy.ts';
import { concatBatches, type Batch } from '../training/data.ts';
import type { Plugin, PluginCost } from '../training/plugin.ts';
import type { StateTree } from '../training/state.ts';
import type { ParamValues } from '../spec/schema.ts';
import { ALL_SCENARIOS, registerStrategy } from './catalogue.ts';
import { SampleMemory, type MemorySample } from './memory.ts';
import { memBatchParam, resolveMemBatch } from './replay.ts';

interface ClassBuffer {
  /** Memory slots of this class, in insertion order. */
  slots: number[];
  /** Squared distances between the class's points, perClass x perClass (by position in `slots`). */
  distances: Float64Array;
}

/** What one insertion did, for tests and curiosity. */
export interface ExStreamInsertion {
  /** Slot of the new sample. */
  slot: number;
  /** When the class buffer was full: the two slots merged (the merged point lives in `merged[1]`). */
  merged?: [number, number];
}

/** Per-class streaming clustering buffers on top of a manual SampleMemory. */
export class ExStreamBuffer {
  readonly memory: SampleMemory;
  private readonly buffers = new Map<number, ClassBuffer>();
  /** Merges performed so far. */
  merges = 0;

  constructor(
    readonly perClass: number,
    numClasses: number,
    inputSize: number,
  ) {
    this.memory = new SampleMemory({ capacity: perClass * numClasses, inputSize, policy: 'manual' });
  }

  private squaredDistance(a: number, b: number): number {
    const x = this.memory.input(a);
    const y = this.memory.input(b);
    let sum = 0;
    for (let i = 0; i < x.length; i++) {
      const d = x[i] - y[i];
      sum += d * d;
    }
    return sum;
  }

  private bufferOf(label: number): ClassBuffer {
    let buffer = this.buffers.get(label);
    if (!buffer) {
      buffer = { slots: [], distances: new Float64Array(this.perClass * this.perClass) };
      this.buffers.set(label, buffer);
    }
    return buffer;
  }

  /** Recomputes the distances of position `i` of a class buffer to all its other points. */
  private updateRow(buffer: ClassBuffer, i: number): void {
    const n = this.perClass;
    for (let j = 0; j < buffer.slots.length; j++) {
      const d = i === j ? 0 : this.squaredDistance(buffer.slots[i], buffer.slots[j]);
      buffer.distances[i * n + j] = d;
      buffer.distances[j * n + i] = d;
    }
  }

  /** Positions (i < j) of the closest pair of a full class buffer; the first pair in order on ties. */
  closestPair(label: number): [number, number] {
    const buffer = this.bufferOf(label);
    const n = this.perClass;
    let best = Infinity;
    let pair: [number, number] = [0, 1];
    for (let i = 0; i < buffer.slots.length; i++) {
      for (let j = i + 1; j < buffer.slots.length; j++) {
        const d = buffer.distances[i * n + j];
        if (d < best) {
          best = d;
          pair = [i, j];
        }
      }
    }
    return pair;
  }

  /** Stores one sample, merging the class's closest pair first when its buffer is full. */
  insert(sample: MemorySample): ExStreamInsertion {
    const buffer = this.bufferOf(sample.label);
    if (buffer.slots.length < this.perClass) {
      const slot = this.memory.append({ ...sample, weight: 1 });
      buffer.slots.push(slot);
      this.updateRow(buffer, buffer.slots.length - 1);
      return { slot };
    }
    if (this.perClass === 1) {
      // Nothing to merge with: the single point absorbs the new one (count-weighted mean).
      const slot = buffer.slots[0];
      this.mergeInto(slot, sample.x, 1, slot);
      return { slot };
    }
    const [i, j] = this.closestPair(sample.label);
    const a = buffer.slots[i];
    const b = buffer.slots[j];
    // The merged cluster goes to b, the new sample to a (as the reference: new point at the lower index).
    this.mergeInto(b, this.memory.input(a), this.memory.weight(a), this.memory.weight(a) >= this.memory.weight(b) ? a : b);
    this.memory.put(a, { ...sample, weight: 1 });
    this.updateRow(buffer, i);
    this.updateRow(buffer, j);
    this.merges += 1;
    return { slot: a, merged: [a, b] };
  }

  /** target <- (w_t * target + w * x) / (w_t + w), count w_t + w; keeps the task/experience of `keepFrom`. */
  private mergeInto(target: number, x: ArrayLike<number>, weight: number, keepFrom: number): void {
    const own = this.memory.input(target);
    const ownWeight = this.memory.weight(target);
    const total = ownWeight + weight;
    const merged = new Float32Array(own.length);
    for (let k = 0; k < own.length; k++) merged[k] = (own[k] * ownWeight + x[k] * weight) / total;
    this.memory.put(target, {
      x: merged,
      label: this.memory.label(target),
      taskId: this.memory.taskId(keepFrom),
      experience: this.memory.experience(keepFrom),
      weight: total,
    });
  }

  /** Rebuilds the per-class slot lists and distances from the memory (after setState). */
  rebuild(): void {
    this.buffers.clear();
    for (let slot = 0; slot < this.memory.size; slot++) this.bufferOf(this.memory.label(slot)).slots.push(slot);
    for (const buffer of this.buffers.values()) for (let i = 0; i < buffer.slots.length; i++) this.updateRow(buffer, i);
  }

  getState(): StateTree {
    return { memory: this.memory.getState(), merges: this.merges };
  }

  setState(state: StateTree): void {
    const tree = state as Record<string, StateTree>;
    this.memory.setState(tree.memory);
    this.merges = tree.merges as number;
    this.rebuild();
  }
}

/** Feeds the stream into the ExStream buffer and replays buffer points with every batch. */
export class ExStreamPlugin implements Plugin {
  readonly name = 'exstream';
  private replayed = 0;

  constructor(
    readonly buffer: ExStreamBuffer,
    readonly memBatch: number,
  ) {}

  beforeBatch(strategy: Strategy, batch: Batch): Batch {
    const inputSize = strategy.inputSize;
    if (strategy.epoch === 0) {
      const experience = strategy.experience?.index ?? 0;
      for (let row = 0; row < batch.currentSize; row++) {
        this.buffer.insert({ x: batch.x.subarray(row * inputSize, (row + 1) * inputSize), label: batch.y[row], taskId: batch.taskIds[row], experience });
      }
    }
    const memory = this.buffer.memory;
    if (memory.size === 0 || this.memBatch === 0) return batch;
    const replay = memory.sample(this.memBatch, strategy.run.rng);
    this.replayed += replay.size;
    return concatBatches(batch, replay, inputSize);
  }

  cost(): Partial<PluginCost> {
    const memory = this.buffer.memory;
    return { bufferSamples: memory.size, bufferBytes: memory.bytes, extraForwardSamples: this.replayed, extraBackwardSamples: this.replayed };
  }

  getState(): StateTree {
    return { buffer: this.buffer.getState(), replayed: this.replayed };
  }

  setState(state: StateTree): void {
    const tree = state as Record<string, StateTree>;
    this.buffer.setState(tree.buffer);
    this.replayed = tree.replayed as number;
  }
}

export class ExStream extends Strategy {
  readonly buffer: ExStreamBuffer;

  constructor(run: RunContext, params: ParamValues) {
    super(run, params);
    this.buffer = new ExStreamBuffer(params.perClass as number, this.scenario.numClasses, this.inputSize);
    this.use(new ExStreamPlugin(this.buffer, resolveMemBatch(run, params.memBatch)));
  }
}

registerStrategy({
  id: 'exstream',
  name: 'ExStream',
  family: 'rehearsal',
  description:
    'Streaming rehearsal with per-class buffers of perClass points and cluster counts: when a class buffer is full, its two closest points (Euclidean, in input space) are merged into their count-weighted mean and the new sample is stored. Each training step uses the incoming batch plus memBatch buffer points. The reference clusters fixed CNN features and trains one epoch over the buffer per sample; we cluster inputs and take one step per incoming batch.',
  paper: { authors: 'T. L. Hayes, N. D. Cahill, C. Kanan', title: 'Memory Efficient Experience Replay for Streaming Learning', venue: 'ICRA', year: 2019 },
  params: {
    perClass: { type: 'integer', default: 50, minimum: 1, maximum: 10000, unit: 'samples', description: 'Capacity of each class buffer (stored points per class).' },
    memBatch: memBatchParam,
  },
  scenarios: ALL_SCENARIOS,
  online: true,
  create: (run, params) => new ExStream(run, params),
});
