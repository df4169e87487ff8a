/**
 * @file The engine: a small graph IR with a PyTorch-like builder, reverse-mode autodiff that emits the backward pass
 * as ordinary ONNX ops, ONNX emission (official onnx.proto via protobufjs) and onnxruntime-node sessions with an
 * on-disk cache. See ../../../shared/design/engine.md for the measurements behind each choice.
 *
 * @example
 * import { Graph, grad, gradName, EngineSession } from './engine/index.ts';
 * import { float32 } from './tensor.ts';
 *
 * const g = new Graph();
 * const x = g.input('x', 'float32', [1, 3]);
 * const w = g.param('proj.weight', float32([2, 3], [1, 0, 0, 0, 1, 0]), { trainable: true });
 * const y = g.scope('head', () => g.silu(g.linear(x, w)));   // node names: head.matmul, head.sigmoid, …
 * const loss = g.reduceSum(g.mul(y, y), [0, 1]);
 * const session = await EngineSession.create(grad(g, loss, [w]));  // cached under COLLAGE_CACHE_DIR
 * const out = await session.run({ x: float32([1, 3], [1, 2, 3]) });
 * console.log(out['loss'].data, out[gradName(w)].shape);
 * // Float32Array(1) [ 3.6376… ]  [ 2, 3 ]
 */
export { Graph, type Value, type Node, type ParamOptions, type Conv2dOptions, type AttentionOptions, type ApplyOptions } from './graph.ts';
export { grad, gradName } from './autodiff.ts';
export { EngineSession, isCached, writeToCache, type SessionOptions, type SessionTimings } from './runtime.ts';
export { emitModel, decodeModel, OPSET } from './onnx.ts';
export { defaultCacheDir } from './cache.ts';
export { OPS, noGradient, type OpType, type OpAttrs } from './ops/index.ts';
export { AdamW, clipGradNorm, warmupLr, DEFAULT_ADAMW_OPTIONS, type AdamWOptions } from './optim.ts';
