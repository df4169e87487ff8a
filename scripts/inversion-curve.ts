// Issue 9's inversion measurements on a real model (default: the embedded one): for a few layers of Shapes World
// benchmark cases (or given collage documents), learns each layer's embedding from each init and reports the masked
// loss averaged over a FIXED evaluation set of (t, noise) pairs (method/inversion-eval.ts; the same pairs for every
// step count, init and layer) at several step counts of one seeded run (the learning rate is constant after warm-up,
// so the embedding after N steps of a 250-step run is the embedding of an N-step run). Prints a markdown table and
// writes JSON (--out) and the same markdown beside it.
// Usage: node --import tsx scripts/inversion-curve.ts [doc.collage.json ...] [--cases 0,1,2] [--layers 6]
//   [--init a,head-noun] [--at 0,10,25,50,75,100,150,200,250] [--pairs 32] [--eval-seed 1] [--seed 0] [--lr 4e-4]
//   [--model embedded] [--out docs/measurements/inversion-curve-<model>.json]
// Heavy: run as COLLAGE_THREADS=1 nice -n 10 … on a shared machine.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCollage } from '../src/collage/index.ts';
import { loadModel } from '../src/cli/model-option.ts';
import { makeCase, writeCaseFiles } from '../src/eval/index.ts';
import { evaluationLoss, evaluationSet, INVERSION_INITS, InversionProblem, invertLayer, inversionStreams, inversionTargets, resolveInversionOptions, type InversionInit } from '../src/method/index.ts';
import { summarize, type LayerCurve } from './inversion-curve-summary.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cases: { type: 'string', default: '0,1,2' },
    layers: { type: 'string', default: '6' },
    init: { type: 'string', default: INVERSION_INITS.join(',') },
    at: { type: 'string', default: '0,10,25,50,75,100,150,200,250' },
    pairs: { type: 'string', default: '32' },
    'eval-seed': { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    lr: { type: 'string' },
    model: { type: 'string', default: 'embedded' },
    out: { type: 'string' },
  },
});
const list = (s: string): number[] => s.split(',').map(Number);
const at = list(values.at).sort((x, y) => x - y);
const inits = values.init.split(',') as InversionInit[];
const pairs = Number(values.pairs);
const evalSeed = Number(values['eval-seed']);
const seed = Number(values.seed);
const maxSteps = at[at.length - 1]!;
const out = values.out ?? `docs/measurements/inversion-curve-${values.model === 'embedded' ? 'embedded' : basename(values.model)}.json`;

/** The collage documents measured: the given ones, else benchmark cases written to a temporary folder. */
async function documents(): Promise<string[]> {
  if (positionals.length > 0) return positionals;
  const dir = mkdtempSync(join(tmpdir(), 'inversion-curve-'));
  const paths: string[] = [];
  for (const index of list(values.cases)) paths.push((await writeCaseFiles(join(dir, `case-${index}`), makeCase(index, 128))).path);
  return paths;
}

const model = await loadModel(values.model);
const tokenizer = await model.tokenizer();
const curves: LayerCurve[] = [];
let stepMs = 0;
let stepCount = 0;
try {
  const layers = [];
  for (const path of await documents()) {
    const collage = await loadCollage(path);
    for (const { layer, target } of inversionTargets(collage, model.vaeScaleFactor)) layers.push({ id: `${path.split('/').slice(-2, -1)[0]}/${layer.id}`, text: layer.text, target });
  }
  for (const { id, text, target } of layers.slice(0, Number(values.layers))) {
    for (const init of inits) {
      const opts = resolveInversionOptions({ steps: maxSteps, init, seed, cache: false, ...(values.lr === undefined ? {} : { lr: Number(values.lr) }) }, model.collageDefaults.inversion);
      // Evaluated on the unjittered target (brightness = contrast = 0, one variant): the layer as it is.
      const evalProblem = await InversionProblem.create(model, tokenizer, target, { batch: opts.batch, brightness: 0, contrast: 0, targetVariants: 1 }, inversionStreams(evalSeed, 'eval-target').jitter);
      const set = evaluationSet(evalProblem, evalSeed, pairs);
      const losses: number[] = [];
      let resumed = performance.now();
      await invertLayer(model, tokenizer, target, opts, id, async (step, embedding) => {
        if (step > 0) [stepMs, stepCount] = [stepMs + performance.now() - resumed, stepCount + 1];
        if (at.includes(step)) losses.push(await evaluationLoss(evalProblem, set, embedding));
        resumed = performance.now();
      });
      curves.push({ layer: id, text, init, losses });
      console.error(`${id} (${init}): ${losses.map((l) => l.toFixed(5)).join(' ')}`);
    }
  }
} finally {
  await model.release();
}

const settings = { model: values.model, steps: at, pairs, evalSeed, seed, batch: resolveInversionOptions().batch, lr: Number(values.lr ?? resolveInversionOptions().lr), msPerStep: stepMs / stepCount, threads: process.env['COLLAGE_THREADS'] ?? 'all' };
const { markdown, summary } = summarize(curves, at, settings);
console.log(markdown);
mkdirSync(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify({ settings, summary, curves }, null, 2)}\n`);
await writeFile(out.replace(/\.json$/, '') + '.md', markdown);
console.error(`wrote ${out} and its .md`);
