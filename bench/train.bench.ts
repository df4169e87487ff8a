// Training step times of the embedded recipe (issue 11 §7: sizes chosen by measured step time): one full optimiser
// step's forward + backward for the VAE (16 crops of 64²) and for text encoder + UNet (16 latents of 16²) at three
// UNet widths. Ratios are against the shipped width, measured in the same process.
import { ClipTokenizer } from '../src/text/index.ts';
import { trainBpe, trainingCaptions } from '../src/train/bpe-train.ts';
import { renderBatch } from '../src/train/data.ts';
import { latentBatch } from '../src/train/latent-cache.ts';
import { ParamStore } from '../src/train/param-store.ts';
import type { StepOutput, TrainTask } from '../src/train/trainer.ts';
import { createUNetTask, EMBEDDED_TEXT_CONFIG, EMBEDDED_UNET_CONFIG, textConfigFor } from '../src/train/unet-recipe.ts';
import { createVaeTask, EMBEDDED_VAE_CONFIG, vaeConfigOf } from '../src/train/vae-recipe.ts';
import { auxiliaryRng } from '../src/world/index.ts';
import { timeMs, type Bench, type BenchRow } from './table.ts';

const WIDTHS = [[32, 64, 64], [64, 128, 128], [128, 256, 256]] as const;
const SHIPPED = 1;

async function stepMs<B extends { index: number }>(task: TrainTask<B>, batch: B): Promise<number> {
  const run = (): Promise<StepOutput> => task.step(batch, auxiliaryRng(0, 0));
  const ms = await timeMs(run, 3, 1);
  await task.close?.();
  return ms;
}

export const bench: Bench = {
  name: 'train',
  async run() {
    const rows: BenchRow[] = [];
    const vae = await createVaeTask({ batchSize: 16 });
    rows.push({ name: `VAE step ${JSON.stringify(EMBEDDED_VAE_CONFIG['block_out_channels'])}, 16 × 64² crops`, value: await stepMs(vae, renderBatch(0, { batchSize: 16, sizePx: 128 })), unit: 'ms' });
    const vocabulary = trainBpe(trainingCaptions(2000));
    const tokenizer = ClipTokenizer.fromVocabAndMerges(vocabulary.vocab, vocabulary.merges);
    const cache = { count: 64, shape: [4, 16, 16] as const, latents: new Float32Array(64 * 1024).map((_, i) => Math.sin(i)) };
    const times: number[] = [];
    for (const width of WIDTHS) {
      const task = await createUNetTask({ textConfig: textConfigFor(EMBEDDED_TEXT_CONFIG, tokenizer), unetConfig: { ...EMBEDDED_UNET_CONFIG, block_out_channels: width }, tokenizer, cache, vae: { weights: new ParamStore('unused'), config: vaeConfigOf(EMBEDDED_VAE_CONFIG), scalingFactor: 1 }, batchSize: 16 });
      const params = task.params.size;
      times.push(await stepMs(task, latentBatch(cache, 0, 16)));
      rows.push({ name: `text encoder + UNet ${JSON.stringify(width)} step (${(params / 1e6).toFixed(1)} M params), 16 × 16² latents`, value: times[times.length - 1]!, unit: 'ms' });
    }
    return rows.map((r, i) => (i === 0 ? r : { ...r, ratio: times[i - 1]! / times[SHIPPED]!, note: `vs the shipped ${JSON.stringify(WIDTHS[SHIPPED])}` }));
  },
};
