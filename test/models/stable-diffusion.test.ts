// StableDiffusion: a diffusers folder assembled from the fixture components (links in a temp dir) and a single-file
// checkpoint load once and give the fixture outputs through encodeText / unet / vaeEncode / vaeDecode; graphs come
// from the disk cache on a second load; folders of other model families are refused before anything is built.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ModelError } from '../../src/errors.ts';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../../src/io/safetensors.ts';
import { StableDiffusion } from '../../src/models/stable-diffusion.ts';
import { int64, type Tensor } from '../../src/tensor.ts';
import { ReferenceFile, assertClose } from '../support/model-reference.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

const root = mkdtempSync(join(tmpdir(), 'sd-folder-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Parts {
  unet?: string;
  vae?: string;
  textEncoder?: string;
  pipeline?: string;
}

/** A diffusers SD folder whose components link to fixture folders. */
function sdFolder(name: string, parts: Parts = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const link = (target: string, as: string): void => symlinkSync(target, join(dir, as));
  link(parts.unet ?? referencePath('diffusers/unet_tiny'), 'unet');
  link(parts.vae ?? referencePath('diffusers/vae_tiny'), 'vae');
  link(parts.textEncoder ?? referencePath('diffusers/text_encoder_tiny'), 'text_encoder');
  link(referencePath('clip-bpe'), 'tokenizer');
  link(referencePath('diffusers/schedulers/pndm'), 'scheduler');
  const index = { _class_name: parts.pipeline ?? 'StableDiffusionPipeline', _diffusers_version: '0.27.2', unet: ['diffusers', 'UNet2DConditionModel'], vae: ['diffusers', 'AutoencoderKL'], text_encoder: ['transformers', 'CLIPTextModel'], tokenizer: ['transformers', 'CLIPTokenizer'], scheduler: ['diffusers', 'PNDMScheduler'] };
  writeFileSync(join(dir, 'model_index.json'), JSON.stringify(index));
  return dir;
}

function ids(t: Tensor<'float32'>): Tensor<'int64'> {
  return int64(t.shape, Array.from(t.data, (v) => BigInt(v)));
}

let folder: string | undefined;
const tinyFolder = (): string => (folder ??= sdFolder('tiny'));

test('a folder loads once and reports its configs: scale factor, latent channels, text width, scaling factor', { skip: referenceSkip() }, async () => {
  const sd = await StableDiffusion.load(tinyFolder(), { cacheDir: false });
  assert.equal(sd.vaeScaleFactor, 2);
  assert.equal(sd.latentChannels, 4);
  assert.equal(sd.textWidth, 32);
  assert.equal(sd.scalingFactor, 0.18215);
  assert.deepEqual(sd.unetConfig.block_out_channels, [32, 64]);
  assert.equal((await sd.tokenizer()).tokenize('a red car').ids.length, 77);
  await sd.release();
});

test('encodeText, unet, vaeEncode and vaeDecode give the diffusers fixture outputs (1e-4)', { skip: referenceSkip() }, async () => {
  const sd = await StableDiffusion.load(tinyFolder(), { cacheDir: false });
  const text = new ReferenceFile('diffusers/refs/clip_text.safetensors');
  const encoded = await sd.encodeText(ids(text.tensor('input_ids')));
  assertClose(encoded.promptEmbeds, text.tensor('last_hidden_state'), 'last_hidden_state');
  assertClose(encoded.pooledOutput, text.tensor('pooler_output'), 'pooler_output');
  assertClose((await sd.encodeText(ids(text.tensor('input_ids')), 1)).promptEmbeds, text.tensor('penultimate_after_final_ln'), 'clip skip 1');

  const unet = new ReferenceFile('diffusers/refs/unet_tiny_forward.safetensors');
  const call = { sample: unet.tensor('sample'), encoderHiddenStates: unet.tensor('encoder_hidden_states') };
  assertClose(await sd.unet({ ...call, timestep: 500 }), unet.tensor('out_t500'), 'out_t500');
  assertClose(await sd.unet({ ...call, timestep: [1, 1] }), unet.tensor('out_t1'), 'out_t1');
  const bias = new ReferenceFile('diffusers/refs/unet_tiny_attn_bias.safetensors');
  assertClose(await sd.unet({ ...call, timestep: 500, keyBias: bias.tensor('key_bias') }), bias.tensor('out_key_bias'), 'out_key_bias');

  const vae = new ReferenceFile('diffusers/refs/vae.safetensors');
  const enc = await sd.vaeEncode(vae.tensor('image'));
  assertClose(enc.mean, vae.tensor('latent_mean'), 'latent_mean');
  assertClose(enc.logvar, vae.tensor('latent_logvar'), 'latent_logvar');
  assertClose(await sd.vaeDecode(vae.tensor('latent_rand')), vae.tensor('decoded_from_rand'), 'decoded_from_rand');
  await sd.release();
});

test('a collage bias with f(σ) = 0 leaves the UNet output unchanged, and a non-zero one changes only the conditional item', { skip: referenceSkip() }, async () => {
  const sd = await StableDiffusion.load(tinyFolder(), { cacheDir: false });
  const unet = new ReferenceFile('diffusers/refs/unet_tiny_forward.safetensors');
  const call = { sample: unet.tensor('sample'), encoderHiddenStates: unet.tensor('encoder_hidden_states'), timestep: 500 };
  // unet_tiny has cross-attention at 4×4 (down_blocks.1, mid_block, up_blocks.0): one coefficient map, HW = 16.
  const a = Float32Array.from({ length: 16 * 77 }, (_, i) => ((i % 77) < 6 ? 1 : -0.5) * ((i % 3) - 1));
  const zero = await sd.unet({ ...call, collageBias: { coefficients: new Map([[16, a]]), biasScale: 0 } });
  assertClose(zero, unet.tensor('out_t500'), 'collage bias with f = 0');
  const biased = await sd.unet({ ...call, collageBias: { coefficients: new Map([[16, a]]), biasScale: 1.5 } });
  const half = biased.data.length / 2;
  const plain = unet.tensor('out_t500').data;
  let uncondDiff = 0;
  let condDiff = 0;
  for (let i = 0; i < half; i++) uncondDiff = Math.max(uncondDiff, Math.abs(biased.data[i]! - plain[i]!));
  for (let i = half; i < 2 * half; i++) condDiff = Math.max(condDiff, Math.abs(biased.data[i]! - plain[i]!));
  assert.ok(uncondDiff <= 1e-4, `unconditional item moved by ${uncondDiff}`);
  assert.ok(condDiff > 1e-3, `conditional item moved by only ${condDiff}`);
  await sd.release();
});

test('a second load takes its graphs from the disk cache without reading a weight, and gives the same output', { skip: referenceSkip() }, async () => {
  const cacheDir = join(root, 'cache');
  const vae = new ReferenceFile('diffusers/refs/vae.safetensors');
  const first = await StableDiffusion.load(tinyFolder(), { cacheDir });
  const a = await first.vaeDecode(vae.tensor('latent_rand'));
  await first.release();
  const built = readdirSync(cacheDir).sort();
  const second = await StableDiffusion.load(tinyFolder(), { cacheDir });
  const source = second.vaePart.weights;
  let reads = 0;
  const read = source.readFloat32.bind(source);
  source.readFloat32 = (name: string): Float32Array => (reads++, read(name));
  const b = await second.vaeDecode(vae.tensor('latent_rand'));
  await second.release();
  assert.equal(reads, 0, 'weights read on a cache hit');
  assert.deepEqual(readdirSync(cacheDir).sort(), built, 'no new file: a cache hit');
  assert.deepEqual(b.data, a.data);
});

test('a single-file checkpoint loads through the same object (tiny configs, tokenizer folder given)', { skip: referenceSkip() }, async () => {
  const unetFile = readSafetensors(referencePath('diffusers/unet_tiny/diffusion_pytorch_model.safetensors')).tensors;
  const tensors: Record<string, StoredTensor> = {};
  // unet_tiny in LDM names is beyond this test (checkpoint.test.ts maps the SD 1.5 topology); VAE and text suffice here.
  for (const [name, t] of readSafetensors(referencePath('diffusers/text_encoder_tiny/model.safetensors')).tensors) tensors[`cond_stage_model.transformer.${name}`] = t;
  for (const [name, t] of readSafetensors(referencePath('diffusers/vae_tiny/diffusion_pytorch_model.safetensors')).tensors) {
    const ldm = name.replace('encoder.down_blocks.0.resnets.', 'encoder.down.0.block.').replace('encoder.down_blocks.1.resnets.', 'encoder.down.1.block.').replace('encoder.down_blocks.0.downsamplers.0.', 'encoder.down.0.downsample.')
      .replace('decoder.up_blocks.0.resnets.', 'decoder.up.1.block.').replace('decoder.up_blocks.1.resnets.', 'decoder.up.0.block.').replace('decoder.up_blocks.0.upsamplers.0.', 'decoder.up.1.upsample.')
      .replace('mid_block.resnets.0.', 'mid.block_1.').replace('mid_block.resnets.1.', 'mid.block_2.').replace('conv_shortcut', 'nin_shortcut').replace('conv_norm_out', 'norm_out')
      .replace('mid_block.attentions.0.group_norm.', 'mid.attn_1.norm.').replace(/mid_block\.attentions\.0\.to_(q|k|v)\./, 'mid.attn_1.$1.').replace('mid_block.attentions.0.to_out.0.', 'mid.attn_1.proj_out.');
    tensors[`first_stage_model.${ldm}`] = /attentions\.0\.to_(q|k|v|out\.0)\.weight$/.test(name) ? ({ ...t, shape: [...t.shape, 1, 1] } as StoredTensor) : t;
  }
  // openCheckpoint wants all three models present; one UNet weight stands for the (unused here) UNet.
  tensors['model.diffusion_model.conv_in.weight'] = unetFile.get('conv_in.weight')!;
  const path = join(root, 'tiny-vae-text.safetensors');
  await writeSafetensors(path, tensors);
  const folderSd = await StableDiffusion.load(tinyFolder(), { cacheDir: false });
  const sd = await StableDiffusion.load(path, { cacheDir: false, configs: { unet: folderSd.unetConfig, vae: folderSd.vaeConfig, textEncoder: folderSd.textEncoderConfig }, tokenizerDir: referencePath('clip-bpe') });
  const vae = new ReferenceFile('diffusers/refs/vae.safetensors');
  assertClose(await sd.vaeDecode(vae.tensor('latent_rand')), vae.tensor('decoded_from_rand'), 'decoded_from_rand from the checkpoint');
  const text = new ReferenceFile('diffusers/refs/clip_text.safetensors');
  assertClose((await sd.encodeText(ids(text.tensor('input_ids')))).promptEmbeds, text.tensor('last_hidden_state'), 'last_hidden_state from the checkpoint');
  assert.equal((await sd.tokenizer()).eosId, 49407);
  await Promise.all([sd.release(), folderSd.release()]);
});

test('a component folder, an SDXL pipeline folder and a missing folder are refused, saying what to pass', { skip: referenceSkip() }, async () => {
  await assert.rejects(StableDiffusion.load(referencePath('diffusers/unet_tiny')), (e: unknown) => e instanceof ModelError && /no model_index\.json/.test(e.message) && /one component/.test(e.message));
  const sdxl = sdFolder('sdxl', { pipeline: 'StableDiffusionXLPipeline' });
  await assert.rejects(StableDiffusion.load(sdxl), (e: unknown) => e instanceof ModelError && /StableDiffusionXLPipeline/.test(e.message) && /StableDiffusionPipeline, StableDiffusionImg2ImgPipeline/.test(e.message));
  await assert.rejects(StableDiffusion.load(join(root, 'nowhere')), (e: unknown) => e instanceof ModelError && /no such folder/.test(e.message));
});

test('a text encoder of another width and an inpainting UNet are named with both config fields, all at once', { skip: referenceSkip() }, async () => {
  const unetDir = join(root, 'unet-inpaint');
  mkdirSync(unetDir);
  const config = JSON.parse(readFileSync(referencePath('diffusers/unet_tiny/config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(unetDir, 'config.json'), JSON.stringify({ ...config, in_channels: 9 }));
  symlinkSync(referencePath('diffusers/unet_tiny/diffusion_pytorch_model.safetensors'), join(unetDir, 'diffusion_pytorch_model.safetensors'));
  const mixed = sdFolder('mixed', { unet: unetDir, textEncoder: referencePath('diffusers-extra/text_encoder_gelu') });
  await assert.rejects(StableDiffusion.load(mixed), (e: unknown) =>
    e instanceof ModelError &&
    e.problems.length === 2 &&
    /unet cross_attention_dim 32 does not match text_encoder hidden_size 64/.test(e.message) &&
    /unet in_channels 9 differs from vae latent_channels 4/.test(e.message),
  );
});

test('a UNet config with an unsupported block type is refused at load, listing the supported types', { skip: referenceSkip() }, async () => {
  const unetDir = join(root, 'unet-unsupported');
  mkdirSync(unetDir);
  const config = JSON.parse(readFileSync(referencePath('diffusers/unet_tiny/config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(unetDir, 'config.json'), JSON.stringify({ ...config, down_block_types: ['DownBlock2D', 'SimpleCrossAttnDownBlock2D'] }));
  symlinkSync(referencePath('diffusers/unet_tiny/diffusion_pytorch_model.safetensors'), join(unetDir, 'diffusion_pytorch_model.safetensors'));
  await assert.rejects(StableDiffusion.load(sdFolder('unsupported', { unet: unetDir })), (e: unknown) => e instanceof ModelError && /SimpleCrossAttnDownBlock2D/.test(e.message) && /DownBlock2D, CrossAttnDownBlock2D/.test(e.message));
});
