// The cross-attention with the collage bias (method.md §4) against a direct float64 computation of
// S = QKᵀ·d^-½, M_j = max over heads and queries of S[b, :, :, j], S += f·cond[b]·M_j·A[p, j] (+ key bias),
// softmax over keys, ·V, to_out.0; and its gradient (through M as well) against float64 central differences.
import { test } from 'node:test';
import { EngineSession, Graph, grad, gradName, type Value } from '../../src/engine/index.ts';
import { attentionLayer, createCollageBiasInputs, collageCoefficientsInputName, COLLAGE_SCALE_INPUT } from '../../src/models/attention.ts';
import { BuildContext } from '../../src/models/build-context.ts';
import { ModelWeights } from '../../src/models/weights.ts';
import { float32, type Tensor } from '../../src/tensor.ts';
import { assertClose, assertCloseRelative } from '../support/model-reference.ts';
import { memoryWeights, seededValues } from '../support/memory-weights.ts';

const [B, HW, C, HEADS, TK, DCTX] = [2, 6, 8, 2, 5, 4];

function linearRef(x: Float32Array | Float64Array, rows: number, inF: number, w: Float32Array, outF: number, bias?: Float32Array): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    let s = bias ? bias[o]! : 0;
    for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
    y[r * outF + o] = s;
  }
  return y;
}

/** The collage-biased attention computed directly. */
function reference(x: Float32Array, context: Float32Array | Float64Array, w: Record<string, Float32Array>, coeff: Float32Array, f: number, conditional: readonly boolean[], keyBias: Float32Array): Float64Array {
  const q = linearRef(x, B * HW, C, w['to_q.weight']!, C);
  const k = linearRef(context, B * TK, DCTX, w['to_k.weight']!, C);
  const v = linearRef(context, B * TK, DCTX, w['to_v.weight']!, C);
  const d = C / HEADS;
  const merged = new Float64Array(B * HW * C);
  for (let b = 0; b < B; b++) {
    const s = (h: number, p: number, j: number): number => {
      let acc = 0;
      for (let e = 0; e < d; e++) acc += q[(b * HW + p) * C + h * d + e]! * k[(b * TK + j) * C + h * d + e]!;
      return acc / Math.sqrt(d);
    };
    const maxima = Array.from({ length: TK }, (_, j) => Math.max(...Array.from({ length: HEADS * HW }, (_, i) => s(Math.floor(i / HW), i % HW, j))));
    for (let h = 0; h < HEADS; h++) for (let p = 0; p < HW; p++) {
      const logits = Array.from({ length: TK }, (_, j) => s(h, p, j) + (conditional[b] ? f * maxima[j]! * coeff[p * TK + j]! : 0) + keyBias[b * TK + j]!);
      const top = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - top));
      const z = e.reduce((a, c) => a + c, 0);
      for (let o = 0; o < d; o++) merged[(b * HW + p) * C + h * d + o] = e.reduce((a, pj, j) => a + (pj / z) * v[(b * TK + j) * C + h * d + o]!, 0);
    }
  }
  return linearRef(merged, B * HW, C, w['to_out.0.weight']!, C, w['to_out.0.bias']!);
}

const WEIGHTS: Record<string, Float32Array> = {
  'to_q.weight': seededValues(C * C, 1, 0.8), 'to_k.weight': seededValues(C * DCTX, 2, 0.8), 'to_v.weight': seededValues(C * DCTX, 3),
  'to_out.0.weight': seededValues(C * C, 4), 'to_out.0.bias': seededValues(C, 5),
};
const SHAPES: Record<string, number[]> = { 'to_q.weight': [C, C], 'to_k.weight': [C, DCTX], 'to_v.weight': [C, DCTX], 'to_out.0.weight': [C, C], 'to_out.0.bias': [C] };
const CONDITIONAL = [false, true];
const COEFF = float32([HW, TK], seededValues(HW * TK, 9));
const FEEDS = {
  x: float32([B, HW, C], seededValues(B * HW * C, 6, 2)),
  context: float32([B, TK, DCTX], seededValues(B * TK * DCTX, 7, 2)),
  key_bias: float32([B, TK], seededValues(B * TK, 8)),
  [COLLAGE_SCALE_INPUT]: float32([1], [0.7]),
  [collageCoefficientsInputName(HW)]: COEFF,
};

function collageAttentionGraph(): { g: Graph; context: Value; out: Value } {
  const weights = new Map(Object.entries(WEIGHTS).map(([n, d]): [string, Tensor<'float32'>] => [`attn2.${n}`, float32(SHAPES[n]!, d)]));
  const g = new Graph();
  const ctx = new BuildContext(g, new ModelWeights(memoryWeights(weights)));
  const x = g.input('x', 'float32', [B, HW, C]);
  const context = g.input('context', 'float32', [B, TK, DCTX]);
  const keyBias = g.input('key_bias', 'float32', [B, TK]);
  const collage = createCollageBiasInputs(g, CONDITIONAL, TK);
  const out = g.output('out', g.scope('attn2', () => attentionLayer(ctx, x, context, HEADS, { collage, logitBias: keyBias })));
  ctx.finish('attention');
  return { g, context, out };
}

const referenceOf = (context: Float32Array | Float64Array): Float64Array => reference(FEEDS.x.data, context, WEIGHTS, COEFF.data, 0.7, CONDITIONAL, FEEDS.key_bias.data);

test('cross-attention with the collage bias equals S + f·M_j·A[p, j] on conditional items only (1e-5)', async () => {
  const session = await EngineSession.create(collageAttentionGraph().g, { cacheDir: false });
  const out = await session.run(FEEDS);
  assertClose(out['out'], float32([B, HW, C], Float32Array.from(referenceOf(FEEDS.context.data))), 'collage attention', 1e-5, 1e-5);
});

test('the gradient through the collage-biased cross-attention (M included) matches float64 central differences', async () => {
  const { g, context, out } = collageAttentionGraph();
  const weightsR = seededValues(B * HW * C, 10);
  const loss = g.reduceSum(g.mul(out, g.constant(float32([B, HW, C], weightsR))), [0, 1, 2]);
  const session = await EngineSession.create(grad(g, loss, [context]), { cacheDir: false });
  const result = await session.run(FEEDS);
  const lossOf = (c: Float64Array): number => referenceOf(c).reduce((a, v, i) => a + v * weightsR[i]!, 0);
  const base = Float64Array.from(FEEDS.context.data);
  const numeric = new Float32Array(base.length);
  const eps = 1e-4;
  for (let i = 0; i < base.length; i++) {
    const plus = Float64Array.from(base);
    const minus = Float64Array.from(base);
    plus[i]! += eps;
    minus[i]! -= eps;
    numeric[i] = (lossOf(plus) - lossOf(minus)) / (2 * eps);
  }
  assertCloseRelative(result[gradName(context)], float32([B, TK, DCTX], numeric), 'd loss / d context', 1e-4);
});
