// Plain-JS float64 reference implementations of the engine's ops, written the obvious way (loops over indices),
// for checking ORT's forward results on random inputs.
export interface Arr {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);
export const arr = (shape: readonly number[], data: ArrayLike<number>): Arr => ({ shape: [...shape], data: Float64Array.from(data) });

/** Deterministic uniform(-1, 1) numbers (mulberry32). */
export function random(shape: readonly number[], seed: number, scale = 1): Arr {
  let s = seed >>> 0;
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    data[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return { shape: [...shape], data };
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k]!;
    i = Math.floor(i / shape[k]!);
  }
  return idx;
}

/** Elementwise map over broadcast inputs. */
export function map(inputs: readonly Arr[], f: (...v: number[]) => number): Arr {
  const rank = Math.max(...inputs.map((a) => a.shape.length));
  const shape = Array.from({ length: rank }, (_, i) => Math.max(...inputs.map((a) => a.shape[a.shape.length - rank + i] ?? 1)));
  const out = new Float64Array(size(shape));
  const st = inputs.map((a) => strides(a.shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    const vals = inputs.map((a, k) => {
      let off = 0;
      for (let j = 0; j < a.shape.length; j++) off += (a.shape[j] === 1 ? 0 : idx[rank - a.shape.length + j]!) * st[k]![j]!;
      return a.data[off]!;
    });
    out[i] = f(...vals);
  }
  return { shape, data: out };
}

export function reduce(x: Arr, axes: readonly number[], f: 'sum' | 'mean' | 'max', keepdims = false): Arr {
  const ax = new Set(axes.map((a) => (a < 0 ? a + x.shape.length : a)));
  const kept = x.shape.map((d, i) => (ax.has(i) ? 1 : d));
  const out = new Float64Array(size(kept)).fill(f === 'max' ? -Infinity : 0);
  const st = strides(kept);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    let off = 0;
    idx.forEach((v, j) => (off += (ax.has(j) ? 0 : v) * st[j]!));
    out[off] = f === 'max' ? Math.max(out[off]!, x.data[i]!) : out[off]! + x.data[i]!;
  }
  const count = [...ax].reduce((p, a) => p * x.shape[a]!, 1);
  if (f === 'mean') for (let i = 0; i < out.length; i++) out[i]! /= count;
  return { shape: keepdims ? kept : x.shape.filter((_, i) => !ax.has(i)), data: out };
}

export function transpose(x: Arr, perm: readonly number[]): Arr {
  const shape = perm.map((p) => x.shape[p]!);
  const st = strides(x.shape);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    let off = 0;
    idx.forEach((v, j) => (off += v * st[perm[j]!]!));
    out[i] = x.data[off]!;
  }
  return { shape, data: out };
}

/** Batched matmul with broadcasting over leading axes. */
export function matmul(a: Arr, b: Arr): Arr {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch = Array.from({ length: rank }, (_, i) => Math.max(batchA[batchA.length - rank + i] ?? 1, batchB[batchB.length - rank + i] ?? 1));
  const out = new Float64Array(size(batch) * m * n);
  const off = (bs: readonly number[], idx: number[]): number => {
    let o = 0;
    const st = strides(bs);
    bs.forEach((d, j) => (o += (d === 1 ? 0 : idx[rank - bs.length + j]!) * st[j]!));
    return o;
  };
  for (let bi = 0; bi < size(batch); bi++) {
    const idx = unravel(bi, batch);
    const ao = off(batchA, idx) * m * k;
    const bo = off(batchB, idx) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a.data[ao + i * k + t]! * b.data[bo + t * n + j]!;
        out[bi * m * n + i * n + j] = s;
      }
  }
  return { shape: [...batch, m, n], data: out };
}

export function softmax(x: Arr, axis = -1): Arr {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const mx = reduce(x, [ax], 'max', true);
  const e = map([x, mx], (v, m) => Math.exp(v - m));
  return map([e, reduce(e, [ax], 'sum', true)], (v, s) => v / s);
}

/** torch.nn.Conv2d (NCHW, symmetric padding). */
export function conv2d(x: Arr, w: Arr, b: Arr | undefined, stride: number, pad: number, groups = 1, dilation = 1): Arr {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const ho = Math.floor((h + 2 * pad - dilation * (kh - 1) - 1) / stride) + 1;
  const wo = Math.floor((wd + 2 * pad - dilation * (kw - 1) - 1) / stride) + 1;
  const out = new Float64Array(n * o * ho * wo);
  const og = o / groups;
  for (let bi = 0; bi < n; bi++)
    for (let oc = 0; oc < o; oc++) {
      const grp = Math.floor(oc / og);
      for (let y = 0; y < ho; y++)
        for (let xx = 0; xx < wo; xx++) {
          let s = b ? b.data[oc]! : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = y * stride + ky * dilation - pad;
                const ix = xx * stride + kx * dilation - pad;
                if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;
                s += x.data[((bi * c + grp * cg + ci) * h + iy) * wd + ix]! * w.data[((oc * cg + ci) * kh + ky) * kw + kx]!;
              }
          out[((bi * o + oc) * ho + y) * wo + xx] = s;
        }
    }
  return { shape: [n, o, ho, wo], data: out };
}

/** torch.nn.ConvTranspose2d: weight [Cin, Cout/groups, kH, kW]. */
export function convTranspose2d(x: Arr, w: Arr, b: Arr | undefined, stride: number, pad: number, outputPadding = 0, groups = 1): Arr {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [, og, kh, kw] = w.shape as [number, number, number, number];
  const o = og * groups;
  const ho = (h - 1) * stride - 2 * pad + kh + outputPadding;
  const wo = (wd - 1) * stride - 2 * pad + kw + outputPadding;
  const out = new Float64Array(n * o * ho * wo);
  const cg = c / groups;
  for (let bi = 0; bi < n; bi++)
    for (let ci = 0; ci < c; ci++) {
      const grp = Math.floor(ci / cg);
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < wd; xx++)
          for (let oc = 0; oc < og; oc++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const oy = y * stride + ky - pad;
                const ox = xx * stride + kx - pad;
                if (oy < 0 || ox < 0 || oy >= ho || ox >= wo) continue;
                out[((bi * o + grp * og + oc) * ho + oy) * wo + ox]! += x.data[((bi * c + ci) * h + y) * wd + xx]! * w.data[((ci * og + oc) * kh + ky) * kw + kx]!;
              }
    }
  if (b) for (let i = 0; i < out.length; i++) out[i]! += b.data[Math.floor(i / (ho * wo)) % o]!;
  return { shape: [n, o, ho, wo], data: out };
}

/** Normalise over the trailing axes from `axis`, then ·gamma + beta. */
export function layerNorm(x: Arr, axis: number, eps: number, gamma?: Arr, beta?: Arr): Arr {
  const axes = x.shape.map((_, i) => i).slice(axis);
  const mean = reduce(x, axes, 'mean', true);
  const centered = map([x, mean], (v, m) => v - m);
  const variance = reduce(map([centered], (v) => v * v), axes, 'mean', true);
  let y = map([centered, variance], (v, s) => v / Math.sqrt(s + eps));
  if (gamma) y = map([y, gamma], (v, g) => v * g);
  if (beta) y = map([y, beta], (v, b) => v + b);
  return y;
}

/** Multi-head attention on [B, T, D] inputs. */
export function attention(q: Arr, k: Arr, v: Arr, heads: number, scale: number, bias?: Arr): Arr {
  const split = (x: Arr): Arr => {
    const [b, t, d] = x.shape as [number, number, number];
    return transpose({ shape: [b, t, heads, d / heads], data: x.data }, [0, 2, 1, 3]);
  };
  let s = map([matmul(split(q), transpose(split(k), [0, 1, 3, 2]))], (x) => x * scale);
  if (bias) s = map([s, bias], (a, c) => a + c);
  const o = transpose(matmul(softmax(s), split(v)), [0, 2, 1, 3]);
  return { shape: [q.shape[0]!, q.shape[1]!, v.shape[2]!], data: o.data };
}

export function maxPool(x: Arr, k: number): Arr {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [ho, wo] = [Math.floor(h / k), Math.floor(w / k)];
  const out = new Float64Array(n * c * ho * wo).fill(-Infinity);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < ho * k; y++)
      for (let xx = 0; xx < wo * k; xx++) {
        const o = (p * ho + Math.floor(y / k)) * wo + Math.floor(xx / k);
        out[o] = Math.max(out[o]!, x.data[(p * h + y) * w + xx]!);
      }
  return { shape: [n, c, ho, wo], data: out };
}

export function resizeNearest2x(x: Arr): Arr {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = new Float64Array(n * c * h * w * 4);
  for (let p = 0; p < n * c; p++) for (let y = 0; y < 2 * h; y++) for (let xx = 0; xx < 2 * w; xx++) out[(p * 2 * h + y) * 2 * w + xx] = x.data[(p * h + (y >> 1)) * w + (xx >> 1)]!;
  return { shape: [n, c, 2 * h, 2 * w], data: out };
}

/** max |a − b| / max(max |b|, 1e-12) */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(Number(a[i]) - Number(b[i])));
    scale = Math.max(scale, Math.abs(Number(b[i])));
  }
  return diff / scale;
}
