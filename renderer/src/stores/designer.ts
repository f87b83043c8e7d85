/**
 * The designer: the graph on the canvas, its undo/redo history, the clipboard, the
 * selection, and its life as an experiment in the project (autosaved through
 * `experiments.save`, validated by the back end, problems placed on blocks).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { RunSummary, ValidationReport } from '../../../main/workbench/api/contract.ts';
import { useClient } from '../composables/useClient.ts';
import type { BlockKind, DesignerEdge, DesignerGraph, DesignerNode, GraphProblem, Json, JsonObject } from '../types/graph.ts';
import { BLOCKS, fieldsOf, parseHandle } from '../utils/blocks.ts';
import { compileGraph, edgeBetween, emptyGraph, isDesignerGraph, mapValidatorProblems, newNodeId, specToGraph } from '../utils/compile.ts';
import { cloneJson, setPath } from '../utils/config-path.ts';
import { toShownError, type ShownError } from '../utils/errors.ts';
import { checkNodeFields } from '../utils/fields.ts';
import { useCatalogueStore } from './catalogue.ts';
import { useProjectStore } from './project.ts';

interface Snapshot {
  graph: DesignerGraph;
  name: string;
}

export interface Connection {
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

export type SaveState = 'idle' | 'dirty' | 'saving' | 'saved' | 'error';

const HISTORY_LIMIT = 100;
/** Edits of one field within this long are one undo step. */
const COALESCE_MS = 1000;
/** Autosave after the graph has been still this long. */
export const AUTOSAVE_MS = 700;

export const useDesignerStore = defineStore('designer', () => {
  const catalogue = useCatalogueStore();
  const project = useProjectStore();

  const experimentId = ref<string | undefined>();
  const name = ref('Untitled experiment');
  const graph = shallowRef<DesignerGraph>(emptyGraph());
  const selection = ref<string[]>([]);
  const past = shallowRef<Snapshot[]>([]);
  const future = shallowRef<Snapshot[]>([]);
  const clipboard = shallowRef<{ nodes: DesignerNode[]; edges: DesignerEdge[] } | undefined>();
  const saveState = ref<SaveState>('idle');
  const savedAt = ref<string | undefined>();
  const saveError = ref<ShownError | undefined>();
  const loadError = ref<ShownError | undefined>();
  const runError = ref<ShownError | undefined>();
  const starting = ref(false);
  /** The back end's verdict on a spec (kept with the spec text it judged). */
  const validation = shallowRef<{ specJson: string; report: ValidationReport } | undefined>();
  /** Bumped when the graph is replaced wholesale (open, undo): the canvas fits the view. */
  const revision = ref(0);

  let coalesce: { key: string; at: number } | undefined;
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  let saving: Promise<void> | undefined;
  let saveAgain = false;
  let pasteCount = 0;

  // -- derived ----------------------------------------------------------------

  const compiled = computed(() => compileGraph(graph.value, name.value, { strategyName: catalogue.strategyName }));
  const specJson = computed(() => JSON.stringify(compiled.value.spec));
  const fieldProblems = computed(() => graph.value.nodes.flatMap((node) => checkNodeFields(node, fieldsOf(node, catalogue.catalogue))));
  /** The back end's report when it judged the spec as it is now. */
  const validated = computed(() => (validation.value && validation.value.specJson === specJson.value ? validation.value.report : undefined));
  const validatorProblems = computed(() => {
    const report = validated.value;
    return report && !report.valid ? mapValidatorProblems(report.problems, graph.value, compiled.value) : [];
  });
  const problems = computed<GraphProblem[]>(() => {
    const seen = new Set<string>();
    const out: GraphProblem[] = [];
    for (const problem of [...compiled.value.problems, ...fieldProblems.value, ...validatorProblems.value]) {
      // The inline check and the validator say the same about a field: show it once.
      const key = problem.nodeId && problem.field ? `${problem.nodeId}|${problem.field}` : `${problem.nodeId ?? problem.target ?? ''}|${problem.path ?? ''}|${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(problem);
    }
    return out;
  });
  const problemsByNode = computed(() => {
    const map = new Map<string, GraphProblem[]>();
    for (const problem of problems.value) {
      if (!problem.nodeId) continue;
      map.set(problem.nodeId, [...(map.get(problem.nodeId) ?? []), problem]);
    }
    return map;
  });
  const globalProblems = computed(() => problems.value.filter((p) => !p.nodeId));
  const plannedRuns = computed(() => (validated.value?.valid ? validated.value.plannedRuns : 0));
  const canRun = computed(() => problems.value.length === 0 && validated.value?.valid === true);
  const canUndo = computed(() => past.value.length > 0);
  const canRedo = computed(() => future.value.length > 0);
  const selectedNode = computed(() => (selection.value.length === 1 ? graph.value.nodes.find((n) => n.id === selection.value[0]) : undefined));
  const isEmpty = computed(() => graph.value.nodes.length === 0);

  // -- history ----------------------------------------------------------------

  const snapshot = (): Snapshot => ({ graph: graph.value, name: name.value });

  /** Replaces the graph as one undoable step (edits of the same `coalesceKey` in a row merge). */
  function commit(next: DesignerGraph, coalesceKey?: string, nextName = name.value): void {
    const now = Date.now();
    const merge = coalesceKey !== undefined && coalesce?.key === coalesceKey && now - coalesce.at < COALESCE_MS;
    if (!merge) past.value = [...past.value, snapshot()].slice(-HISTORY_LIMIT);
    future.value = [];
    coalesce = coalesceKey !== undefined ? { key: coalesceKey, at: now } : undefined;
    graph.value = next;
    name.value = nextName;
    changed();
  }

  function restore(to: Snapshot): void {
    graph.value = to.graph;
    name.value = to.name;
    coalesce = undefined;
    const ids = new Set(to.graph.nodes.map((n) => n.id));
    selection.value = selection.value.filter((id) => ids.has(id));
    changed();
  }

  function undo(): void {
    const previous = past.value.at(-1);
    if (!previous) return;
    future.value = [snapshot(), ...future.value];
    past.value = past.value.slice(0, -1);
    restore(previous);
  }

  function redo(): void {
    const next = future.value[0];
    if (!next) return;
    past.value = [...past.value, snapshot()];
    future.value = future.value.slice(1);
    restore(next);
  }

  // -- editing ----------------------------------------------------------------

  const nodeById = (id: string) => graph.value.nodes.find((n) => n.id === id);

  function addNode(kind: BlockKind, config: JsonObject, position: { x: number; y: number }): string {
    const node: DesignerNode = { id: newNodeId(kind), kind, position: { x: Math.round(position.x), y: Math.round(position.y) }, config: cloneJson(config) };
    commit({ ...graph.value, nodes: [...graph.value.nodes, node] });
    selection.value = [node.id];
    return node.id;
  }

  function moveNodes(moves: { id: string; position: { x: number; y: number } }[]): void {
    const byId = new Map(moves.map((m) => [m.id, m.position]));
    let moved = false;
    const nodes = graph.value.nodes.map((node) => {
      const to = byId.get(node.id);
      if (!to || (Math.round(to.x) === node.position.x && Math.round(to.y) === node.position.y)) return node;
      moved = true;
      return { ...node, position: { x: Math.round(to.x), y: Math.round(to.y) } };
    });
    if (moved) commit({ ...graph.value, nodes });
  }

  function updateConfig(nodeId: string, key: string, value: Json | undefined): void {
    const nodes = graph.value.nodes.map((node) => (node.id === nodeId ? { ...node, config: setPath(node.config, key, value) } : node));
    commit({ ...graph.value, nodes }, `${nodeId}:${key}`);
  }

  /** Why a wire may not go from `connection.source` to `connection.target`, or undefined when it may. */
  function connectionProblem(connection: Connection): string | undefined {
    const source = nodeById(connection.source);
    const target = nodeById(connection.target);
    if (!source || !target) return 'Both ends must be blocks.';
    if (source.id === target.id) return 'A block cannot feed itself.';
    const from = parseHandle(connection.sourceHandle);
    const to = parseHandle(connection.targetHandle);
    if (!from || !to || from.direction !== 'out' || to.direction !== 'in') return 'Connect an output (right) to an input (left).';
    if (from.type !== to.type) {
      const wanted = BLOCKS[target.kind].ports.find((p) => p.direction === 'in' && p.type === to.type);
      return `${BLOCKS[target.kind].title}'s ${wanted?.label ?? to.type} input takes ${to.type}, not ${from.type}.`;
    }
    return undefined;
  }

  function isValidConnection(connection: Connection): boolean {
    return connectionProblem(connection) === undefined;
  }

  /** Adds a wire; a single input's old wire is replaced. Returns why not, when it cannot. */
  function connect(connection: Connection): string | undefined {
    const problem = connectionProblem(connection);
    if (problem) return problem;
    const source = nodeById(connection.source)!;
    const target = nodeById(connection.target)!;
    const edge = edgeBetween(source, target, connection.sourceHandle!, connection.targetHandle!)!;
    if (graph.value.edges.some((e) => e.source === edge.source && e.target === edge.target && e.targetHandle === edge.targetHandle)) return undefined;
    const port = BLOCKS[target.kind].ports.find((p) => p.direction === 'in' && `in:${p.type}` === edge.targetHandle);
    const edges = graph.value.edges.filter((e) => !(port?.single && e.target === edge.target && e.targetHandle === edge.targetHandle));
    commit({ ...graph.value, edges: [...edges, edge] });
    return undefined;
  }

  function removeElements(nodeIds: string[], edgeIds: string[] = []): void {
    if (nodeIds.length === 0 && edgeIds.length === 0) return;
    const nodeSet = new Set(nodeIds);
    const edgeSet = new Set(edgeIds);
    const nodes = graph.value.nodes.filter((n) => !nodeSet.has(n.id));
    const edges = graph.value.edges.filter((e) => !edgeSet.has(e.id) && !nodeSet.has(e.source) && !nodeSet.has(e.target));
    if (nodes.length === graph.value.nodes.length && edges.length === graph.value.edges.length) return;
    // A Compare block's baseline pointing at a deleted strategy is dropped with it.
    const cleaned = nodes.map((n) => (n.kind === 'metrics' && typeof n.config.baseline === 'string' && nodeSet.has(n.config.baseline) ? { ...n, config: setPath(n.config, 'baseline', undefined) } : n));
    commit({ ...graph.value, nodes: cleaned, edges });
    selection.value = selection.value.filter((id) => !nodeSet.has(id));
  }

  function copy(nodeIds: string[] = selection.value): number {
    const set = new Set(nodeIds);
    const nodes = graph.value.nodes.filter((n) => set.has(n.id));
    if (nodes.length === 0) return 0;
    // Wires inside the copy, and wires into it from blocks that stay (a copied strategy keeps its model).
    const edges = graph.value.edges.filter((e) => set.has(e.target) || (set.has(e.source) && set.has(e.target)));
    clipboard.value = cloneJson({ nodes, edges });
    pasteCount = 0;
    return nodes.length;
  }

  function paste(): string[] {
    const content = clipboard.value;
    if (!content) return [];
    pasteCount += 1;
    const offset = 40 * pasteCount;
    const ids = new Map<string, string>();
    const nodes = content.nodes.map((node) => {
      const id = newNodeId(node.kind);
      ids.set(node.id, id);
      return { ...cloneJson(node), id, position: { x: node.position.x + offset, y: node.position.y + offset } };
    });
    const existing = new Set(graph.value.nodes.map((n) => n.id));
    const edges = content.edges.flatMap((edge): DesignerEdge[] => {
      const source = ids.get(edge.source) ?? (existing.has(edge.source) ? edge.source : undefined);
      const target = ids.get(edge.target);
      if (!source || !target) return [];
      return [{ ...edge, id: `e-${source}-${target}-${edge.targetHandle.slice(3)}`, source, target }];
    });
    commit({ ...graph.value, nodes: [...graph.value.nodes, ...nodes], edges: [...graph.value.edges, ...edges] });
    selection.value = nodes.map((n) => n.id);
    return selection.value;
  }

  function select(ids: string[]): void {
    selection.value = ids;
  }

  function setName(next: string): void {
    if (next !== name.value) commit(graph.value, 'name', next);
  }

  function setSeeds(seeds: number[]): void {
    commit({ ...graph.value, seeds }, 'seeds');
  }

  function setDescription(description: string): void {
    const next = { ...graph.value };
    if (description.trim()) next.description = description;
    else delete next.description;
    commit(next, 'description');
  }

  // -- opening ----------------------------------------------------------------

  function reset(next: DesignerGraph, nextName: string, id: string | undefined): void {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = undefined;
    graph.value = next;
    name.value = nextName;
    experimentId.value = id;
    past.value = [];
    future.value = [];
    selection.value = [];
    coalesce = undefined;
    validation.value = undefined;
    saveError.value = undefined;
    loadError.value = undefined;
    runError.value = undefined;
    revision.value += 1;
  }

  /** A blank canvas (saved as a new experiment on the first edit). */
  function newExperiment(): void {
    reset(emptyGraph(), 'Untitled experiment', undefined);
    saveState.value = 'idle';
  }

  /** A recipe or any experiment file as a new experiment's graph (saved right away). */
  function openSpec(spec: unknown, specName?: string): void {
    const { graph: next, name: fromSpec } = specToGraph(spec);
    reset(next, specName ?? fromSpec, undefined);
    changed();
  }

  /** Opens a saved experiment; a document without a graph (the sample, `clwb` files) opens laid out from its spec. */
  async function openExperiment(id: string): Promise<boolean> {
    const client = useClient();
    if (!client) return false;
    try {
      const document = await client.call('experiments.get', { id });
      if (isDesignerGraph(document.graph)) reset(document.graph, document.name, document.id);
      else reset(specToGraph(document.spec).graph, document.name, document.id);
      saveState.value = 'saved';
      savedAt.value = document.updatedAt;
      await validate();
      return true;
    } catch (caught) {
      loadError.value = toShownError(caught);
      return false;
    }
  }

  // -- saving -----------------------------------------------------------------

  function changed(): void {
    saveState.value = 'dirty';
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      void save();
    }, AUTOSAVE_MS);
  }

  /** Asks the back end to check the spec as it is now. */
  async function validate(): Promise<void> {
    const client = useClient();
    if (!client) return;
    const text = specJson.value;
    try {
      const report = await client.call('experiments.validate', { spec: compiled.value.spec });
      validation.value = { specJson: text, report };
    } catch {
      // Validation is advisory here; saving reports its own errors.
    }
  }

  /** Saves now (one save at a time; edits made meanwhile are saved right after). */
  function save(): Promise<void> {
    if (saveTimer) {
      clearTimeout(saveTimer);
      saveTimer = undefined;
    }
    if (saving) {
      saveAgain = true;
      return saving;
    }
    saving = (async () => {
      const client = useClient();
      if (!client) return;
      do {
        saveAgain = false;
        const text = specJson.value;
        const request = {
          ...(experimentId.value ? { id: experimentId.value } : {}),
          name: name.value.trim() || 'Untitled experiment',
          graph: graph.value as unknown as Json,
          spec: compiled.value.spec,
        };
        saveState.value = 'saving';
        try {
          const reply = await client.call('experiments.save', request);
          experimentId.value = reply.experiment.id;
          validation.value = { specJson: text, report: reply.validation };
          savedAt.value = reply.experiment.updatedAt;
          saveError.value = undefined;
          project.noteExperimentSaved(reply.experiment, reply.validation);
          saveState.value = specJson.value === text && !saveTimer ? 'saved' : 'dirty';
        } catch (caught) {
          saveError.value = toShownError(caught);
          saveState.value = 'error';
          await validate();
        }
      } while (saveAgain);
    })().finally(() => {
      saving = undefined;
    });
    return saving;
  }

  /** Saves, then queues every strategy × seed. Returns the queued runs. */
  async function run(): Promise<RunSummary[]> {
    const client = useClient();
    if (!client) return [];
    starting.value = true;
    runError.value = undefined;
    try {
      await save();
      if (!experimentId.value) throw saveError.value ?? new Error('The experiment could not be saved');
      if (!canRun.value) throw new Error('Fix the problems marked on the canvas first.');
      return await client.call('runs.start', { experimentId: experimentId.value });
    } catch (caught) {
      runError.value = toShownError(caught);
      return [];
    } finally {
      starting.value = false;
    }
  }

  return {
    experimentId,
    name,
    graph,
    selection,
    clipboard,
    saveState,
    savedAt,
    saveError,
    loadError,
    runError,
    starting,
    revision,
    compiled,
    problems,
    problemsByNode,
    globalProblems,
    validated,
    plannedRuns,
    canRun,
    canUndo,
    canRedo,
    selectedNode,
    isEmpty,
    undo,
    redo,
    addNode,
    moveNodes,
    updateConfig,
    connectionProblem,
    isValidConnection,
    connect,
    removeElements,
    copy,
    paste,
    select,
    setName,
    setSeeds,
    setDescription,
    newExperiment,
    openSpec,
    openExperiment,
    validate,
    save,
    run,
  };
});
