/**
 * Checkpoint state: a JSON tree whose leaves may be typed arrays. It is written as
 * a JSON manifest plus one binary file holding every array, so large weights and
 * buffers are stored exactly (float32 bytes), not as decimal text.
 */
export type StateTree =
  | null
  | boolean
  | number
  | string
  | Float32Array
  | Int32Array
  | Uint8Array
  | StateTree[]
  | { [key: string]: StateTree };

interface ArrayRef {
  $array: 'float32' | 'int32' | 'uint8';
  offset: number;
  length: number;
}

/** Splits a state tree into a JSON-safe manifest and one binary blob. */
export function packState(tree: StateTree): { manifest: unknown; blob: Uint8Array } {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const walk = (node: StateTree): unknown => {
    if (node instanceof Float32Array || node instanceof Int32Array || node instanceof Uint8Array) {
      // Align every array to 4 bytes so it can be viewed in place when read back.
      const padding = (4 - (offset % 4)) % 4;
      if (padding) {
        chunks.push(new Uint8Array(padding));
        offset += padding;
      }
      const bytes = new Uint8Array(node.buffer, node.byteOffset, node.byteLength).slice();
      chunks.push(bytes);
      const ref: ArrayRef = {
        $array: node instanceof Float32Array ? 'float32' : node instanceof Int32Array ? 'int32' : 'uint8',
        offset,
        length: node.length,
      };
      offset += bytes.length;
      return ref;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    if (typeof node === 'number' && !Number.isFinite(node)) return { $number: String(node) };
    return node;
  };
  const manifest = walk(tree);
  const blob = new Uint8Array(offset);
  let position = 0;
  for (const chunk of chunks) {
    blob.set(chunk, position);
    position += chunk.length;
  }
  return { manifest, blob };
}

/** Rebuilds a state tree; throws with a reason when the manifest does not fit the blob. */
export function unpackState(manifest: unknown, blob: Uint8Array): StateTree {
  const buffer = blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength);
  const walk = (node: unknown): StateTree => {
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.$array === 'string') {
        const { $array, offset, length } = record as unknown as ArrayRef;
        const width = $array === 'uint8' ? 1 : 4;
        if (offset < 0 || offset + length * width > buffer.byteLength) throw new Error(`array at byte ${offset} runs past the end of the data file`);
        if ($array === 'float32') return new Float32Array(buffer.slice(offset, offset + length * 4));
        if ($array === 'int32') return new Int32Array(buffer.slice(offset, offset + length * 4));
        return new Uint8Array(buffer.slice(offset, offset + length));
      }
      if (typeof record.$number === 'string') return Number(record.$number);
      return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, walk(v)]));
    }
    return node as StateTree;
  };
  return walk(manifest);
}
