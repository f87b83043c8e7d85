// The optional libtensorflow packages cannot install here; a stand-in module that
// registers a 'tensorflow' backend, as the real ones do on import, checks that
// initBackend prefers them, describes them, and keeps the two apart.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { initBackend, probeBackends } from '../../main/engine/backend/index.ts';
import { WorkbenchError } from '../../main/engine/errors.ts';

vi.mock('@tensorflow/tfjs-node-gpu', async () => {
  const tfjs = await import('@tensorflow/tfjs');
  tfjs.registerBackend('tensorflow', () => new tfjs.KernelBackend(), 3);
  return {};
});

describe('initBackend with a node package present', () => {
  it("prefers tensorflow-gpu for 'auto' and names the device", async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('tensorflow-gpu');
    expect(info.tfjsBackend).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(info.device).toMatch(/^GPU \(CUDA(, .+)?\)$/);
    expect(await initBackend('tensorflow-gpu')).toBe(info);
  });

  it('refuses tfjs-node beside tfjs-node-gpu, and still switches to wasm', async () => {
    const error = await initBackend('tensorflow').then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(WorkbenchError);
    expect((error as WorkbenchError).message).toMatch(/@tensorflow\/tfjs-node-gpu is already loaded/);
    expect((error as WorkbenchError).message).toMatch(/Available backends: tensorflow-gpu, wasm, cpu\.$/);
    expect(tf.getBackend()).toBe('tensorflow');
    const probes = await probeBackends();
    expect(probes.filter((probe) => probe.available).map((probe) => probe.name)).toEqual(['tensorflow-gpu', 'wasm', 'cpu']);
    expect((await initBackend('wasm')).name).toBe('wasm');
  });
});
