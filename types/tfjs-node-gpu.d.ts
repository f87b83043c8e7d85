// The optional GPU package may be absent (it cannot install without CUDA downloads);
// this keeps type-checking green either way.
declare module '@tensorflow/tfjs-node-gpu';
declare module '@tensorflow/tfjs-node';
