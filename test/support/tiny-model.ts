// A diffusers Stable Diffusion folder assembled in a temp dir from the reference's tiny random models (symlinks,
// never copies into the repo) plus a byte-level tokenizer our test writes (the tiny text encoder has 1000 ids).
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captionVocabulary } from '../../src/world/index.ts';
import { referencePath } from './reference.ts';

/** The 256 byte-level characters of CLIP's bytes_to_unicode, in CLIP's order. */
function byteCharacters(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const chars = printable.map((b) => String.fromCodePoint(b));
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) chars.splice(chars.length, 0, String.fromCodePoint(256 + n++));
  }
  return chars;
}

/**
 * vocab.json + merges.txt of a small CLIP tokenizer: the 512 byte-level symbols, merges that spell each word of the
 * Shapes World captions (so captions stay well under 75 tokens), and the 2 specials; fits the tiny encoder's 1000 ids.
 */
export function writeByteTokenizer(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const chars = byteCharacters();
  const tokens = [...chars, ...chars.map((c) => `${c}</w>`)];
  const merges: string[] = [];
  for (const word of captionVocabulary()) {
    let left = word[0]!;
    for (let i = 1; i < word.length; i++) {
      const right = i === word.length - 1 ? `${word[i]}</w>` : word[i]!;
      const merged = left + right;
      if (!tokens.includes(merged)) {
        merges.push(`${left} ${right}`);
        tokens.push(merged);
      }
      left = merged;
    }
  }
  const vocab: Record<string, number> = {};
  [...tokens, '<|startoftext|>', '<|endoftext|>'].forEach((t, i) => (vocab[t] = i));
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
}

/** Makes the folder and returns its path: unet_tiny + vae_tiny + text_encoder_tiny + SD 1.5's scheduler config. */
export function makeTinyModelFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'collage-tiny-model-'));
  writeFileSync(
    join(dir, 'model_index.json'),
    JSON.stringify({
      _class_name: 'StableDiffusionPipeline',
      unet: ['diffusers', 'UNet2DConditionModel'],
      vae: ['diffusers', 'AutoencoderKL'],
      text_encoder: ['transformers', 'CLIPTextModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      scheduler: ['diffusers', 'PNDMScheduler'],
    }),
  );
  symlinkSync(referencePath('diffusers/unet_tiny'), join(dir, 'unet'));
  symlinkSync(referencePath('diffusers/vae_tiny'), join(dir, 'vae'));
  symlinkSync(referencePath('diffusers/text_encoder_tiny'), join(dir, 'text_encoder'));
  mkdirSync(join(dir, 'scheduler'));
  symlinkSync(referencePath('diffusers/schedulers/sd15_scheduler_config.json'), join(dir, 'scheduler', 'scheduler_config.json'));
  writeByteTokenizer(join(dir, 'tokenizer'));
  return dir;
}
