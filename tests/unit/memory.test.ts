// The shared rehearsal memory and its storage policies (strategies/memory.ts).
import { describe, expect, it } from 'vitest';
import { SampleMemory, type StoragePolicy } from '../../main/engine/strategies/memory.ts';
import { Rng } from '../../main/engine/rng.ts';
import { packState, unpackState } from '../../main/engine/training/state.ts';
import type { Batch } from '../../main/engine/training/data.ts';

/** A stream batch whose inputs are [id, label] so each stored sample can be traced back. */
function streamBatch(ids: number[], labelOf: (id: number) => number, taskId = 0): Batch {
  const size = ids.length;
  const x = new Float32Array(size * 2);
  const y = new Int32Array(size);
  ids.forEach((id, k) => {
    x[2 * k] = id;
    x[2 * k + 1] = labelOf(id);
    y[k] = labelOf(id);
  });
  return { x, y, taskIds: new Int32Array(size).fill(taskId), size, currentSize: size };
}

const range = (start: number, end: number): number[] => Array.from({ length: end - start }, (_, i) => start + i);

/** Streams ids [start, end) in batches of `batchSize`. */
function offerRange(memory: SampleMemory, start: number, end: number, experience: number, rng: Rng, labelOf: (id: number) => number, batchSize = 10): void {
  for (let s = start; s < end; s += batchSize) memory.offer(streamBatch(range(s, Math.min(s + batchSize, end)), labelOf), experience, rng);
}

const storedIds = (memory: SampleMemory): number[] => Array.from({ length: memory.size }, (_, slot) => memory.input(slot)[0]);

describe('reservoir policy (Vitter algorithm R)', () => {
  it('keeps every stream item with probability capacity / n (statistically, fixed seed)', () => {
    const capacity = 50;
    const n = 500;
    const trials = 400;
    const kept = new Float64Array(n);
    const rng = new Rng('reservoir-test');
    for (let trial = 0; trial < trials; trial++) {
      const memory = new SampleMemory({ capacity, inputSize: 2, policy: 'reservoir' });
      offerRange(memory, 0, n, 0, rng, (id) => id % 10);
      expect(memory.size).toBe(capacity);
      for (const id of storedIds(memory)) kept[id]++;
    }
    // Inclusion frequency per block of 50 stream positions: each should be capacity / n = 0.1.
    // Each block pools 50 x 400 draws, so its standard error is about 0.002.
    for (let block = 0; block < n / 50; block++) {
      let sum = 0;
      for (let id = block * 50; id < (block + 1) * 50; id++) sum += kept[id];
      expect(Math.abs(sum / (50 * trials) - capacity / n)).toBeLessThan(0.012);
    }
    // Every single item is kept sometimes and never always.
    for (let id = 0; id < n; id++) expect(kept[id] / trials).toBeGreaterThan(0.02);
    for (let id = 0; id < n; id++) expect(kept[id] / trials).toBeLessThan(0.25);
  });

  it('fills up first, and stores nothing twice', () => {
    const memory = new SampleMemory({ capacity: 30, inputSize: 2, policy: 'reservoir' });
    const rng = new Rng(1);
    offerRange(memory, 0, 20, 0, rng, () => 0);
    expect(storedIds(memory)).toEqual(range(0, 20));
    offerRange(memory, 20, 400, 0, rng, () => 0);
    expect(new Set(storedIds(memory)).size).toBe(30);
  });
});

describe('class-balanced policy (GDumb greedy sampler)', () => {
  it('keeps equal quotas per seen class (within one sample), evicting from the largest class', () => {
    const capacity = 100;
    const memory = new SampleMemory({ capacity, inputSize: 2, policy: 'class-balanced' });
    const rng = new Rng(2);
    // 5 experiences of 2 classes, 300 samples per class; class = floor(id / 300).
    for (let e = 0; e < 5; e++) {
      offerRange(memory, e * 600, (e + 1) * 600, e, rng, (id) => Math.floor(id / 300), 25);
      const counts = memory.classCounts();
      const seen = 2 * (e + 1);
      expect(counts.size).toBe(seen);
      expect(memory.size).toBe(capacity);
      const values = [...counts.values()];
      expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
      expect(Math.min(...values)).toBe(Math.floor(capacity / seen));
      // Every stored sample carries its own label.
      for (let slot = 0; slot < memory.size; slot++) expect(memory.label(slot)).toBe(memory.input(slot)[1]);
    }
  });

  it('keeps all samples of a class that has fewer than its quota', () => {
    const memory = new SampleMemory({ capacity: 60, inputSize: 2, policy: 'class-balanced' });
    const rng = new Rng(3);
    offerRange(memory, 0, 200, 0, rng, () => 0);
    offerRange(memory, 1000, 1010, 1, rng, () => 1);
    offerRange(memory, 2000, 2200, 2, rng, () => 2);
    const counts = memory.classCounts();
    expect(counts.get(1)).toBe(10);
    // Class 2 grows to its quota floor(60 / 3) = 20; the memory stays full, so class 0 keeps the rest
    // (GDumb does not hand a small class's unused quota to a new one).
    expect(counts.get(2)).toBe(20);
    expect(counts.get(0)).toBe(30);
  });
});

describe('experience-balanced policy (random replay)', () => {
  it('keeps capacity / i samples per experience after experience i, shrinking old ones to a subset', () => {
    const capacity = 100;
    const memory = new SampleMemory({ capacity, inputSize: 2, policy: 'experience-balanced' });
    const rng = new Rng(4);
    let previous = new Map<number, Set<number>>();
    for (let e = 0; e < 5; e++) {
      offerRange(memory, e * 1000, e * 1000 + 400, e, rng, () => e, 32);
      const counts = memory.experienceCounts();
      const i = e + 1;
      for (let g = 0; g < i; g++) {
        // Remainder to the earliest experiences, as Avalanche's ExperienceBalancedBuffer.
        const quota = Math.floor(capacity / i) + (g < capacity - i * Math.floor(capacity / i) ? 1 : 0);
        expect(counts.get(g)).toBe(quota);
      }
      // An older experience's samples are a subset of what it held before.
      for (const [g, ids] of previous) {
        const now = Array.from(memory.slotsWhere({ experience: g }), (slot) => memory.input(slot)[0]);
        for (const id of now) expect(ids.has(id)).toBe(true);
      }
      previous = new Map(range(0, i).map((g) => [g, new Set(Array.from(memory.slotsWhere({ experience: g }), (slot) => memory.input(slot)[0]))]));
    }
  });

  it('picks each experience\'s samples uniformly (reservoir within the experience)', () => {
    const kept = new Float64Array(200);
    const rng = new Rng(5);
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const memory = new SampleMemory({ capacity: 40, inputSize: 2, policy: 'experience-balanced' });
      offerRange(memory, 0, 200, 0, rng, () => 0);
      offerRange(memory, 1000, 1200, 1, rng, () => 1);
      for (const slot of memory.slotsWhere({ experience: 0 })) kept[memory.input(slot)[0]]++;
    }
    // Experience 0 keeps 20 of 200: probability 0.1 per sample, first half and second half alike.
    const firstHalf = kept.slice(0, 100).reduce((a, b) => a + b, 0) / (100 * trials);
    const secondHalf = kept.slice(100).reduce((a, b) => a + b, 0) / (100 * trials);
    expect(Math.abs(firstHalf - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(secondHalf - 0.1)).toBeLessThan(0.01);
  });
});

describe('SampleMemory', () => {
  it('samples k distinct stored samples as a batch, and gives the samples of one class or experience', () => {
    const memory = new SampleMemory({ capacity: 50, inputSize: 2, policy: 'reservoir' });
    const rng = new Rng(6);
    offerRange(memory, 0, 30, 0, rng, (id) => id % 3);
    const batch = memory.sample(10, rng);
    expect(batch.size).toBe(10);
    expect(batch.currentSize).toBe(0);
    const ids = Array.from({ length: 10 }, (_, k) => batch.x[2 * k]);
    expect(new Set(ids).size).toBe(10);
    for (let k = 0; k < 10; k++) expect(batch.y[k]).toBe(ids[k] % 3);
    expect(memory.sample(100, rng).size).toBe(30);
    const ofClass = memory.batchWhere({ label: 1 });
    expect(ofClass.size).toBe(10);
    expect(Array.from(ofClass.y)).toEqual(new Array(10).fill(1));
    expect(memory.bytes).toBe(30 * 4 * (2 + 4));
    const data = memory.toTrainingData();
    expect(data.size).toBe(30);
  });

  it('keeps slots in the given order and appends/puts samples by hand (manual policy)', () => {
    const memory = new SampleMemory({ capacity: 4, inputSize: 2, policy: 'manual', valueSize: 1 });
    for (let i = 0; i < 4; i++) memory.append({ x: [i, 0], label: i, taskId: 0, experience: 0, value: [10 * i] });
    expect(() => memory.append({ x: [9, 9], label: 0, taskId: 0, experience: 0 })).toThrow(/full/);
    memory.keep([3, 1]);
    expect(storedIds(memory)).toEqual([3, 1]);
    expect(Array.from(memory.valuesOf([0, 1]))).toEqual([30, 10]);
    memory.put(1, { x: [7, 7], label: 7, taskId: 1, experience: 2, weight: 3 });
    expect(memory.label(1)).toBe(7);
    expect(memory.weight(1)).toBe(3);
    expect(() => new SampleMemory({ capacity: 4, inputSize: 2, policy: 'manual' }).offer(streamBatch([1], () => 0), 0, new Rng(0))).toThrow(/manual/);
  });

  for (const policy of ['reservoir', 'class-balanced', 'experience-balanced'] as StoragePolicy[]) {
    it(`${policy}: a memory restored from its checkpoint state continues exactly like the original`, () => {
      const labelOf = (id: number) => Math.floor(id / 100) % 10;
      const original = new SampleMemory({ capacity: 64, inputSize: 2, policy });
      const rng = new Rng(7);
      offerRange(original, 0, 200, 0, rng, labelOf);
      offerRange(original, 200, 400, 1, rng, labelOf);
      const { manifest, blob } = packState(original.getState());
      const restored = new SampleMemory({ capacity: 64, inputSize: 2, policy });
      restored.setState(unpackState(JSON.parse(JSON.stringify(manifest)), blob));
      const rngCopy = new Rng(0);
      rngCopy.setState(rng.getState());
      offerRange(original, 400, 700, 2, rng, labelOf);
      offerRange(restored, 400, 700, 2, rngCopy, labelOf);
      expect(storedIds(restored)).toEqual(storedIds(original));
      expect(restored.getState()).toEqual(original.getState());
      expect(() => new SampleMemory({ capacity: 32, inputSize: 2, policy }).setState(original.getState())).toThrow(/differs/);
    });
  }
});
