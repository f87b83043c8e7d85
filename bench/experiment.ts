/** Wall time of a whole experiment file run through the same path as `clwb run`. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { initBackend, parseExperiment, validationCatalogue, type BackendName } from '../main/engine/index.ts';
import { runExperiment } from '../main/workbench/experiment-run.ts';
import type { TableRow } from './index.ts';

export async function benchExperiment(file: string, backend: BackendName | 'auto' = 'auto'): Promise<TableRow> {
  const spec = parseExperiment(await readFile(file, 'utf8'), file, validationCatalogue());
  const info = await initBackend(backend);
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'clwb-bench-'));
  try {
    const start = performance.now();
    const document = await runExperiment({ spec, outDir, backend: info });
    const seconds = (performance.now() - start) / 1000;
    const samples = document.runs.reduce((sum, run) => sum + run.cost.trainedSamples, 0);
    const train = document.runs.reduce((sum, run) => sum + run.cost.trainSeconds, 0);
    return {
      backend: info.name,
      model: `experiment ${path.basename(file)}`,
      value: `${seconds.toFixed(1)} s`,
      peak: `${Math.round(samples / train).toLocaleString('en-US')} samples/s`,
      detail: `${document.runs.length} runs (${spec.strategies.length} strategies x ${spec.seeds.length} seeds), wall time incl. evaluation; second figure: training samples/s`,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
