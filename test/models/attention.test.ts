// The cross-attention with the collage bias (method.md §4) against a direct float64 computation of
// S = QKᵀ·d^-½, M_j = max over heads and queries of S[b, :, :, j], S += f·cond[b]·M_j·A[p, j] (+ key bias),
// softmax over keys, ·V, to_out.0.
import { test } from 'node:test';
import { EngineSession, Graph } from '../../src/engine/index.ts';
import { attentionLayer, createCollageBiasInputs, collageCoefficientsInputName, COLLAGE_SCALE_INPUT } from '../../src/models/attention.ts';
import { BuildContext } from '../../src/models/build-context.ts';
import { ModelWeights } from '../../src/models/weights.ts';
import { float32, type Tensor } from '../../src/tensor.ts';
import { assertClose } from '../support/model-reference.ts';
import { memoryWeights, seededValues } from '../support/memory-weights.ts';

const [B, HW, C, HEADS, TK, DCTX] = [2, 6, 8, 2, 5, 4];

function linearRef(x: Float32Array, rows: number, inF: number, w: Float32Array, outF: number, bias?: Float32Array): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    let s = bias ? bias[o]! : 0;
    for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
    y[r * outF + o] = s;
  }
  return y;
}

/** The collage-biased attention computed directly. */
function reference(x: Float32Array, context: Float32Array, w: Record<string, Float32Array>, coeff: Float32Array, f: number, conditional: readonly boolean[], keyBias: Float32Array): Float32Array {
  const q = linearRef(x, B * HW, C, w['to_q.weight']!, C);
  const k = linearRef(context, B * TK, DCTX, w['to_k.weight']!, C);
  const v = linearRef(context, B * TK, DCTX, w['to_v.weight']!, C);
  const d = C / HEADS;
  const merged = new Float32Array(B * HW * C);
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
  return Float32Array.from(linearRef(merged, B * HW, C, w['to_out.0.weight']!, C, w['to_out.0.bias']!));
}

test('cross-attention with the collage bias equals S + f·M_j·A[p, j] on conditional items only (1e-5)', async () => {
  const w: Record<string, Float32Array> = {
    'to_q.weight': seededValues(C * C, 1, 0.8), 'to_k.weight': seededValues(C * DCTX, 2, 0.8), 'to_v.weight': seededValues(C * DCTX, 3),
    'to_out.0.weight': seededValues(C * C, 4), 'to_out.0.bias': seededValues(C, 5),
  };
  const shapes: Record<string, number[]> = { 'to_q.weight': [C, C], 'to_k.weight': [C, DCTX], 'to_v.weight': [C, DCTX], 'to_out.0.weight': [C, C], 'to_out.0.bias': [C] };
  const weights = new Map(Object.entries(w).map(([n, d]): [string, Tensor<'float32'>] => [`attn2.${n}`, float32(shapes[n]!, d)]));
  const g = new Graph();
  const ctx = new BuildContext(g, new ModelWeights(memoryWeights(weights)));
  const x = g.input('x', 'float32', [B, HW, C]);
  const context = g.input('context', 'float32', [B, TK, DCTX]);
  const keyBias = g.input('key_bias', 'float32', [B, TK]);
  const conditional = [false, true];
  const collage = createCollageBiasInputs(g, conditional, TK);
  g.output('out', g.scope('attn2', () => attentionLayer(ctx, x, context, HEADS, { collage, logitBias: keyBias })));
  ctx.finish('attention');
  const session = await EngineSession.create(g, { cacheDir: false });
  const coeff = float32([HW, TK], seededValues(HW * TK, 9));
  const feeds = {
    x: float32([B, HW, C], seededValues(B * HW * C, 6, 2)),
    context: float32([B, TK, DCTX], seededValues(B * TK * DCTX, 7, 2)),
    key_bias: float32([B, TK], seededValues(B * TK, 8)),
    [COLLAGE_SCALE_INPUT]: float32([1], [0.7]),
    [collageCoefficientsInputName(HW)]: coeff,
  };
  const out = await session.run(feeds);
  const expected = reference(feeds.x.data, feeds.context.data, w, coeff.data, 0.7, conditional, feeds.key_bias.data);
  assertClose(out['out'], float32([B, HW, C], expected), 'collage attention', 1e-5, 1e-5);
});
