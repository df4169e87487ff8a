import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateClaims, verdictOf, type CaseMetrics, type ResultsByMethod } from '../../src/eval/claims.ts';
import { interpolate, pairedBootstrap } from '../../src/eval/paired-bootstrap.ts';
import { METRIC_IDS, type MetricId } from '../../src/eval/metrics.ts';

const N = 60;
/** A fixed per-case wobble in [-0.05, 0.05] (case difficulty, shared by every method). */
const wobble = (i: number): number => 0.05 * Math.sin(i * 12.9898);
/** Per-case noise that differs between methods: zero mean over the 60 cases. */
const jitter = (i: number, m: number): number => 0.01 * (((i * 7 + m * 3) % 5) - 2);

function cases(values: Partial<Record<MetricId, (i: number) => number>>): CaseMetrics[] {
  return Array.from({ length: N }, (_, index) => {
    const metrics = Object.fromEntries(METRIC_IDS.map((id) => [id, values[id]?.(index) ?? 0.5])) as Record<
      MetricId,
      number
    >;
    return { index, metrics };
  });
}

test('a known IoU gain of 0.1 over txt2img holds, with the interval around 0.1', () => {
  const results: ResultsByMethod = {
    txt2img: cases({ iou: (i) => 0.4 + wobble(i) + jitter(i, 0), objectRecall: (i) => 0.6 + wobble(i) }),
    'collage-diffusion': cases({
      iou: (i) => 0.5 + wobble(i) + jitter(i, 1),
      objectRecall: (i) => 0.6 + wobble(i),
    }),
  };
  const { claims, skipped } = evaluateClaims(results, { resamples: 500 });
  const claim = claims.find((c) => c.id === 'spatial-vs-txt2img')!;
  const [iou, recall] = claim.comparisons;
  assert.ok(Math.abs(iou!.difference - 0.1) < 1e-9, `difference ${iou!.difference}`);
  assert.ok(iou!.lo > 0.09 && iou!.hi < 0.11 && iou!.lo < 0.1 && iou!.hi > 0.1, `[${iou!.lo}, ${iou!.hi}]`);
  assert.equal(iou!.n, N);
  assert.equal(claim.verdict, 'holds');
  // object recall is identical on every case: zero difference, zero-width interval, not shown
  assert.deepEqual([recall!.difference, recall!.lo, recall!.hi, recall!.verdict], [0, 0, 0, 'not shown']);
  assert.deepEqual(
    skipped.map((s) => s.id),
    ['harmonization-vs-sdedit', 'inversion-appearance'],
  );
});

test('a method worse than its baseline fails, and a noisy zero difference is not shown', () => {
  const results: ResultsByMethod = {
    txt2img: cases({ iou: (i) => 0.6 + wobble(i), objectRecall: (i) => 0.5 + jitter(i, 0) }),
    'collage-diffusion': cases({ iou: (i) => 0.5 + wobble(i), objectRecall: (i) => 0.5 + jitter(i, 1) }),
  };
  const [iou, recall] = evaluateClaims(results, { resamples: 500 }).claims[0]!.comparisons;
  assert.equal(iou!.verdict, 'fails');
  assert.ok(Math.abs(recall!.difference) < 1e-9);
  assert.ok(recall!.lo < 0 && recall!.hi > 0, `[${recall!.lo}, ${recall!.hi}]`);
  assert.equal(recall!.verdict, 'not shown');
});

/** SDEdit's sweep on the line backgroundError = 0.04 + 0.2·IoU, per case. */
function sweep(): ResultsByMethod {
  const at = (iou: number, m: number) =>
    cases({
      iou: (i) => iou + wobble(i),
      backgroundError: (i) => 0.04 + 0.2 * (iou + wobble(i)) + jitter(i, m),
    });
  return { 'sdedit@0.4': at(0.7, 0), 'sdedit@0.6': at(0.5, 1), 'sdedit@0.8': at(0.3, 2) };
}

test('harmonization is compared with SDEdit interpolated at the full method IoU', () => {
  // at IoU 0.6 + w SDEdit's line gives 0.16 + 0.2·w; the full method has 0.10 + 0.2·w: difference -0.06
  const results: ResultsByMethod = {
    ...sweep(),
    'collage-diffusion': cases({
      iou: (i) => 0.6 + wobble(i),
      backgroundError: (i) => 0.1 + 0.2 * wobble(i) + jitter(i, 3),
    }),
  };
  const claim = evaluateClaims(results, { resamples: 500 }).claims.find(
    (c) => c.id === 'harmonization-vs-sdedit',
  )!;
  const bg = claim.comparisons[0]!;
  assert.equal(bg.metric, 'backgroundError');
  assert.ok(Math.abs(bg.difference + 0.06) < 1e-9, `difference ${bg.difference}`);
  assert.ok(bg.hi < 0 && bg.lo > -0.08, `[${bg.lo}, ${bg.hi}]`);
  assert.equal(claim.verdict, 'holds');
  assert.equal(claim.baseline, 'sdedit@0.4, sdedit@0.6, sdedit@0.8');
  assert.match(
    claim.notes[0]!,
    /mean IoU 0\.6\d\d lies inside the SDEdit sweep's IoU range \[0\.3\d\d, 0\.7\d\d\]/,
  );
});

test('a full method IoU outside the SDEdit sweep is extrapolated, said so, and not shown', () => {
  const results: ResultsByMethod = {
    ...sweep(),
    'collage-diffusion': cases({ iou: (i) => 0.9 + wobble(i), backgroundError: () => 0.01 }),
  };
  const claim = evaluateClaims(results, { resamples: 200 }).claims.find(
    (c) => c.id === 'harmonization-vs-sdedit',
  )!;
  // extrapolated line: 0.04 + 0.2·0.9 = 0.22 → difference ≈ -0.21, a clear gain, still "not shown"
  assert.ok(Math.abs(claim.comparisons[0]!.difference + 0.21) < 0.01);
  assert.equal(claim.verdict, 'not shown');
  assert.match(claim.notes[0]!, /lies outside the SDEdit sweep's IoU range.*extrapolated/);
});

test('two SDEdit strengths are not a sweep: the harmonization claim is skipped with the reason', () => {
  const { 'sdedit@0.4': a, 'sdedit@0.6': b } = sweep();
  const { claims, skipped } = evaluateClaims({ 'sdedit@0.4': a!, 'sdedit@0.6': b!, 'collage-diffusion': a! });
  assert.equal(claims.length, 0);
  assert.match(skipped.find((s) => s.id === 'harmonization-vs-sdedit')!.reason, /≥ 3 strengths \(has 2\)/);
});

test('textual inversion is judged at each shared strength of at least 0.8 only', () => {
  const results: ResultsByMethod = {
    'cd-attention@0.6': cases({}),
    'cd-attention-inversion@0.6': cases({ pattern: () => 0.9 }),
    'cd-attention@0.8': cases({ pattern: (i) => 0.3 + wobble(i), chromaError: (i) => 0.2 + wobble(i) }),
    'cd-attention-inversion@0.8': cases({
      pattern: (i) => 0.5 + wobble(i),
      chromaError: (i) => 0.25 + wobble(i),
    }),
  };
  const { claims } = evaluateClaims(results, { resamples: 200 });
  assert.equal(claims.length, 1);
  const [pattern, chroma] = claims[0]!.comparisons;
  assert.equal(claims[0]!.method, 'cd-attention-inversion@0.8');
  assert.equal(claims[0]!.baseline, 'cd-attention@0.8');
  assert.ok(Math.abs(pattern!.difference - 0.2) < 1e-9);
  assert.equal(pattern!.verdict, 'holds');
  assert.equal(chroma!.verdict, 'fails'); // chroma error rose by 0.05: lower is better
  assert.equal(claims[0]!.verdict, 'holds');
});

test('cases missing for one side or with NaN values are left out of the pairing', () => {
  const txt = cases({ iou: () => 0.2 }).slice(0, 40);
  const full = cases({ iou: (i) => (i === 3 ? Number.NaN : 0.7) });
  const claim = evaluateClaims({ txt2img: txt, 'collage-diffusion': full }, { resamples: 100 }).claims[0]!;
  assert.equal(claim.comparisons[0]!.n, 39);
  assert.ok(Math.abs(claim.comparisons[0]!.difference - 0.5) < 1e-9);
});

test('fewer than 10 paired cases give no verdict, however large the difference, and say why', () => {
  const results: ResultsByMethod = {
    txt2img: cases({ iou: (i) => 0.1 + wobble(i) }).slice(0, 5),
    'collage-diffusion': cases({ iou: (i) => 0.9 + wobble(i) }),
  };
  const claim = evaluateClaims(results, { resamples: 100 }).claims[0]!;
  assert.ok(claim.comparisons[0]!.lo > 0.7);
  assert.equal(claim.verdict, 'not shown');
  assert.match(claim.notes.at(-1)!, /only 5 paired cases \(< 10\): too few for a verdict/);
});

test('verdicts read the interval against zero in the better direction', () => {
  assert.equal(verdictOf(0.01, 0.2, 'higher'), 'holds');
  assert.equal(verdictOf(-0.2, -0.01, 'lower'), 'holds');
  assert.equal(verdictOf(0.01, 0.2, 'lower'), 'fails');
  assert.equal(verdictOf(-0.01, 0.2, 'higher'), 'not shown');
  assert.equal(verdictOf(Number.NaN, 1, 'higher'), 'not shown');
});

test('interpolation is linear between points, extends the end segments and flags it', () => {
  const points = [
    { x: 0.5, y: 2 },
    { x: 0.1, y: 0 },
    { x: 0.3, y: 1 },
  ];
  const between = interpolate(points, 0.2);
  assert.ok(Math.abs(between.y - 0.5) < 1e-12 && !between.extrapolated);
  const beyond = interpolate(points, 0.7);
  assert.ok(Math.abs(beyond.y - 3) < 1e-12 && beyond.extrapolated);
  assert.ok(Number.isNaN(interpolate([{ x: 1, y: 1 }], 1).y));
});

test('the paired bootstrap is seeded: the same seed gives the same interval', () => {
  const xs = Float64Array.from({ length: 30 }, (_, i) => Math.sin(i));
  const stat = (c: Int32Array) => c.reduce((s, i) => s + xs[i]!, 0) / c.length;
  assert.deepEqual(pairedBootstrap(30, stat, 300, 4), pairedBootstrap(30, stat, 300, 4));
  assert.notDeepEqual(pairedBootstrap(30, stat, 300, 4), pairedBootstrap(30, stat, 300, 5));
});
