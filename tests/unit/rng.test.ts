import { describe, expect, it } from 'vitest';
import { Rng } from '../../main/engine/rng.ts';

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const draws = (r: Rng) => Array.from({ length: 20 }, () => r.nextUint32());
    const first = draws(a);
    expect(draws(b)).toEqual(first);
    expect(draws(c)).not.toEqual(first);
  });

  it('restores its state exactly (checkpoints)', () => {
    const rng = new Rng('seed');
    rng.normal();
    const state = structuredClone(rng.getState());
    const expected = [rng.normal(), rng.next(), rng.int(1000)];
    const other = new Rng(0);
    other.setState(state);
    expect([other.normal(), other.next(), other.int(1000)]).toEqual(expected);
  });

  it('draws uniform values in range and permutations without repeats', () => {
    const rng = new Rng(1);
    const values = Array.from({ length: 10000 }, () => rng.next());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    const perm = Array.from(rng.permutation(100));
    expect([...perm].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(perm).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('draws normals with mean 0 and sd 1', () => {
    const rng = new Rng(7);
    const values = Array.from({ length: 20000 }, () => rng.normal());
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});
