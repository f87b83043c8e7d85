/**
 * The designer's palette: the blocks a user can drag, grouped Dataset / Scenario / Model /
 * Training / Strategy (one block per catalogue entry, by family) / Metrics, and the
 * search over them. Each item carries the config its block starts with.
 */
import type { Catalogue } from '../../../main/workbench/api/contract.ts';
import type { BlockKind, JsonObject } from '../types/graph.ts';
import { BLOCKS, MODEL_LABELS } from './blocks.ts';

export interface PaletteItem {
  /** Unique in the palette: `strategy:replay`. */
  key: string;
  kind: BlockKind;
  title: string;
  subtitle: string;
  description: string;
  config: JsonObject;
}

export interface PaletteSection {
  title?: string;
  items: PaletteItem[];
}

export interface PaletteGroup {
  kind: BlockKind;
  title: string;
  sections: PaletteSection[];
}

/** The MIME type a palette drag carries. */
export const PALETTE_MIME = 'application/x-clwb-block';

/** Strategy families in the order the palette shows them. */
export const FAMILY_ORDER = ['baseline', 'rehearsal', 'generative', 'regularisation', 'architectural', 'hybrid'];
export const FAMILY_TITLES: Record<string, string> = {
  baseline: 'Baselines',
  rehearsal: 'Rehearsal',
  generative: 'Generative replay',
  regularisation: 'Regularisation',
  architectural: 'Architectural',
  hybrid: 'Hybrid',
};

export function paletteGroups(catalogue: Catalogue | undefined): PaletteGroup[] {
  const datasets: PaletteItem[] = (catalogue?.datasets ?? []).map((d) => ({
    key: `dataset:${d.id}`,
    kind: 'dataset',
    title: d.name,
    subtitle: d.bundled ? 'bundled' : d.available ? 'downloaded' : 'not downloaded yet',
    description: d.description,
    config: { id: d.id },
  }));
  const scenarios: PaletteItem[] = [
    { key: 'scenario:class', kind: 'scenario', title: 'Class-incremental', subtitle: 'split classes, one head', description: 'New classes in each experience; no task id at test time.', config: { type: 'class-incremental', experiences: 5 } },
    { key: 'scenario:task', kind: 'scenario', title: 'Task-incremental', subtitle: 'split classes, task id given', description: 'New classes per experience; the task id is given at test time (one head per task).', config: { type: 'task-incremental', experiences: 5 } },
    { key: 'scenario:permuted', kind: 'scenario', title: 'Domain-IL: permuted', subtitle: 'same classes, pixels permuted', description: 'All classes in every experience, each with its own fixed pixel permutation.', config: { type: 'domain-incremental', experiences: 5, transform: 'permuted' } },
    { key: 'scenario:rotated', kind: 'scenario', title: 'Domain-IL: rotated', subtitle: 'same classes, rotated inputs', description: 'All classes in every experience, each rotated by its own angle.', config: { type: 'domain-incremental', experiences: 5, transform: 'rotated' } },
    { key: 'scenario:online', kind: 'scenario', title: 'Online class-incremental', subtitle: 'one pass, mini-experiences of 10', description: 'A stream seen once in mini-experiences of 10 samples (needs 1 epoch and online-capable strategies).', config: { type: 'class-incremental', experiences: 5, online: { experienceSize: 10 } } },
  ];
  const modelInfo = catalogue?.models ?? (Object.keys(MODEL_LABELS) as ('mlp' | 'cnn' | 'resnet18-reduced')[]).map((type) => ({ type, name: MODEL_LABELS[type], description: '', inputs: [] }));
  const models: PaletteItem[] = modelInfo.map((m) => ({
    key: `model:${m.type}`,
    kind: 'model',
    title: m.name,
    subtitle: m.type === 'mlp' ? 'hidden 400-400' : m.type === 'cnn' ? 'channels 32-64' : 'width 20',
    description: m.description,
    config: (m.type === 'mlp' ? { type: 'mlp', hidden: [400, 400] } : { type: m.type }) as JsonObject,
  }));
  const training: PaletteItem[] = [
    { key: 'training:adam', kind: 'training', title: 'Adam', subtitle: 'lr 0.001 · 1 epoch · batch 128', description: 'Adam, one epoch per experience, batch 128.', config: { epochs: 1, batchSize: 128, optimizer: { type: 'adam', lr: 0.001 } } },
    { key: 'training:sgd', kind: 'training', title: 'SGD', subtitle: 'lr 0.01 · 1 epoch · batch 128', description: 'Plain SGD, one epoch per experience, batch 128.', config: { epochs: 1, batchSize: 128, optimizer: { type: 'sgd', lr: 0.01 } } },
    { key: 'training:online', kind: 'training', title: 'Single pass (online)', subtitle: 'SGD lr 0.03 · batch 10', description: 'One pass with small batches, as in the GEM papers’ online protocol.', config: { epochs: 1, batchSize: 10, optimizer: { type: 'sgd', lr: 0.03 } } },
  ];
  const families = new Map<string, PaletteItem[]>();
  for (const s of catalogue?.strategies ?? []) {
    const list = families.get(s.family) ?? [];
    list.push({ key: `strategy:${s.id}`, kind: 'strategy', title: s.name, subtitle: s.id, description: s.description, config: { id: s.id } });
    families.set(s.family, list);
  }
  const rank = (family: string) => (FAMILY_ORDER.includes(family) ? FAMILY_ORDER.indexOf(family) : FAMILY_ORDER.length);
  const strategySections = [...families.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([family, items]) => ({ title: FAMILY_TITLES[family] ?? family, items }));
  const metrics: PaletteItem[] = [
    { key: 'metrics:compare', kind: 'metrics', title: 'Compare', subtitle: 'ACC, BWT, FWT, forgetting, cost', description: BLOCKS.metrics.hint, config: {} },
  ];
  return [
    { kind: 'dataset', title: 'Dataset', sections: [{ items: datasets }] },
    { kind: 'scenario', title: 'Scenario', sections: [{ items: scenarios }] },
    { kind: 'model', title: 'Model', sections: [{ items: models }] },
    { kind: 'training', title: 'Training', sections: [{ items: training }] },
    { kind: 'strategy', title: 'Strategy', sections: strategySections },
    { kind: 'metrics', title: 'Metrics', sections: [{ items: metrics }] },
  ];
}

/** The groups with only the items matching every word of `query` (title, id, family, description). */
export function filterPalette(groups: PaletteGroup[], query: string): PaletteGroup[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return groups;
  const matches = (item: PaletteItem, section: PaletteSection, group: PaletteGroup) => {
    const text = `${item.title} ${item.subtitle} ${item.description} ${section.title ?? ''} ${group.title}`.toLowerCase();
    return words.every((word) => text.includes(word));
  };
  return groups
    .map((group) => ({
      ...group,
      sections: group.sections.map((section) => ({ ...section, items: section.items.filter((item) => matches(item, section, group)) })).filter((section) => section.items.length > 0),
    }))
    .filter((group) => group.sections.length > 0);
}
