/**
 * The designer's graph: what the canvas shows and what is saved as an experiment's
 * `graph` (ExperimentDocument.graph). It compiles to the experiment file (README,
 * schema v1) with utils/compile.ts. Each block's `config` is exactly the part of the
 * spec it stands for, holding only the fields the user set (or the recipe had), so a
 * spec opened as a graph compiles back to the same document.
 */

/** The kinds of block, in pipeline order. */
export type BlockKind = 'dataset' | 'scenario' | 'model' | 'training' | 'strategy' | 'metrics';

export const BLOCK_KINDS: readonly BlockKind[] = ['dataset', 'scenario', 'model', 'training', 'strategy', 'metrics'];

/** What flows along an edge; a source handle connects only to a target handle of the same port type. */
export type PortType = 'data' | 'stream' | 'model' | 'training' | 'results';

/** A handle on a block: where it sits, what it carries, and how many edges it takes. */
export interface PortSpec {
  type: PortType;
  direction: 'in' | 'out';
  label: string;
  /** An input that takes at most one edge (a scenario cuts one dataset). */
  single: boolean;
  /** An input the compiler needs connected. */
  required: boolean;
}

/** A plain JSON value (configs are stored as JSON). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One block on the canvas. */
export interface DesignerNode {
  id: string;
  kind: BlockKind;
  position: { x: number; y: number };
  /**
   * The spec section: dataset `{ id, path? }`, scenario `{ type, experiences, ... }`,
   * model `{ type, hidden?, ... }`, training `{ epochs?, batchSize?, optimizer: { type, lr? } }`,
   * strategy `{ id, label?, params? }`, metrics `{ metrics?, baseline? }` (compare intent, not in the spec).
   */
  config: JsonObject;
}

export interface DesignerEdge {
  id: string;
  source: string;
  target: string;
  /** `out:<port type>` */
  sourceHandle: string;
  /** `in:<port type>` */
  targetHandle: string;
}

/** The saved graph (ExperimentDocument.graph). */
export interface DesignerGraph {
  kind: 'clwb-designer-graph';
  version: 1;
  nodes: DesignerNode[];
  edges: DesignerEdge[];
  /** One run per strategy per seed. */
  seeds: number[];
  description?: string;
  /** The canvas viewport when it was saved. */
  viewport?: { x: number; y: number; zoom: number };
}

/** A problem with the graph, placed on the block (and field) it concerns where there is one. */
export interface GraphProblem {
  /** The block it concerns; absent for problems of the whole experiment. */
  nodeId?: string;
  /** The field inside the block's config (`optimizer.lr`, `params.memorySize`), when it concerns one. */
  field?: string;
  /** Where it is in the spec (`$.strategies[1].params.lr`), when known. */
  path?: string;
  /** `seeds` or `name`: problems of the canvas-level settings. */
  target?: 'seeds' | 'name';
  message: string;
  /** `graph`: the compiler (missing blocks, missing connections); `validator`: the back end's check; `field`: the inline check. */
  source: 'graph' | 'validator' | 'field';
}

/** Which strategies to compare side by side and against what (set with the Metrics block). */
export interface CompareIntent {
  /** Labels of the strategies wired into the Metrics block (all strategies when there is none). */
  strategies: string[];
  /** The label of the pinned baseline, if one is chosen. */
  baseline?: string;
  /** Metric columns to show first. */
  metrics?: string[];
}

/** The compiler's answer. */
export interface CompiledGraph {
  /** The experiment file (a draft when there are problems). */
  spec: JsonObject;
  /** Graph problems (missing blocks and connections). */
  problems: GraphProblem[];
  /** Node ids of the strategies in spec order (`$.strategies[i]` is `strategyNodes[i]`). */
  strategyNodes: string[];
  compare: CompareIntent;
}
