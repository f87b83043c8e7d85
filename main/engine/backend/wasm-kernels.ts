/**
 * Kernel fixes for the tfjs `wasm` backend (4.22.0), registered through the
 * tfjs kernel registry when the engine picks wasm.
 *
 * As shipped, wasm cannot train convolutional nets, and the kernels training leans on
 * are slow or wrong:
 * - `Conv2DBackpropFilter` is missing. It is built as one XNNPACK GEMM, either as a
 *   convolution of the input with the output gradient (dilation = stride) or, for
 *   thin first layers, as im2col patches times the output gradient.
 * - `BatchMatMul` / `_FusedMatMul` with transposeA/transposeB take a naive loop
 *   (~8x slower than XNNPACK's plain path), and every dense-layer gradient asks
 *   for a transpose: transposes become explicit.
 * - `Conv2DBackpropInput` is a naive loop, while for stride 1 it is exactly a
 *   convolution with the flipped, in/out-swapped filter (~2x faster overall).
 * - `MaxPoolGrad` (like `MaxPoolWithArgmax`) routes the gradient wrongly when a
 *   window's maximum is negative; it is replaced by a loop over the wasm heap.
 * - `Identity` copies the buffer, and the engine clones (Identity) every tensor a
 *   gradient needs while recording: it now shares the buffer, as the cpu backend does.
 *
 * Compositions call wasm's own kernels directly on the backend, so intermediates
 * never reach the engine; each is disposed before the kernel returns. Kernels that
 * wasm lacks and that rarely matter for speed (depthwise-conv gradients,
 * `UnsortedSegmentSum` for gather gradients, `Einsum`) borrow the cpu backend's
 * kernel, copying inputs and outputs across.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const WASM = 'wasm';

/** The kernels this module registers or replaces on wasm, by name. */
export const WASM_KERNEL_FIXES = {
  added: [
    'Conv2DBackpropFilter',
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput',
    'UnsortedSegmentSum',
    'Einsum',
  ],
  replaced: ['BatchMatMul', '_FusedMatMul', 'Conv2DBackpropInput', 'MaxPoolGrad', 'Identity'],
} as const;

/** Kernels that are borrowed from the cpu backend rather than composed on wasm. */
const BORROWED_FROM_CPU = new Set<string>([
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'Einsum',
]);

/** Shipped wasm configurations that we replaced, so our kernels can still call them. */
const shippedKernels = new Map<string, tf.KernelConfig>();
/**
 * Marks our kernel functions, to recognise an installed fix (idempotence). A global
 * symbol, because the kernel registry is global while this module may be evaluated
 * more than once (test runners re-import modules, tfjs stays loaded).
 */
const FIX_MARK = Symbol.for('cl-workbench.wasmKernelFix');

function isOurs(config: tf.KernelConfig | undefined): boolean {
  return config !== undefined && FIX_MARK in config.kernelFunc;
}

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}

/**
 * Installs the wasm kernel fixes in the global kernel registry. Safe to call
 * repeatedly: a fix already in place is left alone. Call it before
 * `tf.setBackend('wasm')` (or call setBackend again afterwards) so that the
 * setup functions of replaced kernels run for the live backend.
 *
 * @returns the names of kernels registered by this call (empty when all were in place).
 */
export function registerWasmKernelFixes(): string[] {
  const installed: string[] = [];
  const install = (kernelName: string, kernelFunc: tf.KernelFunc): void => {
    const existing = tf.getKernel(kernelName, WASM);
    if (isOurs(existing)) return;
    if (existing) {
      shippedKernels.set(kernelName, existing);
      tf.unregisterKernel(kernelName, WASM);
    }
    Object.defineProperty(kernelFunc, FIX_MARK, { value: true });
    // The replaced kernel's setupFunc binds its wasm export; keep it so that our
    // wrapper can still call the shipped kernel on a freshly initialised backend.
    tf.registerKernel({
      kernelName,
      backendName: WASM,
      kernelFunc,
      setupFunc: existing?.setupFunc,
      disposeFunc: existing?.disposeFunc,
    });
    installed.push(kernelName);
  };

  install('Conv2DBackpropFilter', asKernelFunc(conv2dBackpropFilter));
  install('Conv2DBackpropInput', asKernelFunc(conv2dBackpropInput));
  install('BatchMatMul', asKernelFunc((args) => matMulFast('BatchMatMul', args)));
  install('_FusedMatMul', asKernelFunc((args) => matMulFast('_FusedMatMul', args)));
  install('MaxPoolGrad', asKernelFunc(maxPoolGrad));
  install('Identity', asKernelFunc(identity));
  for (const kernelName of BORROWED_FROM_CPU) {
    // Only fill gaps: if a later tfjs ships one of these on wasm, keep it.
    const existing = tf.getKernel(kernelName, WASM);
    if (!existing || isOurs(existing)) install(kernelName, borrowFromCpu(kernelName));
  }
  return installed;
}

/** Types a kernel for the registry (a fresh function each call, so marking it marks only it). */
function asKernelFunc(kernel: (args: KernelArgs) => tf.TensorInfo): tf.KernelFunc {
  return ((args: KernelArgs) => kernel(args)) as unknown as tf.KernelFunc;
}

/** Runs a wasm kernel directly on the backend (the shipped version where we replaced it). */
function runWasm(kernelName: string, backend: BackendWasm, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
  const config = shippedKernels.get(kernelName) ?? tf.getKernel(kernelName, WASM);
  if (!config) throw new Error(`wasm kernel '${kernelName}' is not registered`);
  return config.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/** Collects intermediate tensors of one kernel call and frees them together. */
class Scratch {
  private readonly infos: tf.TensorInfo[] = [];
  constructor(readonly backend: BackendWasm) {}

  /** Runs a wasm kernel and remembers its output for disposal. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    return this.keep(runWasm(kernelName, this.backend, inputs, attrs));
  }

  /** Remembers a tensor made elsewhere for disposal. */
  keep(info: tf.TensorInfo): tf.TensorInfo {
    this.infos.push(info);
    return info;
  }

  dispose(): void {
    for (const info of this.infos) this.backend.disposeData(info.dataId);
    this.infos.length = 0;
  }
}

/** Converts an NCHW tensor to NHWC when needed (wasm's Conv2D is NHWC only). */
function toChannelsLast(scratch: Scratch, x: tf.TensorInfo, channelsLast: boolean): tf.TensorInfo {
  return channelsLast ? x : scratch.run('Transpose', { x }, { perm: [0, 2, 3, 1] });
}

/**
 * Filter gradient: dW[fy,fx,ci,co] = sum over (b,oy,ox) of
 * x[b, oy*s - padTop + fy, ox*s - padLeft + fx, ci] * dy[b,oy,ox,co].
 * Two compositions, both one XNNPACK GEMM; the cheaper one depends on which
 * operand XNNPACK has to pack (see {@link matMulFast}).
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, format);
  const channelsLast = info.dataFormat === 'channelsLast';
  const scratch = new Scratch(backend);
  try {
    const input = toChannelsLast(scratch, x, channelsLast);
    const grad = toChannelsLast(scratch, dy, channelsLast);
    // A patch row (fH*fW*ci values) well shorter than a dy row (co values): packing
    // the patches is cheaper than packing dy. Typical of a network's first layer.
    const patchSize = info.filterHeight * info.filterWidth * info.inChannels;
    return 2 * patchSize <= info.outChannels
      ? filterGradientByPatches(scratch, input, grad, info)
      : filterGradientByConvolution(scratch, input, grad, info);
  } finally {
    scratch.dispose();
  }
}

/**
 * The filter gradient as a convolution: input x' = x as [ci, H, W, b] (batch ci,
 * channels b), filter dy' = dy as [oH, oW, b, co], dilation = the forward stride,
 * stride 1. Its output [ci, fH, fW, co] is transposed back to [fH, fW, ci, co].
 */
function filterGradientByConvolution(scratch: Scratch, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const [batch, inHeight, inWidth, inChannels] = x.shape;
  const [, outHeight, outWidth] = dy.shape;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  // Rows/columns of the (padded) input that the forward pass actually read. Past the
  // end of the input this is padding; short of it, the unread tail is cut off because
  // the convolution cannot take negative padding.
  const neededHeight = (outHeight - 1) * strideHeight + filterHeight - top;
  const neededWidth = (outWidth - 1) * strideWidth + filterWidth - left;
  let input = x;
  if (neededHeight < inHeight || neededWidth < inWidth) {
    input = scratch.run('Slice', { x }, {
      begin: [0, 0, 0, 0],
      size: [batch, Math.min(inHeight, neededHeight), Math.min(inWidth, neededWidth), inChannels],
    });
  }
  const bottom = Math.max(0, neededHeight - inHeight);
  const right = Math.max(0, neededWidth - inWidth);
  const inputAsBatchOfChannels = scratch.run('Transpose', { x: input }, { perm: [3, 1, 2, 0] });
  const gradAsFilter = scratch.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const padding: ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
  const product = scratch.run('Conv2D', { x: inputAsBatchOfChannels, filter: gradAsFilter }, {
    strides: [1, 1],
    pad: padding,
    dataFormat: 'NHWC',
    dilations: [strideHeight, strideWidth],
  });
  return runWasm('Transpose', scratch.backend, { x: product }, { perm: [1, 2, 0, 3] });
}

/**
 * The filter gradient as (dyᵀ·patches)ᵀ: the input's patches [b*oH*oW, fH*fW*ci]
 * (im2col, written in JavaScript straight into the wasm heap: wasm's StridedSlice
 * and inner-axis Concat are slow element loops) times dy [b*oH*oW, co]. XNNPACK
 * packs the patches rather than the larger dy.
 */
function filterGradientByPatches(scratch: Scratch, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { backend } = scratch;
  const [batch, inHeight, inWidth, inChannels] = x.shape;
  const [, outHeight, outWidth, outChannels] = dy.shape;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const rows = batch * outHeight * outWidth;
  const patchSize = filterHeight * filterWidth * inChannels;
  const patches = scratch.keep(backend.makeOutput([rows, patchSize], 'float32'));
  // Views are taken after the allocation above: growing the heap detaches older views.
  const source = backend.typedArrayFromHeap(x) as Float32Array;
  const target = backend.typedArrayFromHeap(patches) as Float32Array;
  let offset = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let fy = 0; fy < filterHeight; fy++) {
          const iy = oy * strideHeight - top + fy;
          for (let fx = 0; fx < filterWidth; fx++) {
            const ix = ox * strideWidth - left + fx;
            if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) {
              target.fill(0, offset, offset + inChannels);
              offset += inChannels;
              continue;
            }
            const base = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            for (let c = 0; c < inChannels; c++) target[offset++] = source[base + c];
          }
        }
      }
    }
  }
  const gradRows = scratch.run('Reshape', { x: dy }, { shape: [rows, outChannels] });
  const gradColumns = scratch.run('Transpose', { x: gradRows }, { perm: [1, 0] });
  const productTransposed = scratch.run('BatchMatMul', { a: gradColumns, b: patches }, { transposeA: false, transposeB: false });
  const product = scratch.run('Transpose', { x: productTransposed }, { perm: [1, 0] });
  return runWasm('Reshape', backend, { x: product }, { shape: [filterHeight, filterWidth, inChannels, outChannels] });
}

/**
 * For stride 1 the input gradient is a plain convolution of dy with the filter
 * flipped in space and with its in/out channels swapped, padded by (filter - 1 - pad).
 * Other cases (strides, NCHW, padding wider than the filter) keep the shipped kernel.
 */
function conv2dBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, format);
  const { filterHeight, filterWidth, padInfo } = info;
  const flippedPadding: ExplicitPadding = [
    [0, 0],
    [filterHeight - 1 - padInfo.top, filterHeight - 1 - padInfo.bottom],
    [filterWidth - 1 - padInfo.left, filterWidth - 1 - padInfo.right],
    [0, 0],
  ];
  // The last check guards tfjs's own shape rules (a numeric pad with a non-square
  // filter sizes both axes by the filter height): where the flipped convolution
  // would not land exactly on the input shape, keep the shipped kernel.
  const fastPath = info.strideHeight === 1 && info.strideWidth === 1 && info.dataFormat === 'channelsLast'
    && flippedPadding.every(([before, after]) => before >= 0 && after >= 0)
    && dy.shape[1] + flippedPadding[1][0] + flippedPadding[1][1] - filterHeight + 1 === info.inHeight
    && dy.shape[2] + flippedPadding[2][0] + flippedPadding[2][1] - filterWidth + 1 === info.inWidth;
  if (!fastPath) return runWasm('Conv2DBackpropInput', backend, inputs, attrs);
  const scratch = new Scratch(backend);
  try {
    const swapped = scratch.run('Transpose', { x: filter }, { perm: [0, 1, 3, 2] });
    const flipped = scratch.run('Reverse', { x: swapped }, { dims: [0, 1] });
    return runWasm('Conv2D', backend, { x: dy, filter: flipped }, {
      strides: [1, 1],
      pad: flippedPadding,
      dataFormat: 'NHWC',
      dilations: [1, 1],
    });
  } finally {
    scratch.dispose();
  }
}

/** Rough costs per element on one core (ns), measured on the shipped wasm binary. */
const PACK_COST = 4.5;
const TRANSPOSE_COST = 0.8;

/**
 * Matrix products on XNNPACK's fast path only. The shipped kernel takes a naive loop
 * whenever transposeA/transposeB is set, so those become explicit Transposes.
 *
 * XNNPACK also re-packs the right-hand operand (its "weights") whenever that
 * operand is a new tensor, which in training is every call; packing costs several
 * times a transpose per element. So when B is much larger than A (a weight matrix
 * times a small batch), C = A·B is computed as C = (Bᵀ·Aᵀ)ᵀ, which packs A instead,
 * unless B was multiplied before (then XNNPACK still holds it packed).
 */
function matMulFast(kernelName: 'BatchMatMul' | '_FusedMatMul', { inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const swap = kernelName === 'BatchMatMul' && swapIsCheaper(a, b, transposeA, transposeB);
  if (!transposeA && !transposeB && !swap) return runWasm(kernelName, backend, inputs, attrs);
  const scratch = new Scratch(backend);
  const swapLastTwo = (t: tf.TensorInfo): tf.TensorInfo => {
    const rank = t.shape.length;
    return scratch.run('Transpose', { x: t }, { perm: [...Array(rank - 2).keys(), rank - 1, rank - 2] });
  };
  try {
    const plain = { ...attrs, transposeA: false, transposeB: false };
    if (!swap) {
      const plainA = transposeA ? swapLastTwo(a) : a;
      const plainB = transposeB ? swapLastTwo(b) : b;
      return runWasm(kernelName, backend, { ...inputs, a: plainA, b: plainB }, plain);
    }
    // Cᵀ = Bᵀ·Aᵀ: a stored transposed operand is already in the layout we need.
    const left = transposeB ? b : swapLastTwo(b);
    const right = transposeA ? a : swapLastTwo(a);
    const productTransposed = scratch.run(kernelName, { a: left, b: right }, plain);
    const rank = productTransposed.shape.length;
    return runWasm('Transpose', backend, { x: productTransposed }, { perm: [...Array(rank - 2).keys(), rank - 1, rank - 2] });
  } finally {
    scratch.dispose();
  }
}

/**
 * Right-hand operands already multiplied once as stored. XNNPACK keeps a packed copy
 * per operand buffer, so a second use (weights during evaluation) is cheapest unswapped.
 */
const seenRightOperands = new WeakSet<object>();

/** Whether C = (Bᵀ·Aᵀ)ᵀ is cheaper than C = A·B, from packing and transpose volumes. */
function swapIsCheaper(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): boolean {
  const aShape = a.shape;
  const bShape = b.shape;
  const batch = (shape: number[]) => shape.slice(0, -2).reduce((p, d) => p * d, 1);
  // Batched products take another path in the shipped kernel, where packing does not apply.
  if (batch(aShape) !== 1 || batch(bShape) !== 1) return false;
  if (!transposeB) {
    if (seenRightOperands.has(b.dataId)) return false;
    seenRightOperands.add(b.dataId);
  }
  const rankA = aShape.length;
  const rankB = bShape.length;
  const m = transposeA ? aShape[rankA - 1] : aShape[rankA - 2];
  const k = transposeA ? aShape[rankA - 2] : aShape[rankA - 1];
  const n = transposeB ? bShape[rankB - 2] : bShape[rankB - 1];
  const plainCost = PACK_COST * k * n + TRANSPOSE_COST * ((transposeA ? m * k : 0) + (transposeB ? k * n : 0));
  const swapCost = PACK_COST * k * m + TRANSPOSE_COST * ((transposeA ? 0 : m * k) + (transposeB ? 0 : k * n) + m * n);
  // Only when clearly cheaper: the estimate ignores how GEMM speed varies with shape.
  return swapCost < 0.8 * plainCost;
}

/**
 * Max-pool gradient with TensorFlow's semantics: each output cell sends its dy to the
 * first maximum of its window (row-major, padding excluded); overlapping windows add up.
 * Runs in JavaScript straight on the wasm heap: no copies, any stride and padding.
 */
function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const out = backend.makeOutput(input.shape, 'float32');
  // Views are taken after the allocation above: growing the heap detaches older views.
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const grad = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * channels;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - info.padInfo.top;
      const rowStart = Math.max(0, top);
      const rowEnd = Math.min(inHeight, top + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const left = ox * strideWidth - info.padInfo.left;
        const colStart = Math.max(0, left);
        const colEnd = Math.min(inWidth, left + filterWidth);
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          let best = -Infinity;
          let where = -1;
          for (let iy = rowStart; iy < rowEnd; iy++) {
            let index = xBatch + (iy * inWidth + colStart) * channels + c;
            for (let ix = colStart; ix < colEnd; ix++, index += channels) {
              // Strict '>' keeps the first maximum, as TensorFlow and the cpu backend do.
              if (x[index] > best) {
                best = x[index];
                where = index;
              }
            }
          }
          if (where >= 0) dx[where] += grad[dyBase + c];
        }
      }
    }
  }
  return out;
}

/**
 * Identity shares the input's buffer (tensors are immutable; the wasm backend
 * reference-counts buffers, as its own Reshape relies on). Strings keep the shipped copy.
 */
function identity({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return runWasm('Identity', backend, inputs);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Runs the cpu backend's kernel on copies of the inputs and copies the outputs back
 * into the wasm heap. Correct but not fast: only for kernels wasm lacks and that
 * our models rarely hit.
 */
function borrowFromCpu(kernelName: string): tf.KernelFunc {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const cpuConfig = tf.getKernel(kernelName, 'cpu');
    const cpu = tf.findBackend('cpu');
    if (!cpuConfig || !cpu) throw new Error(`cannot borrow kernel '${kernelName}' from the cpu backend: it is not registered`);
    // Some kernels (Einsum, Concat) take their inputs as an array: keep the shape of the map.
    const cpuInputs = (Array.isArray(inputs) ? [] : {}) as tf.NamedTensorInfoMap;
    const copies: tf.TensorInfo[] = [];
    try {
      for (const [name, info] of Object.entries(inputs)) {
        if (!info) continue;
        const copy = { dataId: cpu.write(backend.readSync(info.dataId), info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
        copies.push(copy);
        cpuInputs[name] = copy;
      }
      const result = cpuConfig.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
      const outputs = Array.isArray(result) ? result : [result];
      const moved = outputs.map((out) => {
        const values = cpu.readSync(out.dataId);
        cpu.disposeData(out.dataId);
        return backend.makeOutput(out.shape, out.dtype, undefined, values);
      });
      return Array.isArray(result) ? moved : moved[0];
    } finally {
      for (const copy of copies) cpu.disposeData(copy.dataId);
    }
  };
  return kernelFunc as unknown as tf.KernelFunc;
}
