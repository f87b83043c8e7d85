/**
 * The experiment file (schema version 1): the contract between the canvas, the
 * `clwb` command line and users' scripts. `validateExperiment` reports every
 * problem with its field path and returns the spec with all defaults filled in.
 * Field-by-field documentation lives in README.md ("The experiment file").
 */
import { WorkbenchError } from '../errors.ts';
import { describeValue, ProblemList, resolveParams, type ParamSchemas, type ParamValues } from './schema.ts';

export const EXPERIMENT_SCHEMA_VERSION = 1;

export type ScenarioType = 'class-incremental' | 'task-incremental' | 'domain-incremental';
export type DomainTransform = 'permuted' | 'rotated';
export type ModelType = 'mlp' | 'cnn' | 'resnet18-reduced';
export type HeadType = 'single' | 'multi';
export type OptimizerType = 'sgd' | 'adam';

export interface ScenarioSpec {
  type: ScenarioType;
  /** Number of experiences. Split scenarios: default numClasses / classesPerExperience; domain-IL: default 5. */
  experiences: number;
  /** Split scenarios: classes per experience (default numClasses / experiences, which must divide). */
  classesPerExperience?: number;
  /** Split scenarios: explicit class order; otherwise 0..C-1, or seeded per run when shuffleClasses. */
  classOrder?: number[];
  shuffleClasses?: boolean;
  /** Domain-IL only. */
  transform?: DomainTransform;
  /** Rotated: angle in degrees of each experience (default evenly spaced over [0, 180)). */
  angles?: number[];
  /** Keep only this many training samples per experience (seeded pick), e.g. 1000 in the GEM protocol. */
  trainSamplesPerExperience?: number;
  testSamplesPerExperience?: number;
  /** Online stream: each experience arrives as mini-experiences of `experienceSize` samples, seen once. */
  online?: { experienceSize: number };
}

export interface ModelSpec {
  type: ModelType;
  /** MLP hidden layer widths (default [400, 400]). */
  hidden: number[];
  /** CNN conv channels (default [32, 64]). */
  channels: number[];
  /** Reduced ResNet-18 base width (default 20, as in the GEM paper). */
  width: number;
  /** Output layer: one head over all classes, or one head per task (default multi for task-IL). */
  head: HeadType;
}

/** Only the fields of the chosen type are present: momentum for SGD, beta1/beta2/epsilon for Adam. */
export interface OptimizerSpec {
  type: OptimizerType;
  lr: number;
  weightDecay: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface TrainingSpec {
  /** Passes over each experience's data (`iterations`, when set, takes precedence). */
  epochs: number;
  /** Fixed number of optimisation steps per experience, instead of epochs (van de Ven & Tolias). */
  iterations?: number;
  batchSize: number;
  evalBatchSize: number;
  optimizer: OptimizerSpec;
  /** Start each experience with fresh optimizer state. */
  resetOptimizer: boolean;
}

export interface StrategySpec {
  id: string;
  /** Display name in results and charts (default: the catalogue name, plus params when repeated). */
  label?: string;
  params: ParamValues;
}

export interface ExperimentSpec {
  schemaVersion: 1;
  name: string;
  description?: string;
  dataset: { id: string; path?: string };
  scenario: ScenarioSpec;
  model: ModelSpec;
  training: TrainingSpec;
  strategies: StrategySpec[];
  seeds: number[];
}

/** What the validator needs to know about the registries, passed in to keep this module pure. */
export interface ValidationCatalogue {
  dataset(id: string): { numClasses: number; inputShape: [number, number, number] } | undefined;
  datasetIds(): string[];
  strategy(id: string): { params: ParamSchemas; scenarios: ScenarioType[]; online?: boolean } | undefined;
  strategyIds(): string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads the fields of one object, flagging unknown keys and wrong types, by path. */
class Reader {
  constructor(
    private readonly problems: ProblemList,
    readonly path: string,
    readonly value: Json,
    allowed: string[],
  ) {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) problems.add(`${path}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
    }
  }

  private bad(key: string, message: string): undefined {
    this.problems.add(`${this.path}.${key}`, message);
    return undefined;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  string(key: string, options: { required?: boolean; values?: readonly string[] } = {}): string | undefined {
    const value = this.value[key];
    if (value === undefined) return options.required ? this.bad(key, 'is required') : undefined;
    if (typeof value !== 'string' || value.length === 0) return this.bad(key, `must be a non-empty string, got ${describeValue(value)}`);
    if (options.values && !options.values.includes(value)) {
      return this.bad(key, `must be one of ${options.values.map((v) => `"${v}"`).join(', ')}, got "${value}"`);
    }
    return value;
  }

  number(key: string, options: { required?: boolean; integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean } = {}): number | undefined {
    const value = this.value[key];
    if (value === undefined) return options.required ? this.bad(key, 'is required') : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.bad(key, `must be a number, got ${describeValue(value)}`);
    if (options.integer && !Number.isInteger(value)) return this.bad(key, `must be an integer, got ${value}`);
    if (options.min !== undefined && (options.exclusiveMin ? value <= options.min : value < options.min)) {
      return this.bad(key, `must be ${options.exclusiveMin ? '>' : '>='} ${options.min}, got ${value}`);
    }
    if (options.max !== undefined && value > options.max) return this.bad(key, `must be <= ${options.max}, got ${value}`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') return this.bad(key, `must be true or false, got ${describeValue(value)}`);
    return value;
  }

  numbers(key: string, options: { integer?: boolean; min?: number; max?: number; minItems?: number } = {}): number[] | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.bad(key, `must be an array, got ${describeValue(value)}`);
    if (options.minItems !== undefined && value.length < options.minItems) return this.bad(key, `must have at least ${options.minItems} item(s)`);
    let ok = true;
    value.forEach((item: unknown, index) => {
      const where = `${key}[${index}]`;
      if (typeof item !== 'number' || !Number.isFinite(item)) ok = !!this.bad(where, `must be a number, got ${describeValue(item)}`);
      else if (options.integer && !Number.isInteger(item)) ok = !!this.bad(where, `must be an integer, got ${item}`);
      else if (options.min !== undefined && item < options.min) ok = !!this.bad(where, `must be >= ${options.min}, got ${item}`);
      else if (options.max !== undefined && item > options.max) ok = !!this.bad(where, `must be <= ${options.max}, got ${item}`);
    });
    return ok ? (value as number[]) : undefined;
  }

  object(key: string, allowed: string[], required = false): Reader | undefined {
    const value = this.value[key];
    if (value === undefined) return required ? this.bad(key, 'is required') : undefined;
    if (!isObject(value)) return this.bad(key, `must be an object, got ${describeValue(value)}`);
    return new Reader(this.problems, `${this.path}.${key}`, value, allowed);
  }
}

const SCENARIO_TYPES: readonly ScenarioType[] = ['class-incremental', 'task-incremental', 'domain-incremental'];

/**
 * Validates a parsed experiment document. Throws `WorkbenchError('SPEC_INVALID')` listing every
 * problem (`details.problems`, each with its field path); returns the spec with defaults filled in.
 */
export function validateExperiment(document: unknown, catalogue: ValidationCatalogue): ExperimentSpec {
  const problems = new ProblemList();
  if (!isObject(document)) {
    throw new WorkbenchError('SPEC_INVALID', `The experiment must be a JSON object, got ${describeValue(document)}`, {
      problems: [{ path: '$', message: 'must be an object' }],
    });
  }
  const root = new Reader(problems, '$', document, ['schemaVersion', 'name', 'description', 'dataset', 'scenario', 'model', 'training', 'strategies', 'seeds']);

  const version = document.schemaVersion;
  if (version === undefined) problems.add('$.schemaVersion', `is required (this version of CL Workbench reads ${EXPERIMENT_SCHEMA_VERSION})`);
  else if (version !== EXPERIMENT_SCHEMA_VERSION) {
    problems.add('$.schemaVersion', `unsupported schema version ${describeValue(version)} (this version of CL Workbench reads ${EXPERIMENT_SCHEMA_VERSION})`);
  }
  const name = root.string('name', { required: true }) ?? '';
  const description = root.string('description');

  // Dataset
  const datasetReader = root.object('dataset', ['id', 'path'], true);
  const datasetId = datasetReader?.string('id', { required: true });
  const datasetPath = datasetReader?.string('path');
  const datasetInfo = datasetId ? catalogue.dataset(datasetId) : undefined;
  if (datasetId && !datasetInfo) problems.add('$.dataset.id', `unknown dataset "${datasetId}" (known: ${catalogue.datasetIds().join(', ')})`);
  const numClasses = datasetInfo?.numClasses ?? 10;

  // Scenario
  const scenario = readScenario(root, problems, numClasses);

  // Model
  const modelReader = root.object('model', ['type', 'hidden', 'channels', 'width', 'head'], true);
  const model: ModelSpec = {
    type: (modelReader?.string('type', { required: true, values: ['mlp', 'cnn', 'resnet18-reduced'] }) ?? 'mlp') as ModelType,
    hidden: modelReader?.numbers('hidden', { integer: true, min: 1, max: 65536 }) ?? [400, 400],
    channels: modelReader?.numbers('channels', { integer: true, min: 1, max: 4096, minItems: 1 }) ?? [32, 64],
    width: modelReader?.number('width', { integer: true, min: 1, max: 512 }) ?? 20,
    head: (modelReader?.string('head', { values: ['single', 'multi'] }) ?? (scenario.type === 'task-incremental' ? 'multi' : 'single')) as HeadType,
  };
  if (model.head === 'multi' && scenario.type !== 'task-incremental') {
    problems.add('$.model.head', `"multi" needs task ids at test time: use it with a task-incremental scenario, not ${scenario.type}`);
  }
  if (model.type !== 'mlp' && modelReader?.has('hidden')) problems.add('$.model.hidden', `only applies to "mlp" models, not "${model.type}"`);

  // Training
  const trainingReader = root.object('training', ['epochs', 'iterations', 'batchSize', 'evalBatchSize', 'optimizer', 'resetOptimizer'], true);
  const optimizerReader = trainingReader?.object('optimizer', ['type', 'lr', 'momentum', 'weightDecay', 'beta1', 'beta2', 'epsilon']);
  const optimizerType = (optimizerReader?.string('type', { required: true, values: ['sgd', 'adam'] }) ?? 'adam') as OptimizerType;
  const common = {
    lr: optimizerReader?.number('lr', { min: 0, exclusiveMin: true, max: 10 }) ?? 0.001,
    weightDecay: optimizerReader?.number('weightDecay', { min: 0, max: 1 }) ?? 0,
  };
  const optimizer: OptimizerSpec =
    optimizerType === 'sgd'
      ? { type: 'sgd', ...common, momentum: optimizerReader?.number('momentum', { min: 0, max: 0.999999 }) ?? 0 }
      : {
          type: 'adam',
          ...common,
          beta1: optimizerReader?.number('beta1', { min: 0, max: 0.999999 }) ?? 0.9,
          beta2: optimizerReader?.number('beta2', { min: 0, max: 0.999999999 }) ?? 0.999,
          epsilon: optimizerReader?.number('epsilon', { min: 0, exclusiveMin: true, max: 1 }) ?? 1e-7,
        };
  if (optimizerReader && optimizer.type === 'sgd') {
    for (const key of ['beta1', 'beta2', 'epsilon']) if (optimizerReader.has(key)) problems.add(`$.training.optimizer.${key}`, 'only applies to "adam"');
  }
  if (optimizerReader && optimizer.type === 'adam' && optimizerReader.has('momentum')) problems.add('$.training.optimizer.momentum', 'only applies to "sgd" (use beta1 for adam)');
  const training: TrainingSpec = {
    epochs: trainingReader?.number('epochs', { integer: true, min: 1, max: 10000 }) ?? 1,
    iterations: trainingReader?.number('iterations', { integer: true, min: 1, max: 10_000_000 }),
    batchSize: trainingReader?.number('batchSize', { integer: true, min: 1, max: 65536 }) ?? 128,
    evalBatchSize: trainingReader?.number('evalBatchSize', { integer: true, min: 1, max: 65536 }) ?? 1000,
    optimizer,
    resetOptimizer: trainingReader?.boolean('resetOptimizer') ?? false,
  };
  if (trainingReader?.has('iterations') && training.epochs !== 1) problems.add('$.training.epochs', 'give either epochs or iterations, not both (iterations sets the length of each experience)');
  if (scenario.online && trainingReader?.has('epochs') && training.epochs !== 1) problems.add('$.training.epochs', 'an online stream is seen once: epochs must be 1');
  if (scenario.online && training.iterations !== undefined) problems.add('$.training.iterations', 'an online stream is seen once: iterations does not apply');

  // Strategies
  const strategies: StrategySpec[] = [];
  const strategyList = document.strategies;
  if (strategyList === undefined) problems.add('$.strategies', 'is required (at least one strategy)');
  else if (!Array.isArray(strategyList)) problems.add('$.strategies', `must be an array, got ${describeValue(strategyList)}`);
  else if (strategyList.length === 0) problems.add('$.strategies', 'must list at least one strategy');
  else {
    strategyList.forEach((item: unknown, index) => {
      const path = `$.strategies[${index}]`;
      if (!isObject(item)) {
        problems.add(path, `must be an object like { "id": "naive" }, got ${describeValue(item)}`);
        return;
      }
      const reader = new Reader(problems, path, item, ['id', 'params', 'label']);
      const id = reader.string('id', { required: true });
      const label = reader.string('label');
      if (!id) return;
      const entry = catalogue.strategy(id);
      if (!entry) {
        problems.add(`${path}.id`, `unknown strategy "${id}" (known: ${catalogue.strategyIds().join(', ')})`);
        return;
      }
      if (!entry.scenarios.includes(scenario.type)) {
        problems.add(`${path}.id`, `"${id}" does not support ${scenario.type} scenarios (supports: ${entry.scenarios.join(', ')})`);
      }
      if (scenario.online && entry.online === false) problems.add(`${path}.id`, `"${id}" cannot run on an online stream`);
      const params = resolveParams(entry.params, item.params, `${path}.params`, problems);
      strategies.push({ id, params, ...(label ? { label } : {}) });
    });
  }

  // Seeds
  const seeds = root.numbers('seeds', { integer: true, min: 0, max: 2 ** 31 - 1, minItems: 1 }) ?? [0];
  if (new Set(seeds).size !== seeds.length) problems.add('$.seeds', 'must not repeat a seed');

  if (!problems.empty) {
    const lines = problems.items.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    throw new WorkbenchError('SPEC_INVALID', `The experiment has ${problems.items.length} problem(s):\n${lines}`, { problems: problems.items });
  }
  return {
    schemaVersion: 1,
    name,
    ...(description ? { description } : {}),
    dataset: { id: datasetId as string, ...(datasetPath ? { path: datasetPath } : {}) },
    scenario,
    model,
    training,
    strategies,
    seeds,
  };
}

function readScenario(root: Reader, problems: ProblemList, numClasses: number): ScenarioSpec {
  const reader = root.object('scenario', [
    'type', 'experiences', 'classesPerExperience', 'classOrder', 'shuffleClasses', 'transform', 'angles',
    'trainSamplesPerExperience', 'testSamplesPerExperience', 'online',
  ], true);
  const type = (reader?.string('type', { required: true, values: SCENARIO_TYPES }) ?? 'class-incremental') as ScenarioType;
  const split = type !== 'domain-incremental';
  let experiences = reader?.number('experiences', { integer: true, min: 1, max: 1000 });
  let classesPerExperience = reader?.number('classesPerExperience', { integer: true, min: 1, max: numClasses });
  const classOrder = reader?.numbers('classOrder', { integer: true, min: 0, max: numClasses - 1 });
  const shuffleClasses = reader?.boolean('shuffleClasses') ?? false;
  const transform = reader?.string('transform', { values: ['permuted', 'rotated'] }) as DomainTransform | undefined;
  const angles = reader?.numbers('angles', { min: -360, max: 360 });
  const trainSamplesPerExperience = reader?.number('trainSamplesPerExperience', { integer: true, min: 1 });
  const testSamplesPerExperience = reader?.number('testSamplesPerExperience', { integer: true, min: 1 });
  const onlineReader = reader?.object('online', ['experienceSize']);
  const online = onlineReader ? { experienceSize: onlineReader.number('experienceSize', { integer: true, min: 1, required: true }) ?? 10 } : undefined;

  if (split) {
    if (transform) problems.add('$.scenario.transform', `only applies to domain-incremental scenarios, not ${type}`);
    if (angles) problems.add('$.scenario.angles', 'only applies to domain-incremental rotated scenarios');
    if (classOrder) {
      if (classOrder.length !== numClasses || new Set(classOrder).size !== numClasses) {
        problems.add('$.scenario.classOrder', `must list each of the dataset's ${numClasses} classes exactly once`);
      }
      if (shuffleClasses) problems.add('$.scenario.shuffleClasses', 'give either classOrder or shuffleClasses, not both');
    }
    if (experiences === undefined && classesPerExperience === undefined) experiences = 5;
    if (experiences !== undefined && classesPerExperience === undefined) {
      if (numClasses % experiences !== 0) problems.add('$.scenario.experiences', `${numClasses} classes cannot be split evenly into ${experiences} experiences: set classesPerExperience`);
      classesPerExperience = Math.max(1, Math.floor(numClasses / experiences));
    } else if (experiences === undefined && classesPerExperience !== undefined) {
      experiences = Math.floor(numClasses / classesPerExperience);
    } else if (experiences !== undefined && classesPerExperience !== undefined && experiences * classesPerExperience > numClasses) {
      problems.add('$.scenario.classesPerExperience', `${experiences} experiences x ${classesPerExperience} classes exceeds the dataset's ${numClasses} classes`);
    }
  } else {
    if (!transform) problems.add('$.scenario.transform', 'is required for domain-incremental scenarios ("permuted" or "rotated")');
    for (const key of ['classesPerExperience', 'classOrder', 'shuffleClasses']) {
      if (reader?.has(key)) problems.add(`$.scenario.${key}`, 'only applies to class- and task-incremental scenarios');
    }
    experiences ??= angles?.length ?? 5;
    if (angles && transform !== 'rotated') problems.add('$.scenario.angles', 'only applies to the "rotated" transform');
    if (angles && angles.length !== experiences) problems.add('$.scenario.angles', `must give one angle per experience (${experiences}), got ${angles.length}`);
  }
  return {
    type,
    experiences: experiences ?? 5,
    ...(split ? { classesPerExperience } : {}),
    ...(classOrder ? { classOrder } : {}),
    ...(split ? { shuffleClasses } : {}),
    ...(transform ? { transform } : {}),
    ...(angles ? { angles } : {}),
    ...(trainSamplesPerExperience ? { trainSamplesPerExperience } : {}),
    ...(testSamplesPerExperience ? { testSamplesPerExperience } : {}),
    ...(online ? { online } : {}),
  };
}
