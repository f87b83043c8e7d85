/**
 * What each kind of block is: its ports (typed handles), its title and colour, the
 * fields of its properties form, and the one-line summary it shows on the canvas.
 * Pure data and functions; the catalogue is passed in.
 */
import type { Catalogue, CatalogueStrategy } from '../../../main/workbench/api/contract.ts';
import type { FieldDef } from '../types/fields.ts';
import type { BlockKind, DesignerNode, Json, JsonObject, PortSpec } from '../types/graph.ts';
import { getPath } from './config-path.ts';

export interface BlockMeta {
  kind: BlockKind;
  title: string;
  /** One sentence for the palette heading and the empty properties panel. */
  hint: string;
  /** CSS variable with the block's accent colour. */
  accent: string;
  ports: PortSpec[];
}

export const BLOCKS: Record<BlockKind, BlockMeta> = {
  dataset: {
    kind: 'dataset',
    title: 'Dataset',
    hint: 'The samples and labels to learn from.',
    accent: 'var(--clwb-block-dataset)',
    ports: [{ type: 'data', direction: 'out', label: 'data', single: false, required: false }],
  },
  scenario: {
    kind: 'scenario',
    title: 'Scenario',
    hint: 'Cuts the dataset into a stream of experiences.',
    accent: 'var(--clwb-block-scenario)',
    ports: [
      { type: 'data', direction: 'in', label: 'data', single: true, required: true },
      { type: 'stream', direction: 'out', label: 'stream', single: false, required: false },
    ],
  },
  model: {
    kind: 'model',
    title: 'Model',
    hint: 'The network every strategy starts from.',
    accent: 'var(--clwb-block-model)',
    ports: [
      { type: 'stream', direction: 'in', label: 'stream', single: true, required: true },
      { type: 'training', direction: 'in', label: 'training', single: true, required: true },
      { type: 'model', direction: 'out', label: 'model', single: false, required: false },
    ],
  },
  training: {
    kind: 'training',
    title: 'Training',
    hint: 'Epochs, batch size and optimiser, shared by every strategy.',
    accent: 'var(--clwb-block-training)',
    ports: [{ type: 'training', direction: 'out', label: 'training', single: false, required: false }],
  },
  strategy: {
    kind: 'strategy',
    title: 'Strategy',
    hint: 'A continual-learning method; add several to compare them.',
    accent: 'var(--clwb-block-strategy)',
    ports: [
      { type: 'model', direction: 'in', label: 'model', single: true, required: true },
      { type: 'results', direction: 'out', label: 'results', single: false, required: false },
    ],
  },
  metrics: {
    kind: 'metrics',
    title: 'Compare',
    hint: 'The strategies wired in here are compared side by side.',
    accent: 'var(--clwb-block-metrics)',
    ports: [{ type: 'results', direction: 'in', label: 'results', single: false, required: false }],
  },
};

/** `out:data`, `in:stream` ... */
export const handleId = (direction: 'in' | 'out', type: string): string => `${direction}:${type}`;

/** The port a handle id names. */
export function parseHandle(handle: string | null | undefined): { direction: 'in' | 'out'; type: string } | undefined {
  const match = /^(in|out):([a-z]+)$/.exec(handle ?? '');
  return match ? { direction: match[1] as 'in' | 'out', type: match[2] } : undefined;
}

export const SCENARIO_LABELS: Record<string, string> = {
  'class-incremental': 'Class-incremental',
  'task-incremental': 'Task-incremental',
  'domain-incremental': 'Domain-incremental',
};

export const MODEL_LABELS: Record<string, string> = { mlp: 'MLP', cnn: 'CNN', 'resnet18-reduced': 'Reduced ResNet-18' };

/** The metric columns a Compare block can put first. */
export const METRIC_CHOICES: Record<string, string> = {
  acc: 'ACC',
  bwt: 'BWT',
  fwt: 'FWT',
  forgetting: 'Forgetting',
  taskAcc: 'Task-IL ACC',
  trainSeconds: 'Train time',
  peakTensorBytes: 'Peak memory',
};

const split = (config: JsonObject) => config.type !== 'domain-incremental';
const isSgd = (config: JsonObject) => getPath(config, 'optimizer.type') === 'sgd';
const isAdam = (config: JsonObject) => getPath(config, 'optimizer.type') !== 'sgd';

/** Fields of the blocks that are not strategies (README, "The experiment file"). */
export function blockFields(kind: BlockKind, catalogue?: Catalogue): FieldDef[] {
  switch (kind) {
    case 'dataset': {
      const datasets = catalogue?.datasets ?? [];
      return [
        {
          key: 'id',
          label: 'Dataset',
          type: 'enum',
          required: true,
          values: datasets.map((d) => d.id),
          valueLabels: Object.fromEntries(datasets.map((d) => [d.id, d.name])),
          description: 'Which samples to learn from. Bundled datasets need no download; the others are fetched or imported in the Datasets view.',
        },
        { key: 'path', label: 'Folder', type: 'string', description: "A folder holding the dataset's files, instead of the cache." },
      ];
    }
    case 'scenario':
      return [
        {
          key: 'type',
          label: 'Scenario',
          type: 'enum',
          required: true,
          values: Object.keys(SCENARIO_LABELS),
          valueLabels: SCENARIO_LABELS,
          description: 'Class-IL: split classes, one head, no task id at test. Task-IL: task id given at test. Domain-IL: same classes, inputs transformed.',
        },
        {
          key: 'experiences',
          label: 'Experiences',
          type: 'integer',
          minimum: 1,
          maximum: 1000,
          defaultText: 'split: classes ÷ classes per experience (5 if neither is set); domain-IL: 5',
          description: 'How many experiences the stream has.',
        },
        { key: 'classesPerExperience', label: 'Classes per experience', type: 'integer', minimum: 1, defaultText: 'classes ÷ experiences', description: 'Classes in each experience (must divide the class count when experiences is unset).', when: split },
        { key: 'classOrder', label: 'Class order', type: 'integer[]', minimum: 0, defaultText: '0 … C−1', description: 'An explicit order of all classes, e.g. 1, 0, 3, 2 …', when: split },
        { key: 'shuffleClasses', label: 'Shuffle classes', type: 'boolean', default: false, description: "A class order drawn from each run's seed.", when: split },
        { key: 'transform', label: 'Transform', type: 'enum', values: ['permuted', 'rotated'], description: 'Permuted: a fixed random pixel permutation per experience. Rotated: a rotation per experience.', when: (c) => !split(c) },
        { key: 'angles', label: 'Angles (°)', type: 'number[]', defaultText: 'evenly spaced over [0°, 180°)', description: 'One rotation angle per experience.', when: (c) => !split(c) && c.transform === 'rotated' },
        { key: 'trainSamplesPerExperience', label: 'Train samples / experience', type: 'integer', minimum: 1, defaultText: 'all', unit: 'samples', description: 'Keep this many training samples per experience (a seeded pick), e.g. 1000 in the GEM protocol.' },
        { key: 'testSamplesPerExperience', label: 'Test samples / experience', type: 'integer', minimum: 1, defaultText: 'all', unit: 'samples', description: 'The same for test samples.' },
        { key: 'online.experienceSize', label: 'Online: mini-experience size', type: 'integer', minimum: 1, defaultText: 'off', unit: 'samples', description: 'An online stream: each experience arrives as mini-experiences of this many samples, each seen once (needs 1 epoch).' },
      ];
    case 'model':
      return [
        { key: 'type', label: 'Model', type: 'enum', required: true, values: Object.keys(MODEL_LABELS), valueLabels: MODEL_LABELS, description: 'MLP (ReLU), a small CNN, or the reduced ResNet-18 of the GEM paper.' },
        { key: 'hidden', label: 'Hidden widths', type: 'integer[]', default: [400, 400], minimum: 1, maximum: 65536, description: 'MLP hidden layer widths, e.g. 400, 400.', when: (c) => c.type === 'mlp' },
        { key: 'channels', label: 'Conv channels', type: 'integer[]', default: [32, 64], minimum: 1, maximum: 4096, minItems: 1, description: 'One 3×3 conv + ReLU + 2×2 max-pool per entry, then dense 128.', when: (c) => c.type === 'cnn' },
        { key: 'width', label: 'Base width', type: 'integer', default: 20, minimum: 1, maximum: 512, description: 'Reduced ResNet-18 base width (nf).', when: (c) => c.type === 'resnet18-reduced' },
        { key: 'head', label: 'Head', type: 'enum', values: ['single', 'multi'], valueLabels: { single: 'Single head', multi: 'One head per task' }, defaultText: 'multi for task-IL, else single', description: 'One output layer over all classes, or one per task (task-IL only).' },
      ];
    case 'training':
      return [
        { key: 'epochs', label: 'Epochs', type: 'integer', default: 1, minimum: 1, maximum: 10000, description: "Passes over each experience's data.", group: 'Schedule' },
        { key: 'iterations', label: 'Iterations', type: 'integer', minimum: 1, defaultText: 'off (use epochs)', unit: 'steps', description: 'Instead of epochs: a fixed number of steps per experience.', group: 'Schedule' },
        { key: 'batchSize', label: 'Batch size', type: 'integer', default: 128, minimum: 1, maximum: 65536, group: 'Schedule', description: 'Training mini-batch size.' },
        { key: 'evalBatchSize', label: 'Evaluation batch size', type: 'integer', default: 1000, minimum: 1, maximum: 65536, group: 'Schedule', description: 'Batch size when evaluating.' },
        { key: 'resetOptimizer', label: 'Reset optimiser', type: 'boolean', default: false, group: 'Schedule', description: 'Fresh optimiser state at the start of every experience.' },
        { key: 'optimizer.type', label: 'Optimiser', type: 'enum', required: true, values: ['adam', 'sgd'], valueLabels: { adam: 'Adam', sgd: 'SGD' }, group: 'Optimiser', description: 'SGD (PyTorch semantics) or Adam.' },
        { key: 'optimizer.lr', label: 'Learning rate', type: 'number', default: 0.001, minimum: 0, exclusiveMinimum: true, maximum: 10, logScale: true, group: 'Optimiser', description: 'Step size (> 0).' },
        { key: 'optimizer.momentum', label: 'Momentum', type: 'number', default: 0, minimum: 0, maximum: 0.999999, group: 'Optimiser', description: 'SGD momentum in [0, 1).', when: isSgd },
        { key: 'optimizer.weightDecay', label: 'Weight decay', type: 'number', default: 0, minimum: 0, maximum: 1, group: 'Optimiser', description: 'L2 added to the gradient.' },
        { key: 'optimizer.beta1', label: 'β₁', type: 'number', default: 0.9, minimum: 0, maximum: 0.999999, group: 'Optimiser', description: 'Adam first-moment decay.', when: isAdam },
        { key: 'optimizer.beta2', label: 'β₂', type: 'number', default: 0.999, minimum: 0, maximum: 0.999999999, group: 'Optimiser', description: 'Adam second-moment decay.', when: isAdam },
        { key: 'optimizer.epsilon', label: 'ε', type: 'number', default: 1e-7, minimum: 0, exclusiveMinimum: true, maximum: 1, group: 'Optimiser', description: 'Adam numerical stability term.', when: isAdam },
      ];
    case 'metrics':
      return [
        {
          key: 'metrics',
          label: 'Headline metrics',
          type: 'enum[]',
          values: Object.keys(METRIC_CHOICES),
          valueLabels: METRIC_CHOICES,
          defaultText: 'all',
          description: 'The columns the Compare view shows first. Every metric is always computed.',
        },
      ];
    case 'strategy':
      return [];
  }
}

/** A strategy's fields: its label, then its catalogue parameters under `params.`. */
export function strategyFields(entry: CatalogueStrategy | undefined): FieldDef[] {
  const fields: FieldDef[] = [
    { key: 'label', label: 'Label', type: 'string', defaultText: entry?.name ?? 'the catalogue name', description: 'The name shown in results and charts.' },
  ];
  if (!entry) return fields;
  for (const [name, schema] of Object.entries(entry.params)) {
    const base = { key: `params.${name}`, label: name, description: schema.description, ...(schema.unit ? { unit: schema.unit } : {}) };
    switch (schema.type) {
      case 'number':
      case 'integer':
        fields.push({
          ...base,
          type: schema.type,
          default: schema.default,
          ...(schema.minimum !== undefined ? { minimum: schema.minimum } : {}),
          ...(schema.maximum !== undefined ? { maximum: schema.maximum } : {}),
          ...(schema.exclusiveMinimum ? { exclusiveMinimum: true } : {}),
          ...(schema.logScale ? { logScale: true } : {}),
        });
        break;
      case 'boolean':
        fields.push({ ...base, type: 'boolean', default: schema.default });
        break;
      case 'enum':
        fields.push({ ...base, type: 'enum', default: schema.default, values: schema.values });
        break;
      case 'integer[]':
        fields.push({
          ...base,
          type: 'integer[]',
          default: schema.default,
          ...(schema.minimum !== undefined ? { minimum: schema.minimum } : {}),
          ...(schema.maximum !== undefined ? { maximum: schema.maximum } : {}),
          ...(schema.minItems !== undefined ? { minItems: schema.minItems } : {}),
        });
        break;
    }
  }
  return fields;
}

/** Every field of a node that applies to its current settings. */
export function fieldsOf(node: DesignerNode, catalogue?: Catalogue): FieldDef[] {
  const all = node.kind === 'strategy' ? strategyFields(strategyEntry(node, catalogue)) : blockFields(node.kind, catalogue);
  return all.filter((field) => !field.when || field.when(node.config));
}

export function strategyEntry(node: DesignerNode, catalogue?: Catalogue): CatalogueStrategy | undefined {
  return node.kind === 'strategy' ? catalogue?.strategies.find((s) => s.id === node.config.id) : undefined;
}

function list(value: Json | undefined): string {
  return Array.isArray(value) ? value.join('-') : '';
}

function short(value: number): string {
  if (value !== 0 && (Math.abs(value) < 0.01 || Math.abs(value) >= 1e5)) return value.toExponential(0).replace('e-', 'e−');
  return String(value);
}

/** The block's title on the canvas (a strategy's catalogue name, a dataset's name ...). */
export function nodeTitle(node: DesignerNode, catalogue?: Catalogue): string {
  const c = node.config;
  switch (node.kind) {
    case 'dataset':
      return catalogue?.datasets.find((d) => d.id === c.id)?.name ?? (typeof c.id === 'string' ? c.id : 'Dataset');
    case 'scenario':
      return SCENARIO_LABELS[String(c.type)] ?? 'Scenario';
    case 'model':
      return MODEL_LABELS[String(c.type)] ?? 'Model';
    case 'training':
      return 'Training';
    case 'strategy':
      return typeof c.label === 'string' && c.label ? c.label : (strategyEntry(node, catalogue)?.name ?? String(c.id ?? 'Strategy'));
    case 'metrics':
      return 'Compare';
  }
}

/** One line under the title: the settings that matter most. */
export function nodeSummary(node: DesignerNode, catalogue?: Catalogue): string {
  const c = node.config;
  switch (node.kind) {
    case 'dataset': {
      const info = catalogue?.datasets.find((d) => d.id === c.id);
      return info ? `${info.numClasses} classes · ${info.inputShape.join('×')}${info.available ? '' : ' · not downloaded'}` : String(c.id ?? 'choose a dataset');
    }
    case 'scenario': {
      const parts = [c.experiences !== undefined ? `${String(c.experiences)} experiences` : 'experiences: default'];
      if (c.transform) parts.push(String(c.transform));
      if (c.trainSamplesPerExperience !== undefined) parts.push(`${String(c.trainSamplesPerExperience)} train/exp`);
      if (getPath(c, 'online.experienceSize') !== undefined) parts.push(`online ×${String(getPath(c, 'online.experienceSize'))}`);
      return parts.join(' · ');
    }
    case 'model':
      if (c.type === 'mlp') return `hidden ${list(c.hidden ?? [400, 400])}`;
      if (c.type === 'cnn') return `channels ${list(c.channels ?? [32, 64])}`;
      return `width ${String(c.width ?? 20)}`;
    case 'training': {
      const optimizer = String(getPath(c, 'optimizer.type') ?? 'adam');
      const lr = getPath(c, 'optimizer.lr');
      const schedule = c.iterations !== undefined ? `${String(c.iterations)} it/exp` : `${String(c.epochs ?? 1)} epoch${c.epochs !== undefined && c.epochs !== 1 ? 's' : ''}`;
      return `${optimizer === 'sgd' ? 'SGD' : 'Adam'} lr ${short(typeof lr === 'number' ? lr : 0.001)} · ${schedule} · batch ${String(c.batchSize ?? 128)}`;
    }
    case 'strategy': {
      const params = (c.params ?? {}) as JsonObject;
      const set = Object.entries(params).map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(',') : typeof value === 'number' ? short(value) : String(value)}`);
      const entry = strategyEntry(node, catalogue);
      if (set.length) return set.join(' · ');
      return entry ? `${entry.family} · defaults` : 'unknown strategy';
    }
    case 'metrics': {
      const metrics = Array.isArray(c.metrics) ? c.metrics.map((m) => METRIC_CHOICES[String(m)] ?? String(m)) : [];
      return metrics.length ? metrics.join(', ') : 'all metrics';
    }
  }
}
