// The collage method's cost per denoising step outside the UNet (issue 8: target < 2% of the step), at SD 1.5 size:
// a 512×512 collage of 6 layers (64×64 latents, CFG batch 2, Euler ancestral), against the SD 1.5 UNet step with the
// collage bias measured in the same process. The bias on/off ratio inside the UNet is bench/models.bench.ts's row.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCollageDocument, planCollage, type CollageImages, type LayerId } from '../src/collage/index.ts';
import { EngineSession } from '../src/engine/index.ts';
import { attentionBiasFeed, NoiseControl } from '../src/method/index.ts';
import { UNET_OUTPUT } from '../src/models/index.ts';
import { applyGuidance, concatBatch, createScheduler, Rng } from '../src/sampling/index.ts';
import { float32 } from '../src/tensor.ts';
import type { TextTokenizer, TokenizedText } from '../src/collage/spans.ts';
import { build, feeds, POOL_SIZE, randomPool, SD15 } from './models.bench.ts';
import { timeMs, type Bench, type BenchRow } from './table.ts';

const SIZE = 512;
const SD15_SCHEDULE = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', steps_offset: 1, timestep_spacing: 'leading' };

/** One token per word (the bench needs spans, not CLIP's vocabulary). */
const wordTokenizer: TextTokenizer = {
  tokenize(text: string): TokenizedText {
    const offsets: [number, number][] = [[0, 0]];
    for (const m of text.matchAll(/\S+/g)) offsets.push([m.index, m.index + m[0].length]);
    offsets.push([0, 0]);
    const tokenCount = offsets.length;
    while (offsets.length < 77) offsets.push([0, 0]);
    return { ids: offsets.map((_, i) => i), offsets, tokenCount, truncated: '' };
  },
};

function sixLayerPlan() {
  const layers = Array.from({ length: 6 }, (_, i) => ({ id: `l${i}`, image: 'data:image/png;base64,', text: `object ${i}`, x: 40 + 60 * i, y: 60 + 50 * i, noise: 0.5 + 0.08 * i }));
  const doc = parseCollageDocument({ width: SIZE, height: SIZE, prompt: layers.map((l) => `{${l.id}}`).join(' and ') + ' at sunset', layers: layers.map((l) => ({ ...l, image: 'x.png' })) }, 'bench.collage.json');
  const images: CollageImages = { layers: new Map(layers.map((l, i) => [l.id as LayerId, square(96 + 16 * i)])) };
  return planCollage(doc, images, { tokenizer: wordTokenizer });
}

function square(side: number) {
  const data = new Uint8Array(side * side * 4).fill(200);
  return { width: side, height: side, data };
}

export const bench: Bench = {
  name: 'method',
  async run() {
    const plan = sixLayerPlan();
    const scheduler = createScheduler('euler-a', SD15_SCHEDULE);
    scheduler.setTimesteps(30, { strength: plan.noiseStrength.sMax });
    const rng = new Rng(1);
    const shape = [1, 4, 64, 64];
    const composite = float32(shape, rng.normal(shape));
    const control = new NoiseControl(composite, float32([64, 64], plan.noiseStrength.latent), scheduler, rng.fork('hold'));
    const t = scheduler.timesteps[0]!;
    let x = control.start(float32(shape, rng.normal(shape)));
    // Everything one step does besides the UNet call: model input, batch, bias maps, guidance, scheduler step, hold.
    const overhead = async (): Promise<void> => {
      scheduler.reset();
      const input = scheduler.scaleModelInput(x, t);
      const batch = concatBatch([input, input]);
      attentionBiasFeed(plan, scheduler.sigmaAt({ step: 0 }));
      const prediction = float32([2, 4, 64, 64], batch.data);
      const eps = applyGuidance(prediction, 7.5);
      x = scheduler.step(eps, t, x, rng.normalTensor(shape)).prevSample;
      x = control.afterStep(x, t);
    };
    const overheadMs = await timeMs(overhead, 20, 3);

    const pool = randomPool(POOL_SIZE);
    const cacheDir = mkdtempSync(join(tmpdir(), 'method-bench-'));
    try {
      const biased = build(SD15, 64, pool, true);
      const session = await EngineSession.create(biased.g, { cacheDir, weightsIdentity: 'bench-random-SD 1.5' });
      const input = feeds(biased.unet, pool, true);
      const stepMs = await timeMs(() => session.run(input, [UNET_OUTPUT]), 2, 1);
      await session.release();
      const rows: BenchRow[] = [
        { name: 'SD 1.5 UNet step with collage bias (64², batch 2)', value: stepMs / 1000, unit: 's', note: 'baseline' },
        { name: 'method overhead per step outside the UNet (6 layers, 512², euler-a, noise control)', value: overheadMs, unit: 'ms', ratio: overheadMs / stepMs, note: 'of the UNet step (target < 0.02)' },
      ];
      return rows;
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  },
};
