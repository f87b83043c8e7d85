/**
 * The default number of runs that train at once: one per GPU when the CUDA backend
 * (@tensorflow/tfjs-node-gpu) is installed and nvidia-smi lists GPUs, otherwise one
 * per free CPU core (tfjs under Node trains on one core per process on the wasm
 * backend; one core is left to the app itself).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';

export interface ConcurrencyDefault {
  concurrency: number;
  gpus: string[];
  reason: string;
}

/** GPU names from `nvidia-smi -L` (2 s limit); empty without a driver. */
export function listGpus(): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 2000 }, (error, stdout) => {
      resolve(error ? [] : stdout.split('\n').map((line) => line.trim()).filter(Boolean));
    });
  });
}

function gpuBackendInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}

/** Cores not already busy: available cores minus one for the app, minus the current 1-minute load. */
export function freeCpuCores(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const load = Math.round(os.loadavg()[0] ?? 0);
  return Math.max(1, cores - 1 - Math.min(load, cores));
}

export async function defaultConcurrency(): Promise<ConcurrencyDefault> {
  if (gpuBackendInstalled()) {
    const gpus = await listGpus();
    if (gpus.length > 0) return { concurrency: gpus.length, gpus, reason: `one run per GPU (${gpus.length} found by nvidia-smi, @tensorflow/tfjs-node-gpu installed)` };
  }
  const cores = freeCpuCores();
  return { concurrency: cores, gpus: [], reason: `one run per free CPU core (${cores} free; no CUDA backend${gpuBackendInstalled() ? ' device' : ' installed'})` };
}
