/**
 * Chooses and initialises the tfjs backend the engine trains on.
 *
 * Preference for 'auto': @tensorflow/tfjs-node-gpu (libtensorflow with CUDA), then
 * @tensorflow/tfjs-node (libtensorflow on CPU), then wasm (XNNPACK, SIMD, one
 * thread under Node), then the pure-JS cpu backend (~90x slower than PyTorch on
 * one core; only a last resort). The two node packages are optional and may be
 * absent, so they are only ever imported dynamically.
 */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { WorkbenchError } from '../errors.ts';
import { registerWasmKernelFixes, WASM_KERNEL_FIXES } from './wasm-kernels.ts';

/** Backends the engine knows, best first. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** What the engine runs on; recorded with every run. */
export interface BackendInfo {
  name: BackendName;
  /** The tfjs backend name that is active (`tensorflow` for both node packages). */
  tfjsBackend: string;
  /** e.g. 'CPU (wasm, SIMD, 1 thread)', 'GPU (CUDA, NVIDIA H100 80GB HBM3)', 'CPU (libtensorflow)'. */
  device: string;
  /** The tfjs version. */
  version: string;
  /** Why this backend was chosen, what was skipped, and what was patched. */
  notes: string[];
}

/** Whether one backend can be used in this process, and why not. */
export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** Why it is unavailable (absent when available). */
  reason?: string;
}

/** Every backend, in the order 'auto' tries them. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const NODE_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
} as const;
type NodeBackendName = keyof typeof NODE_PACKAGES;

interface LoadResult {
  ok: boolean;
  reason?: string;
}

let current: BackendInfo | undefined;
/** The answer an earlier 'auto' call reached, so later 'auto' calls do not probe again. */
let autoChoice: BackendName | undefined;
/** Serialises initBackend calls: two concurrent switches would race in tf.setBackend. */
let queue: Promise<unknown> = Promise.resolve();
const nodeLoads = new Map<NodeBackendName, Promise<LoadResult>>();
let wasmPathsSet = false;
let gpuName: Promise<string | undefined> | undefined;

/**
 * Initialises a backend and makes it tfjs's active backend.
 *
 * @param preferred a backend name, or 'auto' (default) for the best one that loads.
 * @returns what is now active. Cheap when the same answer is already active.
 * @throws WorkbenchError('BACKEND_UNAVAILABLE') when an explicitly named backend cannot load;
 *   the message says why and lists the backends that are available.
 */
export function initBackend(preferred: BackendName | 'auto' = 'auto'): Promise<BackendInfo> {
  const run = queue.then(() => initBackendNow(preferred));
  queue = run.catch(() => undefined);
  return run;
}

/** The backend set by the last successful {@link initBackend}, if it is still tfjs's active one. */
export function currentBackend(): BackendInfo | undefined {
  if (!current) return undefined;
  return tf.getBackend() === current.tfjsBackend ? current : undefined;
}

/**
 * Says which backends can be used here without switching the active one. The node
 * packages are really imported (that is the only test); wasm is checked by finding
 * its package and binaries.
 */
export async function probeBackends(): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  for (const name of BACKEND_ORDER) {
    const result = await probe(name);
    probes.push(result.ok ? { name, available: true } : { name, available: false, reason: result.reason });
  }
  return probes;
}

async function initBackendNow(preferred: BackendName | 'auto'): Promise<BackendInfo> {
  const wanted = preferred === 'auto' ? autoChoice : preferred;
  const active = currentBackend();
  if (wanted && active?.name === wanted) return active;

  if (preferred !== 'auto') {
    const info = await activate(preferred);
    current = info;
    return info;
  }

  const skipped: string[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      const info = await activate(name);
      info.notes.unshift(...skipped, `chosen by 'auto'`);
      current = info;
      autoChoice = name;
      return info;
    } catch (error) {
      skipped.push(`${name} skipped: ${reasonOf(error)}`);
    }
  }
  // Unreachable in practice: the cpu backend ships inside @tensorflow/tfjs.
  throw new WorkbenchError('BACKEND_UNAVAILABLE', `No tfjs backend could be initialised. ${skipped.join('; ')}`, { skipped });
}

async function activate(name: BackendName): Promise<BackendInfo> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return activateNode(name);
    case 'wasm':
      return activateWasm();
    case 'cpu':
      return activateCpu();
  }
}

async function activateNode(name: NodeBackendName): Promise<BackendInfo> {
  const loaded = await loadNodePackage(name);
  if (!loaded.ok) throw await unavailable(name, loaded.reason ?? 'it did not load');
  const failure = await switchTfjsBackend('tensorflow');
  if (failure) throw await unavailable(name, `${NODE_PACKAGES[name]} loaded but its 'tensorflow' backend failed to initialise (${failure})`);
  const notes = [`${NODE_PACKAGES[name]} (libtensorflow) is active`];
  let device = 'CPU (libtensorflow)';
  if (name === 'tensorflow-gpu') {
    const gpu = await queryGpuName();
    device = gpu ? `GPU (CUDA, ${gpu})` : 'GPU (CUDA)';
    if (!gpu) notes.push('nvidia-smi gave no GPU name: libtensorflow falls back to the CPU when it sees no CUDA device');
  }
  return info(name, device, notes);
}

async function activateWasm(): Promise<BackendInfo> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw await unavailable('wasm', `@tensorflow/tfjs-backend-wasm did not load: ${reasonOf(error)}`);
  }
  if (!wasmPathsSet) {
    // Under Node the .wasm binaries are read from the package's dist folder; the
    // path must be set before the backend first initialises.
    try {
      wasm.setWasmPaths(wasmDistDir());
    } catch {
      // Already initialised by someone else: its paths evidently worked.
    }
    wasmPathsSet = true;
  }
  // Register before setBackend: setBackend runs the replaced kernels' setup functions.
  registerWasmKernelFixes();
  const failure = await switchTfjsBackend('wasm');
  if (failure) throw await unavailable('wasm', `the wasm backend failed to initialise (${failure})`);
  // These flags are evaluated asynchronously (by probing WebAssembly features).
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? wasm.getThreadsCount() : 1;
  const device = `CPU (wasm${simd ? ', SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'})`;
  return info('wasm', device, [
    `wasm kernels added: ${WASM_KERNEL_FIXES.added.join(', ')}`,
    `wasm kernels replaced by faster compositions: ${WASM_KERNEL_FIXES.replaced.join(', ')}`,
    ...(threads === 1 ? ['tfjs runs wasm single-threaded under Node: one core per process'] : []),
  ]);
}

async function activateCpu(): Promise<BackendInfo> {
  const failure = await switchTfjsBackend('cpu');
  if (failure) throw await unavailable('cpu', `the cpu backend failed to initialise (${failure})`);
  return info('cpu', 'CPU (JavaScript)', ['the pure-JS cpu backend is ~20x slower than wasm: use it only where wasm cannot load']);
}

/**
 * tf.setBackend that leaves the previous backend active when it fails (tfjs itself
 * would keep the failed name with no backend behind it).
 * @returns undefined on success, else why it failed.
 */
async function switchTfjsBackend(tfjsName: string): Promise<string | undefined> {
  const previous = tf.getBackend() as string | null;
  let failure: string | undefined;
  try {
    if (!(await tf.setBackend(tfjsName))) failure = 'tfjs logged the error above';
  } catch (error) {
    failure = reasonOf(error);
  }
  if (failure && previous && previous !== tfjsName) await tf.setBackend(previous).catch(() => false);
  return failure;
}

function info(name: BackendName, device: string, notes: string[]): BackendInfo {
  return { name, tfjsBackend: tf.getBackend(), device, version: tf.version.tfjs, notes };
}

/** Imports one of the optional node packages once per process, remembering the outcome. */
function loadNodePackage(name: NodeBackendName): Promise<LoadResult> {
  let load = nodeLoads.get(name);
  if (!load) {
    load = importNodePackage(name);
    nodeLoads.set(name, load);
  }
  return load;
}

async function importNodePackage(name: NodeBackendName): Promise<LoadResult> {
  // Both packages bind libtensorflow and register the same 'tensorflow' backend;
  // only one of them can live in a process.
  const other: NodeBackendName = name === 'tensorflow' ? 'tensorflow-gpu' : 'tensorflow';
  const otherLoad = nodeLoads.get(other);
  if (otherLoad && (await otherLoad).ok) {
    return { ok: false, reason: `${NODE_PACKAGES[other]} is already loaded in this process and cannot share it with ${NODE_PACKAGES[name]}` };
  }
  try {
    // Literal specifiers so bundlers can externalise them; each is declared in types/.
    if (name === 'tensorflow-gpu') await import('@tensorflow/tfjs-node-gpu');
    else await import('@tensorflow/tfjs-node');
  } catch (error) {
    return { ok: false, reason: `${NODE_PACKAGES[name]} is not installed or failed to load (${reasonOf(error)})` };
  }
  if (!tf.findBackendFactory('tensorflow')) {
    return { ok: false, reason: `${NODE_PACKAGES[name]} loaded but registered its backend with another copy of @tensorflow/tfjs-core (versions differ from @tensorflow/tfjs ${tf.version.tfjs})` };
  }
  return { ok: true };
}

function wasmDistDir(): string {
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  return path.dirname(entry) + path.sep;
}

async function probe(name: BackendName): Promise<LoadResult> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return loadNodePackage(name);
    case 'wasm': {
      if (!('WebAssembly' in globalThis)) return { ok: false, reason: 'this runtime has no WebAssembly' };
      try {
        const dir = wasmDistDir();
        if (!existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))) return { ok: false, reason: `no wasm binaries in ${dir}` };
      } catch (error) {
        return { ok: false, reason: `@tensorflow/tfjs-backend-wasm is not installed (${reasonOf(error)})` };
      }
      return { ok: true };
    }
    case 'cpu':
      return { ok: true };
  }
}

async function unavailable(name: BackendName, reason: string): Promise<WorkbenchError> {
  const probes = await probeBackends();
  const available = probes.filter((p) => p.available && p.name !== name).map((p) => p.name);
  const list = available.length > 0 ? available.join(', ') : 'none';
  return new WorkbenchError('BACKEND_UNAVAILABLE', `Backend '${name}' is unavailable: ${reason}. Available backends: ${list}.`, {
    backend: name,
    reason,
    available,
  });
}

/** The first GPU's name from nvidia-smi (2 s limit), or undefined. */
function queryGpuName(): Promise<string | undefined> {
  gpuName ??= new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 2000 }, (error, stdout) => {
      const first = error ? undefined : stdout.split('\n').map((line) => line.trim()).find(Boolean);
      resolve(first);
    });
  });
  return gpuName;
}

function reasonOf(error: unknown): string {
  if (error instanceof WorkbenchError) return error.details.reason as string ?? error.message;
  const message = error instanceof Error ? error.message : String(error);
  // Node's "Cannot find package ... imported from ..." is long; the first line says enough.
  return message.split('\n')[0];
}
