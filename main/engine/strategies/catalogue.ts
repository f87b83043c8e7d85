/**
 * The strategy catalogue: every strategy registers here by id with its family,
 * paper, parameter schema and supported scenarios. Saved experiments name ids,
 * never code; the UI builds one canvas block per entry.
 */
import type { ScenarioType } from '../spec/experiment.ts';
import type { ParamSchemas, ParamValues } from '../spec/schema.ts';
import type { RunContext, Strategy } from '../training/strategy.ts';
import { WorkbenchError } from '../errors.ts';

export type StrategyFamily = 'baseline' | 'rehearsal' | 'generative' | 'regularisation' | 'architectural' | 'hybrid';

export interface PaperReference {
  authors: string;
  title: string;
  venue: string;
  year: number;
  url?: string;
}

export interface StrategyEntry {
  id: string;
  name: string;
  family: StrategyFamily;
  /** One paragraph: what it does, and any choice made where references differ. */
  description: string;
  paper?: PaperReference;
  params: ParamSchemas;
  scenarios: ScenarioType[];
  /** Whether it can run on an online stream (batch of k samples, one pass). */
  online: boolean;
  create(run: RunContext, params: ParamValues): Strategy;
}

const ALL_SCENARIOS: ScenarioType[] = ['class-incremental', 'task-incremental', 'domain-incremental'];
export { ALL_SCENARIOS };

const registry = new Map<string, StrategyEntry>();

export function registerStrategy(entry: StrategyEntry): void {
  if (registry.has(entry.id)) throw new Error(`strategy ${entry.id} is already registered`);
  registry.set(entry.id, entry);
}

export function getStrategy(id: string): StrategyEntry {
  const entry = registry.get(id);
  if (!entry) throw new WorkbenchError('UNKNOWN_ID', `Unknown strategy "${id}" (known: ${[...registry.keys()].join(', ')})`, { path: id });
  return entry;
}

export function findStrategy(id: string): StrategyEntry | undefined {
  return registry.get(id);
}

export function listStrategies(): StrategyEntry[] {
  return [...registry.values()];
}

/** The catalogue as plain data (no functions), for `clwb strategies --json` and the UI. */
export function catalogueJson(): Omit<StrategyEntry, 'create'>[] {
  return listStrategies().map(({ create: _create, ...rest }) => structuredClone(rest));
}
