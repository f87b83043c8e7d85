/** Training data made of one or more sample sets (Cumulative and Joint train on unions). */
import { fillBatch, type Experience, type SampleSet } from '../data/scenario.ts';

export interface TrainingPart {
  set: SampleSet;
  taskId: number;
}

/** A host-side batch: typed arrays that plugins may extend before tensors are made. */
export interface Batch {
  /** size * inputSize floats. */
  x: Float32Array;
  /** Global class labels. */
  y: Int32Array;
  taskIds: Int32Array;
  size: number;
  /** Samples [0, currentSize) come from the stream; the rest were appended (e.g. replay). */
  currentSize: number;
}

export class TrainingData {
  readonly size: number;
  private readonly starts: number[] = [];

  constructor(
    readonly parts: TrainingPart[],
    readonly inputSize: number,
  ) {
    let total = 0;
    for (const part of parts) {
      this.starts.push(total);
      total += part.set.indices.length;
    }
    this.size = total;
  }

  static ofExperience(experience: Experience, inputSize: number): TrainingData {
    return new TrainingData([{ set: experience.train, taskId: experience.taskId }], inputSize);
  }

  static union(experiences: Experience[], inputSize: number): TrainingData {
    return new TrainingData(experiences.map((e) => ({ set: e.train, taskId: e.taskId })), inputSize);
  }

  /** Positions [start, end) of `order` gathered into a new batch. */
  batch(order: ArrayLike<number>, start: number, end: number): Batch {
    const size = end - start;
    const batch: Batch = {
      x: new Float32Array(size * this.inputSize),
      y: new Int32Array(size),
      taskIds: new Int32Array(size),
      size,
      currentSize: size,
    };
    // Group consecutive positions by part so each part fills its rows with one call.
    const local = new Int32Array(1);
    for (let k = start; k < end; k++) {
      const position = order[k];
      const partIndex = this.partOf(position);
      const part = this.parts[partIndex];
      local[0] = position - this.starts[partIndex];
      fillBatch(part.set, local, 0, 1, batch.x, batch.y, k - start);
      batch.taskIds[k - start] = part.taskId;
    }
    return batch;
  }

  /** The whole set as one batch (small sets only: memories, tests). */
  all(): Batch {
    return this.batch(Int32Array.from({ length: this.size }, (_, i) => i), 0, this.size);
  }

  private partOf(position: number): number {
    let low = 0;
    let high = this.parts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid] <= position) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}

/** Concatenates batches (e.g. the current batch and replayed samples). */
export function concatBatches(first: Batch, second: Batch, inputSize: number): Batch {
  const size = first.size + second.size;
  const x = new Float32Array(size * inputSize);
  x.set(first.x.subarray(0, first.size * inputSize));
  x.set(second.x.subarray(0, second.size * inputSize), first.size * inputSize);
  const y = new Int32Array(size);
  y.set(first.y.subarray(0, first.size));
  y.set(second.y.subarray(0, second.size), first.size);
  const taskIds = new Int32Array(size);
  taskIds.set(first.taskIds.subarray(0, first.size));
  taskIds.set(second.taskIds.subarray(0, second.size), first.size);
  return { x, y, taskIds, size, currentSize: first.currentSize };
}
