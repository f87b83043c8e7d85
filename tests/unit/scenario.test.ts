import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../main/engine/index.ts';
import { buildScenario, fillBatch, permutation, rotation } from '../../main/engine/data/scenario.ts';
import { spec } from '../helpers/engine.ts';

const labelsOf = (set: { base: { y: Int32Array }; indices: Int32Array }) => new Set(Array.from(set.indices, (i) => set.base.y[i]));

describe('scenarios', () => {
  it('class-incremental split: disjoint class sets covering every class, train and test by class', async () => {
    const dataset = await loadDataset('mnist-bundled');
    const scenario = buildScenario(dataset, spec({ dataset: { id: 'mnist-bundled' } }).scenario, 0);
    expect(scenario.experiences.map((e) => e.classes)).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
    for (const e of scenario.experiences) {
      expect([...labelsOf(e.train)].sort()).toEqual(e.classes);
      expect([...labelsOf(e.test)].sort()).toEqual(e.classes);
    }
    const trainTotal = scenario.experiences.reduce((s, e) => s + e.train.indices.length, 0);
    expect(trainTotal).toBe(dataset.train.count);
    expect(scenario.taskLabels).toBe(false);
  });

  it('seeded class order: same seed same order, other seed other order; explicit order honoured', async () => {
    const dataset = await loadDataset('synthetic');
    const shuffled = spec({ scenario: { type: 'class-incremental', experiences: 5, shuffleClasses: true } }).scenario;
    const a = buildScenario(dataset, shuffled, 3).classOrder;
    expect(buildScenario(dataset, shuffled, 3).classOrder).toEqual(a);
    expect(buildScenario(dataset, shuffled, 4).classOrder).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const fixed = spec({ scenario: { type: 'class-incremental', classesPerExperience: 3, classOrder: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0] } }).scenario;
    const s = buildScenario(dataset, fixed, 0);
    expect(s.experiences.map((e) => e.classes)).toEqual([[9, 8, 7], [6, 5, 4], [3, 2, 1]]);
  });

  it('task-incremental: task ids per experience and task labels reported', async () => {
    const dataset = await loadDataset('synthetic');
    const s = buildScenario(dataset, spec({ scenario: { type: 'task-incremental', experiences: 5 } }).scenario, 0);
    expect(s.taskLabels).toBe(true);
    expect(s.experiences.map((e) => e.taskId)).toEqual([0, 1, 2, 3, 4]);
  });

  it('permuted domain-IL: all classes in every experience, a fixed seeded permutation per experience', async () => {
    const dataset = await loadDataset('synthetic');
    const scenarioSpec = spec({ scenario: { type: 'domain-incremental', transform: 'permuted', experiences: 3 } }).scenario;
    const s = buildScenario(dataset, scenarioSpec, 0);
    expect(s.experiences.every((e) => e.classes.length === 10)).toBe(true);
    const size = s.inputSize;
    const x = new Float32Array(size);
    const y = new Int32Array(1);
    const original = dataset.train.x.subarray(0, size);
    fillBatch(s.experiences[1].train, [0], 0, 1, x, y);
    // Same multiset of pixel values, different order.
    expect(Array.from(x).sort()).toEqual(Array.from(original).sort());
    expect(Array.from(x)).not.toEqual(Array.from(original));
    const again = new Float32Array(size);
    fillBatch(buildScenario(dataset, scenarioSpec, 0).experiences[1].train, [0], 0, 1, again, y);
    expect(again).toEqual(x);
  });

  it('permutation and rotation transforms do what they say on a toy image', () => {
    const p = permutation(5, 4);
    const out = new Float32Array(4);
    p.apply(Float32Array.from([10, 20, 30, 40]), out);
    expect(Array.from(out).sort()).toEqual([10, 20, 30, 40]);
    // 90 degrees maps a 3x3 image's corner to the neighbouring corner; 0 degrees is the identity.
    const image = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const identity = new Float32Array(9);
    rotation(0, [3, 3, 1]).apply(image, identity);
    expect(Array.from(identity)).toEqual(Array.from(image));
    const turned = new Float32Array(9);
    rotation(90, [3, 3, 1]).apply(image, turned);
    expect(turned[0]).toBeCloseTo(0, 5);
    expect(turned.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(Math.max(turned[2], turned[6])).toBeCloseTo(1, 5);
  });

  it('subsamples a fixed number of training samples per experience, seeded', async () => {
    const dataset = await loadDataset('mnist-bundled');
    const scenarioSpec = spec({ dataset: { id: 'mnist-bundled' }, scenario: { type: 'domain-incremental', transform: 'rotated', experiences: 2, trainSamplesPerExperience: 100 } }).scenario;
    const s = buildScenario(dataset, scenarioSpec, 1);
    expect(s.experiences.map((e) => e.train.indices.length)).toEqual([100, 100]);
    expect(buildScenario(dataset, scenarioSpec, 1).experiences[0].train.indices).toEqual(s.experiences[0].train.indices);
    expect(s.describe()).toMatchObject({ transform: 'rotated', transforms: [{ kind: 'rotated', degrees: 0 }, { kind: 'rotated', degrees: 90 }] });
  });
});
