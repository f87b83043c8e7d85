/**
 * The rehearsal memory: the one sample buffer and storage-policy component shared by every
 * strategy that stores past samples (Replay, ExStream, GDumb, MIR, iCaRL, GEM, A-GEM).
 *
 * A `SampleMemory` holds up to `capacity` samples in flat typed arrays (never tensors, so it
 * costs no GPU memory and checkpoints exactly): the input (`inputSize` floats), the global label,
 * the task id, the experience it came from, a weight (a cluster count for ExStream, 1 otherwise)
 * and optionally `valueSize` extra floats per sample (logits, features).
 *
 * Storage policies (what `offer`/`offerData` do when a sample arrives):
 * - `reservoir`: Vitter's algorithm R over the whole stream. The n-th sample offered is stored
 *   while there is room, otherwise it replaces a uniformly random slot with probability
 *   capacity / n, so every sample of the stream is kept with probability capacity / n.
 *   (Avalanche ReservoirSamplingBuffer, Mammoth's reservoir.)
 * - `class-balanced`: GDumb's greedy class-balanced sampler. While there is room every sample is
 *   stored; when full, a sample of class y is stored only if y holds fewer than
 *   floor(capacity / seen classes) samples, replacing a random sample of the currently largest
 *   class (ties broken at random). Classes end up with equal quotas (within one sample).
 * - `experience-balanced`: after experience i the memory keeps floor(capacity / i) samples per
 *   experience (the remainder goes to the earliest experiences, as in Avalanche's
 *   ExperienceBalancedBuffer): when a new experience appears the older ones are shrunk to their
 *   new quota by removing random samples, and within an experience the samples are chosen by
 *   reservoir sampling over that experience's stream. This is the seed's "random replay".
 * - `manual`: no policy; the owner edits the memory with `append`, `put` and `keep`
 *   (iCaRL's herding, ExStream's merging).
 *
 * Every random choice takes the run's `Rng` as an argument (never Math.random), and
 * `getState`/`setState` round-trip the whole memory, including the policy's counters, so a
 * resumed run makes exactly the choices the uninterrupted run would have made.
 */
import type { Rng } from '../rng.ts';
import { TrainingData, type Batch } from '../training/data.ts';
import type { StateTree } from '../training/state.ts';

export type StoragePolicy = 'reservoir' | 'class-balanced' | 'experience-balanced' | 'manual';

/** The policies a user can pick for a replay memory (catalogue enum values). */
export const STORAGE_POLICIES = ['reservoir', 'class-balanced', 'experience-balanced'] as const;

export interface MemoryOptions {
  /** Most samples the memory holds. */
  capacity: number;
  /** Floats per input sample (the scenario's inputSize). */
  inputSize: number;
  policy: StoragePolicy;
  /** Extra floats stored with each sample (e.g. logits or features); default 0. */
  valueSize?: number;
}

/** One sample to store with `append`/`put`. */
export interface MemorySample {
  x: ArrayLike<number>;
  label: number;
  taskId: number;
  experience: number;
  /** Cluster count (ExStream) or importance; default 1. */
  weight?: number;
  value?: ArrayLike<number>;
}

/** Selects stored samples; every given field must match. */
export interface MemoryFilter {
  label?: number;
  experience?: number;
  taskId?: number;
}

export class SampleMemory {
  readonly capacity: number;
  readonly inputSize: number;
  readonly policy: StoragePolicy;
  readonly valueSize: number;
  /** Samples stored now, in slots 0..size-1. */
  size = 0;

  private allocated = 0;
  private inputs = new Float32Array(0);
  private labels = new Int32Array(0);
  private taskIds = new Int32Array(0);
  private experiences = new Int32Array(0);
  private weights = new Float32Array(0);
  private values = new Float32Array(0);
  /** Samples offered so far (reservoir's n). */
  private offered = 0;
  /** Experience-balanced: experiences in order of appearance and samples offered per experience. */
  private groups: number[] = [];
  private groupOffered: number[] = [];
  /** Class-balanced: classes seen in the stream, in order of appearance. */
  private seenClasses: number[] = [];

  constructor(options: MemoryOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 0) throw new Error(`memory capacity must be a non-negative integer, got ${options.capacity}`);
    this.capacity = options.capacity;
    this.inputSize = options.inputSize;
    this.policy = options.policy;
    this.valueSize = options.valueSize ?? 0;
  }

  // ---- sizes ------------------------------------------------------------------------------------

  /** Bytes per stored sample: input, label, task id, experience, weight and extra values (4 bytes each). */
  get bytesPerSample(): number {
    return 4 * (this.inputSize + 4 + this.valueSize);
  }

  /** Bytes held by the stored samples (what the run's cost reports as bufferBytes). */
  get bytes(): number {
    return this.size * this.bytesPerSample;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** A view (not a copy) of the input stored in `slot`. */
  input(slot: number): Float32Array {
    return this.inputs.subarray(slot * this.inputSize, (slot + 1) * this.inputSize);
  }

  label(slot: number): number {
    return this.labels[slot];
  }

  taskId(slot: number): number {
    return this.taskIds[slot];
  }

  experience(slot: number): number {
    return this.experiences[slot];
  }

  weight(slot: number): number {
    return this.weights[slot];
  }

  /** A view of the extra values stored in `slot` (empty when valueSize is 0). */
  value(slot: number): Float32Array {
    return this.values.subarray(slot * this.valueSize, (slot + 1) * this.valueSize);
  }

  /** Slots whose sample matches every field of `filter`, in slot order. */
  slotsWhere(filter: MemoryFilter = {}): Int32Array {
    const slots: number[] = [];
    for (let slot = 0; slot < this.size; slot++) {
      if (filter.label !== undefined && this.labels[slot] !== filter.label) continue;
      if (filter.experience !== undefined && this.experiences[slot] !== filter.experience) continue;
      if (filter.taskId !== undefined && this.taskIds[slot] !== filter.taskId) continue;
      slots.push(slot);
    }
    return Int32Array.from(slots);
  }

  /** Stored samples per class. */
  classCounts(): Map<number, number> {
    return countBy(this.labels, this.size);
  }

  /** Stored samples per experience. */
  experienceCounts(): Map<number, number> {
    return countBy(this.experiences, this.size);
  }

  /** Classes present in the memory, ascending. */
  classes(): number[] {
    return [...this.classCounts().keys()].sort((a, b) => a - b);
  }

  /** The samples in `slots` as a batch (copied). `currentSize` is 0: none of them is from the stream. */
  batchOf(slots: ArrayLike<number>): Batch {
    const size = slots.length;
    const batch: Batch = { x: new Float32Array(size * this.inputSize), y: new Int32Array(size), taskIds: new Int32Array(size), size, currentSize: 0 };
    for (let k = 0; k < size; k++) {
      const slot = slots[k];
      batch.x.set(this.input(slot), k * this.inputSize);
      batch.y[k] = this.labels[slot];
      batch.taskIds[k] = this.taskIds[slot];
    }
    return batch;
  }

  /** The extra values of `slots`, row after row. */
  valuesOf(slots: ArrayLike<number>): Float32Array {
    const out = new Float32Array(slots.length * this.valueSize);
    for (let k = 0; k < slots.length; k++) out.set(this.value(slots[k]), k * this.valueSize);
    return out;
  }

  /** The samples matching `filter` (e.g. one experience or one class) as a batch. */
  batchWhere(filter: MemoryFilter): Batch {
    return this.batchOf(this.slotsWhere(filter));
  }

  /** Every stored sample as a batch. */
  all(): Batch {
    return this.batchOf(Int32Array.from({ length: this.size }, (_, i) => i));
  }

  /** `k` distinct random slots (all of them, shuffled, when k >= size). */
  sampleSlots(k: number, rng: Rng): Int32Array {
    return rng.sample(this.size, Math.min(k, this.size));
  }

  /** A random batch of `k` distinct stored samples (fewer when the memory holds fewer). */
  sample(k: number, rng: Rng): Batch {
    return this.batchOf(this.sampleSlots(k, rng));
  }

  /**
   * The memory as training data (a snapshot), one part per task id so multi-head models route
   * each sample to its head. For strategies that train on the memory alone (GDumb).
   */
  toTrainingData(): TrainingData {
    const base = { x: this.inputs.slice(0, this.size * this.inputSize), y: this.labels.slice(0, this.size), count: this.size };
    const tasks = [...new Set(this.taskIds.subarray(0, this.size))].sort((a, b) => a - b);
    return new TrainingData(tasks.map((taskId) => ({ set: { base, indices: this.slotsWhere({ taskId }) }, taskId })), this.inputSize);
  }

  // ---- storage policies ------------------------------------------------------------------------

  /**
   * Offers rows [0, rows) of `batch` (default: its stream part, [0, currentSize)) to the storage
   * policy, in row order, all from experience `experience`. `values` gives each row's extra
   * floats. Returns how many samples were stored.
   */
  offer(batch: Batch, experience: number, rng: Rng, options: { rows?: number; values?: Float32Array } = {}): number {
    const rows = options.rows ?? batch.currentSize;
    const sampleAt = (row: number): MemorySample => ({
      x: batch.x.subarray(row * this.inputSize, (row + 1) * this.inputSize),
      label: batch.y[row],
      taskId: batch.taskIds[row],
      experience,
      ...(options.values ? { value: options.values.subarray(row * this.valueSize, (row + 1) * this.valueSize) } : {}),
    });
    switch (this.policy) {
      case 'reservoir':
        return this.offerReservoir(rows, sampleAt, rng);
      case 'class-balanced':
        return this.offerClassBalanced(rows, sampleAt, rng);
      case 'experience-balanced':
        return this.offerExperienceBalanced(rows, sampleAt, experience, rng);
      case 'manual':
        throw new Error('a manual memory is edited with append, put and keep, not offer');
    }
  }

  /**
   * Offers every sample of `data` (e.g. one experience's training set) in a random order drawn
   * from `rng`, in chunks so that no large batch is built. Returns how many were stored.
   */
  offerData(data: TrainingData, experience: number, rng: Rng, chunk = 512): number {
    const order = rng.permutation(data.size);
    let stored = 0;
    for (let start = 0; start < data.size; start += chunk) stored += this.offer(data.batch(order, start, Math.min(start + chunk, data.size)), experience, rng);
    return stored;
  }

  private offerReservoir(rows: number, sampleAt: (row: number) => MemorySample, rng: Rng): number {
    let stored = 0;
    for (let row = 0; row < rows; row++) {
      this.offered += 1;
      if (this.size < this.capacity) {
        this.append(sampleAt(row));
        stored++;
      } else {
        // Algorithm R: j uniform in [0, n); keep the new sample in slot j when j < capacity.
        const j = rng.int(this.offered);
        if (j < this.capacity) {
          this.put(j, sampleAt(row));
          stored++;
        }
      }
    }
    return stored;
  }

  private offerClassBalanced(rows: number, sampleAt: (row: number) => MemorySample, rng: Rng): number {
    if (this.capacity === 0) return 0;
    // Slots of each class, kept up to date while this batch is offered.
    const slotsByClass = new Map<number, number[]>();
    for (let slot = 0; slot < this.size; slot++) {
      const label = this.labels[slot];
      if (!slotsByClass.has(label)) slotsByClass.set(label, []);
      slotsByClass.get(label)!.push(slot);
    }
    let stored = 0;
    for (let row = 0; row < rows; row++) {
      this.offered += 1;
      const sample = sampleAt(row);
      if (!this.seenClasses.includes(sample.label)) this.seenClasses.push(sample.label);
      if (!slotsByClass.has(sample.label)) slotsByClass.set(sample.label, []);
      const own = slotsByClass.get(sample.label)!;
      if (this.size < this.capacity) {
        own.push(this.size);
        this.append(sample);
        stored++;
        continue;
      }
      const quota = Math.floor(this.capacity / this.seenClasses.length);
      if (own.length >= quota) continue;
      // Evict a random sample of the largest class (ties broken at random).
      let largest: number[] = [];
      let largestSize = -1;
      for (const [label, slots] of slotsByClass) {
        if (slots.length > largestSize) {
          largestSize = slots.length;
          largest = [label];
        } else if (slots.length === largestSize) largest.push(label);
      }
      largest.sort((a, b) => a - b);
      const victimClass = largest.length === 1 ? largest[0] : largest[rng.int(largest.length)];
      const victims = slotsByClass.get(victimClass)!;
      const position = rng.int(victims.length);
      const slot = victims[position];
      victims[position] = victims[victims.length - 1];
      victims.pop();
      own.push(slot);
      this.put(slot, sample);
      stored++;
    }
    return stored;
  }

  /** Quota of each experience group (in order of appearance): capacity split evenly, remainder to the first. */
  private groupQuotas(): number[] {
    const count = this.groups.length;
    const quotas = this.groups.map(() => Math.floor(this.capacity / count));
    for (let i = 0; i < this.capacity - quotas.reduce((a, b) => a + b, 0); i++) quotas[i] += 1;
    return quotas;
  }

  private offerExperienceBalanced(rows: number, sampleAt: (row: number) => MemorySample, experience: number, rng: Rng): number {
    if (rows === 0 || this.capacity === 0) return 0;
    let group = this.groups.indexOf(experience);
    if (group < 0) {
      this.groups.push(experience);
      this.groupOffered.push(0);
      group = this.groups.length - 1;
      // Shrink the older experiences to their new quota by removing random samples.
      const quotas = this.groupQuotas();
      const keep: number[] = [];
      this.groups.forEach((id, g) => {
        const slots = this.slotsWhere({ experience: id });
        if (slots.length <= quotas[g]) keep.push(...slots);
        else keep.push(...Array.from(rng.sample(slots.length, quotas[g]), (k) => slots[k]).sort((a, b) => a - b));
      });
      this.keep(keep.sort((a, b) => a - b));
    }
    const quota = this.groupQuotas()[group];
    const own = Array.from(this.slotsWhere({ experience }));
    let stored = 0;
    for (let row = 0; row < rows; row++) {
      this.offered += 1;
      this.groupOffered[group] += 1;
      if (own.length < quota && this.size < this.capacity) {
        own.push(this.size);
        this.append(sampleAt(row));
        stored++;
      } else {
        // Reservoir sampling within this experience's own stream and quota.
        const j = rng.int(this.groupOffered[group]);
        if (j < own.length) {
          this.put(own[j], sampleAt(row));
          stored++;
        }
      }
    }
    return stored;
  }

  // ---- direct edits (manual policies, and the policies above) -----------------------------------

  /** Stores a sample in the next free slot; returns the slot. Throws when full. */
  append(sample: MemorySample): number {
    if (this.size >= this.capacity) throw new Error(`the memory is full (${this.capacity} samples)`);
    this.reserve(this.size + 1);
    const slot = this.size;
    this.size += 1;
    this.put(slot, sample);
    return slot;
  }

  /** Overwrites the sample in `slot` (0 <= slot < size). */
  put(slot: number, sample: MemorySample): void {
    if (slot < 0 || slot >= this.size) throw new Error(`slot ${slot} is outside the memory (size ${this.size})`);
    if (sample.x.length !== this.inputSize) throw new Error(`a sample has ${sample.x.length} inputs, the memory stores ${this.inputSize}`);
    this.inputs.set(sample.x, slot * this.inputSize);
    this.labels[slot] = sample.label;
    this.taskIds[slot] = sample.taskId;
    this.experiences[slot] = sample.experience;
    this.weights[slot] = sample.weight ?? 1;
    if (this.valueSize > 0) {
      if (sample.value) this.values.set(sample.value.length === this.valueSize ? sample.value : Array.from({ length: this.valueSize }, (_, i) => sample.value![i] ?? 0), slot * this.valueSize);
      else this.values.fill(0, slot * this.valueSize, (slot + 1) * this.valueSize);
    }
  }

  /** Sets the weight of `slot` (e.g. ExStream's cluster count). */
  setWeight(slot: number, weight: number): void {
    this.weights[slot] = weight;
  }

  /**
   * Keeps only the samples in `slots`, in that order (they become slots 0..k-1); the rest are
   * dropped. Used to shrink groups and by iCaRL to keep each class's first m exemplars.
   */
  keep(slots: ArrayLike<number>): void {
    const k = slots.length;
    const inputs = new Float32Array(this.allocated * this.inputSize);
    const labels = new Int32Array(this.allocated);
    const taskIds = new Int32Array(this.allocated);
    const experiences = new Int32Array(this.allocated);
    const weights = new Float32Array(this.allocated);
    const values = new Float32Array(this.allocated * this.valueSize);
    for (let i = 0; i < k; i++) {
      const slot = slots[i];
      if (slot < 0 || slot >= this.size) throw new Error(`slot ${slot} is outside the memory (size ${this.size})`);
      inputs.set(this.input(slot), i * this.inputSize);
      labels[i] = this.labels[slot];
      taskIds[i] = this.taskIds[slot];
      experiences[i] = this.experiences[slot];
      weights[i] = this.weights[slot];
      values.set(this.value(slot), i * this.valueSize);
    }
    this.inputs = inputs;
    this.labels = labels;
    this.taskIds = taskIds;
    this.experiences = experiences;
    this.weights = weights;
    this.values = values;
    this.size = k;
  }

  /** Empties the memory and forgets the policy's counters. */
  clear(): void {
    this.keep([]);
    this.offered = 0;
    this.groups = [];
    this.groupOffered = [];
    this.seenClasses = [];
  }

  /** Grows the arrays (doubling, up to capacity) so that `count` samples fit. */
  private reserve(count: number): void {
    if (count <= this.allocated) return;
    const allocated = Math.min(this.capacity, Math.max(count, 64, this.allocated * 2));
    const grow = <T extends Float32Array | Int32Array>(old: T, width: number, make: (n: number) => T): T => {
      const next = make(allocated * width);
      next.set(old.subarray(0, this.size * width));
      return next;
    };
    this.inputs = grow(this.inputs, this.inputSize, (n) => new Float32Array(n));
    this.labels = grow(this.labels, 1, (n) => new Int32Array(n));
    this.taskIds = grow(this.taskIds, 1, (n) => new Int32Array(n));
    this.experiences = grow(this.experiences, 1, (n) => new Int32Array(n));
    this.weights = grow(this.weights, 1, (n) => new Float32Array(n));
    this.values = grow(this.values, this.valueSize, (n) => new Float32Array(n));
    this.allocated = allocated;
  }

  // ---- checkpoints ------------------------------------------------------------------------------

  getState(): StateTree {
    return {
      policy: this.policy,
      capacity: this.capacity,
      inputSize: this.inputSize,
      valueSize: this.valueSize,
      size: this.size,
      inputs: this.inputs.slice(0, this.size * this.inputSize),
      labels: this.labels.slice(0, this.size),
      taskIds: this.taskIds.slice(0, this.size),
      experiences: this.experiences.slice(0, this.size),
      weights: this.weights.slice(0, this.size),
      values: this.values.slice(0, this.size * this.valueSize),
      offered: this.offered,
      groups: Int32Array.from(this.groups),
      groupOffered: this.groupOffered.slice(),
      seenClasses: Int32Array.from(this.seenClasses),
    };
  }

  /** Restores a state from `getState` of a memory with the same capacity, input size and policy. */
  setState(state: StateTree): void {
    const tree = state as Record<string, StateTree>;
    if (tree.policy !== this.policy || tree.capacity !== this.capacity || tree.inputSize !== this.inputSize || tree.valueSize !== this.valueSize) {
      throw new Error(`the checkpoint's memory (${tree.policy}, ${tree.capacity} x ${tree.inputSize}) differs from this one (${this.policy}, ${this.capacity} x ${this.inputSize})`);
    }
    const size = tree.size as number;
    this.size = 0;
    this.allocated = 0;
    this.inputs = new Float32Array(0);
    this.labels = new Int32Array(0);
    this.taskIds = new Int32Array(0);
    this.experiences = new Int32Array(0);
    this.weights = new Float32Array(0);
    this.values = new Float32Array(0);
    this.reserve(size);
    this.inputs.set(tree.inputs as Float32Array);
    this.labels.set(tree.labels as Int32Array);
    this.taskIds.set(tree.taskIds as Int32Array);
    this.experiences.set(tree.experiences as Int32Array);
    this.weights.set(tree.weights as Float32Array);
    this.values.set(tree.values as Float32Array);
    this.size = size;
    this.offered = tree.offered as number;
    this.groups = Array.from(tree.groups as Int32Array);
    this.groupOffered = (tree.groupOffered as number[]).slice();
    this.seenClasses = Array.from(tree.seenClasses as Int32Array);
  }
}

function countBy(keys: Int32Array, size: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < size; i++) counts.set(keys[i], (counts.get(keys[i]) ?? 0) + 1);
  return counts;
}
