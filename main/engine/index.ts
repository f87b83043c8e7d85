/**
 * The engine's public surface for hosts (CLI, workbench services, the run worker).
 * Importing it registers the built-in datasets and strategies.
 */
import { getDatasetEntry, listDatasets } from './data/datasets/index.ts';
import { findStrategy, listStrategies } from './strategies/index.ts';
import type { ValidationCatalogue } from './spec/experiment.ts';

export { WorkbenchError, type ErrorCode } from './errors.ts';
export { initBackend, currentBackend, type BackendInfo, type BackendName } from './backend/index.ts';
export { loadDataset, listDatasets, defaultCacheDir, getDatasetEntry, registerImportedDatasets } from './data/datasets/index.ts';
export { validateExperiment, EXPERIMENT_SCHEMA_VERSION, type ExperimentSpec } from './spec/experiment.ts';
export { parseExperiment } from './spec/parse.ts';
export { catalogueJson, listStrategies, getStrategy } from './strategies/index.ts';
export { executeRun, APP_VERSION, type RunCheckpoint, type RunRequest } from './run/execute.ts';
export type { RunEvent } from './run/events.ts';
export type { RunResult, RunCost } from './run/result.ts';
export { computeMetrics, summarise, type Metrics, type Summary } from './metrics/index.ts';
export { packState, unpackState, type StateTree } from './training/state.ts';

/** The registries as the experiment validator sees them. */
export function validationCatalogue(): ValidationCatalogue {
  return {
    dataset(id) {
      try {
        const entry = getDatasetEntry(id);
        return { numClasses: entry.numClasses, inputShape: entry.inputShape };
      } catch {
        return undefined;
      }
    },
    datasetIds: () => listDatasets().map((d) => d.id),
    strategy: (id) => findStrategy(id),
    strategyIds: () => listStrategies().map((s) => s.id),
  };
}
