/**
 * The designer's graph → the experiment file (README, schema version 1), and back.
 *
 * Compiling follows the wires: the Dataset feeding the Scenario, the Scenario and the
 * Training feeding the Model, and the strategies hanging off the Model's output, in the
 * order they were added to the canvas (so moving a block never renumbers runs). What is
 * missing or unconnected becomes a problem on the block that needs it; the spec is still
 * produced as a draft so the back end's validator can add its own problems, which
 * `mapValidatorProblems` places back on blocks by their field paths.
 */
import type { BlockKind, CompiledGraph, CompareIntent, DesignerEdge, DesignerGraph, DesignerNode, GraphProblem, Json, JsonObject } from '../types/graph.ts';
import { BLOCKS, blockFields, handleId, parseHandle } from './blocks.ts';
import { getPath, isObject, setPath } from './config-path.ts';

export interface CompileOptions {
  /** A strategy's catalogue name (for labels in the compare intent). */
  strategyName?: (id: string) => string | undefined;
}

/** The top-level order of the experiment file's keys. */
const SPEC_ORDER = ['schemaVersion', 'name', 'description', 'dataset', 'scenario', 'model', 'training', 'strategies', 'seeds'];
const SECTION: Partial<Record<BlockKind, string>> = { dataset: 'dataset', scenario: 'scenario', model: 'model', training: 'training' };

/** Orders a config's keys as the README's table does, dropping the fields that do not apply. */
export function normaliseConfig(kind: BlockKind, config: JsonObject): JsonObject {
  const fields = blockFields(kind);
  let out: JsonObject = {};
  for (const field of fields) {
    if (field.when && !field.when(config)) continue;
    const value = getPath(config, field.key);
    if (value !== undefined) out = setPath(out, field.key, value);
  }
  // Keys the form does not know stay (the validator names them).
  const known = new Set(fields.map((f) => f.key.split('.')[0]));
  for (const [key, value] of Object.entries(config)) {
    if (!known.has(key)) out[key] = value;
    else if (isObject(value) && isObject(out[key])) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (!fields.some((f) => f.key === `${key}.${inner}`)) (out[key] as JsonObject)[inner] = innerValue;
      }
    }
  }
  return out;
}

function strategySpec(config: JsonObject): JsonObject {
  const out: JsonObject = { id: config.id ?? null };
  if (typeof config.label === 'string' && config.label.trim()) out.label = config.label.trim();
  if (isObject(config.params) && Object.keys(config.params).length > 0) out.params = config.params;
  return out;
}

/** Labels as the back end makes them: the label or catalogue name, `#k` appended when repeated. */
export function strategyLabels(strategies: { id: string; label?: string }[], strategyName: (id: string) => string | undefined = () => undefined): string[] {
  const base = strategies.map((s) => s.label ?? strategyName(s.id) ?? s.id);
  const counts = new Map<string, number>();
  for (const label of base) counts.set(label, (counts.get(label) ?? 0) + 1);
  const seen = new Map<string, number>();
  return base.map((label) => {
    if ((counts.get(label) ?? 0) < 2) return label;
    const k = (seen.get(label) ?? 0) + 1;
    seen.set(label, k);
    return `${label} #${k}`;
  });
}

const incoming = (edges: DesignerEdge[], nodeId: string, port: string) => edges.filter((e) => e.target === nodeId && e.targetHandle === handleId('in', port));

/** The experiment file from the graph, with every problem the graph itself has. */
export function compileGraph(graph: DesignerGraph, name: string, options: CompileOptions = {}): CompiledGraph {
  const problems: GraphProblem[] = [];
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const ofKind = (kind: BlockKind) => graph.nodes.filter((n) => n.kind === kind);
  const { edges } = graph;

  /** The one block of a kind: the wired one when there are several; the others get a problem. */
  const single = (kind: BlockKind, wired?: DesignerNode): DesignerNode | undefined => {
    const all = ofKind(kind);
    const chosen = wired ?? all[0];
    for (const node of all) {
      if (node !== chosen) problems.push({ nodeId: node.id, source: 'graph', message: `Only one ${BLOCKS[kind].title} block is used per experiment: delete this one or the other.` });
    }
    return chosen;
  };
  const sourceOf = (node: DesignerNode | undefined, port: string, kind: BlockKind): DesignerNode | undefined => {
    if (!node) return undefined;
    return incoming(edges, node.id, port)
      .map((e) => byId.get(e.source))
      .find((n): n is DesignerNode => n?.kind === kind);
  };

  // Walk upstream from the model (the hub), so the wired blocks win over stray copies.
  const models = ofKind('model');
  const model = single('model', models.find((m) => incoming(edges, m.id, 'stream').length > 0) ?? models[0]);
  const scenarios = ofKind('scenario');
  const scenario = single('scenario', sourceOf(model, 'stream', 'scenario') ?? scenarios.find((s) => incoming(edges, s.id, 'data').length > 0));
  const dataset = single('dataset', sourceOf(scenario, 'data', 'dataset'));
  const training = single('training', sourceOf(model, 'training', 'training'));
  const metrics = single('metrics');

  if (!dataset) problems.push({ path: '$.dataset', source: 'graph', message: 'No dataset: drag a Dataset block onto the canvas and connect it to the Scenario.' });
  if (!scenario) problems.push({ path: '$.scenario', source: 'graph', message: 'No scenario: add a Scenario block between the Dataset and the Model.' });
  if (!model) problems.push({ path: '$.model', source: 'graph', message: 'No model: add a Model block and connect the Scenario and the Training to it, and it to the strategies.' });
  if (!training) problems.push({ path: '$.training', source: 'graph', message: 'No training settings: add a Training block and connect it to the Model.' });

  if (scenario && dataset && !sourceOf(scenario, 'data', 'dataset')) {
    problems.push({ nodeId: scenario.id, source: 'graph', message: 'Its data input is not connected: drag from the Dataset’s output to this block.' });
  } else if (scenario && !dataset) {
    problems.push({ nodeId: scenario.id, source: 'graph', message: 'Needs a dataset: add a Dataset block and connect it here.' });
  }
  if (model) {
    if (!scenario) problems.push({ nodeId: model.id, source: 'graph', message: 'Needs a scenario: connect a Scenario block to its stream input.' });
    else if (!sourceOf(model, 'stream', 'scenario')) problems.push({ nodeId: model.id, source: 'graph', message: 'Its stream input is not connected: drag from the Scenario’s output to this block.' });
    if (!training) problems.push({ nodeId: model.id, source: 'graph', message: 'Needs training settings: connect a Training block to its training input.' });
    else if (!sourceOf(model, 'training', 'training')) problems.push({ nodeId: model.id, source: 'graph', message: 'Its training input is not connected: drag from the Training block’s output to this block.' });
  }

  // Strategies: those wired to the model, in the order they were added.
  const strategyNodes: string[] = [];
  const strategies: JsonObject[] = [];
  for (const node of ofKind('strategy')) {
    const from = sourceOf(node, 'model', 'model');
    if (!model) {
      problems.push({ nodeId: node.id, source: 'graph', message: 'Needs a model: add a Model block and connect its output to this strategy.' });
    } else if (from !== model) {
      problems.push({ nodeId: node.id, source: 'graph', message: 'Not connected to the model: drag from the Model’s output to this strategy (it is left out until then).' });
    } else {
      strategyNodes.push(node.id);
      strategies.push(strategySpec(node.config));
    }
  }
  if (strategies.length === 0) {
    problems.push({ path: '$.strategies', source: 'graph', message: 'No strategy: drag at least one strategy from the palette and connect the Model to it.' });
    if (model && ofKind('strategy').length === 0) problems.push({ nodeId: model.id, source: 'graph', message: 'Connect at least one strategy to its model output.' });
  }
  const seeds = graph.seeds;
  if (seeds.length === 0) problems.push({ target: 'seeds', path: '$.seeds', source: 'graph', message: 'Give at least one seed (one run per strategy per seed).' });

  const parts: Record<string, Json | undefined> = {
    schemaVersion: 1,
    name,
    description: graph.description?.trim() ? graph.description.trim() : undefined,
    strategies,
    seeds,
  };
  for (const node of [dataset, scenario, model, training]) {
    if (node) parts[SECTION[node.kind] as string] = normaliseConfig(node.kind, node.config);
  }
  const spec: JsonObject = {};
  for (const key of SPEC_ORDER) if (parts[key] !== undefined) spec[key] = parts[key] as Json;

  // The compare intent: strategies wired into the Compare block (all when there is none).
  const labels = strategyLabels(
    strategies.map((s) => ({ id: String(s.id), ...(typeof s.label === 'string' ? { label: s.label } : {}) })),
    options.strategyName,
  );
  let compared = strategyNodes;
  if (metrics) {
    const wired = new Set(incoming(edges, metrics.id, 'results').map((e) => e.source));
    if (wired.size > 0) compared = strategyNodes.filter((id) => wired.has(id));
  }
  const compare: CompareIntent = { strategies: compared.map((id) => labels[strategyNodes.indexOf(id)]) };
  const baselineNode = metrics && typeof metrics.config.baseline === 'string' ? metrics.config.baseline : undefined;
  if (baselineNode && strategyNodes.includes(baselineNode)) compare.baseline = labels[strategyNodes.indexOf(baselineNode)];
  if (metrics && Array.isArray(metrics.config.metrics) && metrics.config.metrics.length) compare.metrics = metrics.config.metrics.map(String);

  return { spec, problems, strategyNodes, compare };
}

/**
 * Places the validator's problems (`$.strategies[1].params.lr: must be > 0`) on the blocks
 * they concern. Problems the graph already reports (a missing section) are not repeated.
 */
export function mapValidatorProblems(
  problems: { path: string; message: string }[],
  graph: DesignerGraph,
  compiled: Pick<CompiledGraph, 'strategyNodes' | 'problems'>,
): GraphProblem[] {
  const known = new Set(compiled.problems.map((p) => p.path).filter(Boolean));
  const find = (kind: BlockKind) => {
    const wiredIds = new Set(graph.edges.flatMap((e) => [e.source, e.target]));
    const all = graph.nodes.filter((n) => n.kind === kind);
    return all.find((n) => wiredIds.has(n.id)) ?? all[0];
  };
  const out: GraphProblem[] = [];
  for (const problem of problems) {
    if (known.has(problem.path)) continue;
    const strategy = /^\$\.strategies\[(\d+)\](?:\.(.*))?$/.exec(problem.path);
    const section = /^\$\.(dataset|scenario|model|training)(?:\.(.*))?$/.exec(problem.path);
    const field = (rest: string | undefined) => rest?.replace(/\[\d+\]/g, '') || undefined;
    if (strategy) {
      const nodeId = compiled.strategyNodes[Number(strategy[1])];
      const rest = field(strategy[2]);
      out.push({ ...(nodeId ? { nodeId } : {}), ...(rest ? { field: rest } : {}), path: problem.path, message: problem.message, source: 'validator' });
    } else if (section) {
      const node = find(section[1] as BlockKind);
      const rest = field(section[2]);
      out.push({ ...(node ? { nodeId: node.id } : {}), ...(rest ? { field: rest } : {}), path: problem.path, message: problem.message, source: 'validator' });
    } else if (problem.path.startsWith('$.seeds')) {
      out.push({ target: 'seeds', path: problem.path, message: problem.message, source: 'validator' });
    } else if (problem.path === '$.name') {
      out.push({ target: 'name', path: problem.path, message: problem.message, source: 'validator' });
    } else {
      out.push({ path: problem.path, message: problem.message, source: 'validator' });
    }
  }
  return out;
}

let counter = 0;
/** A fresh block id (`scenario-k3x9-2`). */
export function newNodeId(kind: BlockKind): string {
  counter += 1;
  return `${kind}-${Date.now().toString(36)}-${counter}`;
}

const edge = (source: DesignerNode, target: DesignerNode, port: string): DesignerEdge => ({
  id: `e-${source.id}-${target.id}-${port}`,
  source: source.id,
  target: target.id,
  sourceHandle: handleId('out', port),
  targetHandle: handleId('in', port),
});

export function edgeBetween(source: DesignerNode, target: DesignerNode, sourceHandle: string, targetHandle: string): DesignerEdge | undefined {
  const from = parseHandle(sourceHandle);
  const to = parseHandle(targetHandle);
  if (!from || !to || from.type !== to.type || from.direction !== 'out' || to.direction !== 'in') return undefined;
  return edge(source, target, from.type);
}

/** Column x positions of the layout a spec opens with (blocks are 184 px wide). */
const COLUMN = { dataset: 0, scenario: 220, model: 440, training: 220, strategy: 660 };
const ROW = 110;

/**
 * An experiment file as a ready graph (recipes, and experiments saved without one):
 * blocks laid out left to right with every wire in place. No Compare block: without one,
 * every strategy is compared (add one from the palette to choose and pin a baseline).
 */
export function specToGraph(spec: unknown): { graph: DesignerGraph; name: string } {
  const s = isObject(spec) ? spec : {};
  const section = (key: string): JsonObject => (isObject(s[key]) ? (s[key] as JsonObject) : {});
  const strategies = Array.isArray(s.strategies) ? s.strategies.filter(isObject) : [];
  const height = Math.max(strategies.length, 2) * ROW;
  const middle = Math.round(Math.max(0, height / 2 - ROW / 2));
  const make = (kind: BlockKind, config: JsonObject, x: number, y: number): DesignerNode => ({ id: newNodeId(kind), kind, position: { x, y }, config });
  const dataset = make('dataset', section('dataset'), COLUMN.dataset, middle - ROW / 2);
  const scenario = make('scenario', section('scenario'), COLUMN.scenario, middle - ROW / 2);
  const training = make('training', section('training'), COLUMN.training, middle + ROW * 0.75);
  const model = make('model', section('model'), COLUMN.model, middle);
  const strategyNodes = strategies.map((config, index) =>
    make('strategy', { id: config.id ?? null, ...(config.label !== undefined ? { label: config.label } : {}), ...(config.params !== undefined ? { params: config.params } : {}) }, COLUMN.strategy, index * ROW),
  );
  const nodes = [dataset, scenario, training, model, ...strategyNodes];
  const edges = [
    edge(dataset, scenario, 'data'),
    edge(scenario, model, 'stream'),
    edge(training, model, 'training'),
    ...strategyNodes.map((node) => edge(model, node, 'model')),
  ];
  const seeds = Array.isArray(s.seeds) ? s.seeds.filter((seed): seed is number => typeof seed === 'number') : [0];
  return {
    graph: {
      kind: 'clwb-designer-graph',
      version: 1,
      nodes,
      edges,
      seeds,
      ...(typeof s.description === 'string' ? { description: s.description } : {}),
    },
    name: typeof s.name === 'string' ? s.name : 'Untitled experiment',
  };
}

/** An empty canvas. */
export function emptyGraph(): DesignerGraph {
  return { kind: 'clwb-designer-graph', version: 1, nodes: [], edges: [], seeds: [0] };
}

/** Whether a stored value is a graph this version can open. */
export function isDesignerGraph(value: unknown): value is DesignerGraph {
  return isObject(value) && value.kind === 'clwb-designer-graph' && value.version === 1 && Array.isArray(value.nodes) && Array.isArray(value.edges) && Array.isArray(value.seeds);
}
