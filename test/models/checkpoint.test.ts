// Single-file SD 1.x checkpoints: the fixture UNet (SD 1.5 topology, F16), VAE and text encoder are written under LDM
// key names by an independent converter (diffusers' scripts/convert_diffusers_to_original_stable_diffusion.py rules,
// generalised to the fixture's level count), then loaded back: same names, same values, same outputs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EngineSession, Graph } from '../../src/engine/index.ts';
import { ModelError } from '../../src/errors.ts';
import { openComponent, type ModelComponent } from '../../src/io/diffusers.ts';
import type { AutoencoderKLConfig, CLIPTextConfig, UNet2DConditionConfig } from '../../src/io/diffusers-config.ts';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../../src/io/safetensors.ts';
import { openCheckpoint, SD1_TEXT_ENCODER_CONFIG, SD1_UNET_CONFIG, SD1_VAE_CONFIG } from '../../src/models/checkpoint.ts';
import { buildClipTextModel } from '../../src/models/clip-text.ts';
import { buildUNet } from '../../src/models/unet.ts';
import { buildVaeDecoder } from '../../src/models/vae.ts';
import type { WeightSource } from '../../src/models/weights.ts';
import { float32, int64 } from '../../src/tensor.ts';
import { ReferenceFile, assertClose } from '../support/model-reference.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'checkpoint-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const checkpointPath = join(dir, 'sd1-tiny.safetensors');
let unet: ModelComponent, vae: ModelComponent, text: ModelComponent;

/** diffusers → LDM UNet names, as the conversion script's tables (3 = layers_per_block + 1 there). */
function unetToLdm(name: string, config: UNet2DConditionConfig): string {
  const per = (config.layers_per_block as number) + 1;
  const levels = config.block_out_channels.length;
  const pairs: [string, string][] = [
    ['time_embedding.linear_1.', 'time_embed.0.'], ['time_embedding.linear_2.', 'time_embed.2.'],
    ['conv_in.', 'input_blocks.0.0.'], ['conv_norm_out.', 'out.0.'], ['conv_out.', 'out.2.'],
    ['mid_block.attentions.0.', 'middle_block.1.'], ['mid_block.resnets.0.', 'middle_block.0.'], ['mid_block.resnets.1.', 'middle_block.2.'],
  ];
  for (let i = 0; i < levels; i++) {
    for (let j = 0; j < per - 1; j++) {
      pairs.push([`down_blocks.${i}.resnets.${j}.`, `input_blocks.${per * i + j + 1}.0.`], [`down_blocks.${i}.attentions.${j}.`, `input_blocks.${per * i + j + 1}.1.`]);
    }
    for (let j = 0; j < per; j++) pairs.push([`up_blocks.${i}.resnets.${j}.`, `output_blocks.${per * i + j}.0.`], [`up_blocks.${i}.attentions.${j}.`, `output_blocks.${per * i + j}.1.`]);
    if (i < levels - 1) {
      pairs.push([`down_blocks.${i}.downsamplers.0.conv.`, `input_blocks.${per * (i + 1)}.0.op.`]);
      pairs.push([`up_blocks.${i}.upsamplers.0.`, `output_blocks.${per * i + per - 1}.${config.up_block_types[i]!.startsWith('CrossAttn') ? 2 : 1}.`]);
    }
  }
  const hit = pairs.find(([d]) => name.startsWith(d));
  assert.ok(hit, `no LDM name for ${name}`);
  let ldm = hit[1] + name.slice(hit[0].length);
  if (hit[0].includes('resnets')) {
    for (const [d, l] of [['norm1', 'in_layers.0'], ['conv1', 'in_layers.2'], ['norm2', 'out_layers.0'], ['conv2', 'out_layers.3'], ['time_emb_proj', 'emb_layers.1'], ['conv_shortcut', 'skip_connection']]) {
      ldm = ldm.replace(`.${d}.`, `.${l}.`);
    }
  }
  return ldm;
}

/** diffusers → LDM VAE names (vae_conversion_map), attention projections as 1×1 convs. */
function vaeToLdm(name: string, levels: number): string {
  let ldm = name;
  for (let i = 0; i < levels; i++) {
    ldm = ldm.replace(`encoder.down_blocks.${i}.resnets.`, `encoder.down.${i}.block.`).replace(`encoder.down_blocks.${i}.downsamplers.0.`, `encoder.down.${i}.downsample.`);
    ldm = ldm.replace(`decoder.up_blocks.${i}.resnets.`, `decoder.up.${levels - 1 - i}.block.`).replace(`decoder.up_blocks.${i}.upsamplers.0.`, `decoder.up.${levels - 1 - i}.upsample.`);
  }
  ldm = ldm.replace('mid_block.resnets.0.', 'mid.block_1.').replace('mid_block.resnets.1.', 'mid.block_2.').replace('conv_shortcut', 'nin_shortcut').replace('conv_norm_out', 'norm_out');
  return ldm.replace('mid_block.attentions.0.', 'mid.attn_1.').replace('attn_1.group_norm.', 'attn_1.norm.').replace('attn_1.to_q.', 'attn_1.q.').replace('attn_1.to_k.', 'attn_1.k.').replace('attn_1.to_v.', 'attn_1.v.').replace('attn_1.to_out.0.', 'attn_1.proj_out.');
}

before(async () => {
  if (referenceSkip()) return;
  unet = await openComponent(referencePath('diffusers/unet_sd15ish'));
  vae = await openComponent(referencePath('diffusers/vae_tiny'));
  text = await openComponent(referencePath('diffusers/text_encoder_tiny'));
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, t] of readSafetensors(unet.weightsPath).tensors) tensors[`model.diffusion_model.${unetToLdm(name, unet.config as UNet2DConditionConfig)}`] = t;
  for (const [name, t] of readSafetensors(vae.weightsPath).tensors) {
    const attention = /attentions\.0\.to_(q|k|v|out\.0)\.weight$/.test(name);
    tensors[`first_stage_model.${vaeToLdm(name, 2)}`] = attention ? { ...t, shape: [...t.shape, 1, 1] } as StoredTensor : t;
  }
  for (const [name, t] of readSafetensors(text.weightsPath).tensors) tensors[`cond_stage_model.transformer.${name}`] = t;
  // What real SD 1.x files also hold: a position_ids buffer, EMA and schedule tensors.
  tensors['cond_stage_model.transformer.text_model.embeddings.position_ids'] = int64([1, 77], Array.from({ length: 77 }, (_, i) => i));
  tensors['model_ema.decay'] = float32([], [0.9999]);
  tensors['alphas_cumprod'] = float32([1000]);
  await writeSafetensors(checkpointPath, tensors);
});

function configs(): { unet: UNet2DConditionConfig; vae: AutoencoderKLConfig; textEncoder: CLIPTextConfig } {
  return { unet: unet.config as UNet2DConditionConfig, vae: vae.config as AutoencoderKLConfig, textEncoder: text.config as CLIPTextConfig };
}

function assertSameWeights(mapped: WeightSource, folder: WeightSource, label: string): void {
  assert.deepEqual([...mapped.names()].sort(), [...folder.names()].sort(), `${label}: names`);
  for (const name of folder.names()) {
    assert.deepEqual(mapped.info(name).shape, folder.info(name).shape, `${label}: shape of ${name}`);
    assert.deepEqual(mapped.readFloat32(name), folder.readFloat32(name), `${label}: values of ${name}`);
  }
}

test('every UNet, VAE and text-encoder weight of the LDM file maps to its diffusers name, shape and value (F16 → float32)', { skip: referenceSkip() }, () => {
  const ckpt = openCheckpoint(checkpointPath, configs());
  assertSameWeights(ckpt.unetWeights, unet.openWeights(), 'unet');
  assertSameWeights(ckpt.vaeWeights, vae.openWeights(), 'vae');
  assertSameWeights(ckpt.textEncoderWeights, text.openWeights(), 'text encoder');
  ckpt.close();
});

test('the checkpoint gives the folder outputs: UNet out_t500, VAE decode, text last_hidden_state (1e-4)', { skip: referenceSkip() }, async () => {
  const ckpt = openCheckpoint(checkpointPath, configs());
  const unetRef = new ReferenceFile('diffusers/refs/unet_sd15ish_forward.safetensors');
  const gu = new Graph();
  buildUNet(gu, ckpt.unet, ckpt.unetWeights, { batch: 2, heightLatPx: 16, widthLatPx: 16 });
  const unetOut = await (await EngineSession.create(gu, { cacheDir: false })).run({ sample: unetRef.tensor('sample'), timestep: float32([2], [500, 500]), encoder_hidden_states: unetRef.tensor('encoder_hidden_states') });
  assertClose(unetOut['noise_pred'], unetRef.tensor('out_t500'), 'unet out_t500 from the checkpoint');

  const vaeRef = new ReferenceFile('diffusers/refs/vae.safetensors');
  const gv = new Graph();
  buildVaeDecoder(gv, ckpt.vae, ckpt.vaeWeights, { batch: 2, heightLatPx: 8, widthLatPx: 8 });
  const vaeOut = await (await EngineSession.create(gv, { cacheDir: false })).run({ latents: vaeRef.tensor('latent_rand') });
  assertClose(vaeOut['sample'], vaeRef.tensor('decoded_from_rand'), 'vae decoded_from_rand from the checkpoint');

  const textRef = new ReferenceFile('diffusers/refs/clip_text.safetensors');
  const gt = new Graph();
  buildClipTextModel(gt, ckpt.textEncoder, ckpt.textEncoderWeights, { batch: 2 });
  const ids = int64([2, 77], Array.from(textRef.tensor('input_ids').data, (v) => BigInt(v)));
  const textOut = await (await EngineSession.create(gt, { cacheDir: false })).run({ input_ids: ids });
  assertClose(textOut['last_hidden_state'], textRef.tensor('last_hidden_state'), 'text last_hidden_state from the checkpoint');
  ckpt.close();
});

test('the SD 1.x default configs are those of stable-diffusion-v1-5', () => {
  assert.deepEqual(SD1_UNET_CONFIG.block_out_channels, [320, 640, 1280, 1280]);
  assert.equal(SD1_UNET_CONFIG.cross_attention_dim, 768);
  assert.equal(SD1_UNET_CONFIG.attention_head_dim, 8);
  assert.deepEqual(SD1_VAE_CONFIG.block_out_channels, [128, 256, 512, 512]);
  assert.equal(SD1_VAE_CONFIG.scaling_factor, 0.18215);
  assert.equal(SD1_TEXT_ENCODER_CONFIG.hidden_size, 768);
  assert.equal(SD1_TEXT_ENCODER_CONFIG.hidden_act, 'quick_gelu');
});

test('with the SD 1.x configs the tiny checkpoint fails naming wrong-shaped weights with their expected shapes', { skip: referenceSkip() }, () => {
  const ckpt = openCheckpoint(checkpointPath);
  assert.throws(
    () => buildVaeDecoder(new Graph(), ckpt.vae, ckpt.vaeWeights, { heightLatPx: 8, widthLatPx: 8 }),
    (e: unknown) => e instanceof ModelError && /weight "decoder\.conv_in\.weight" has shape \[64, 4, 3, 3\], expected \[512, 4, 3, 3\]/.test(e.message),
  );
  ckpt.close();
});

test('an SD 2.x checkpoint, a file without SD weights and a pickle checkpoint are refused with what to use instead', async () => {
  const sd2 = join(dir, 'sd2.safetensors');
  await writeSafetensors(sd2, { 'model.diffusion_model.conv_in.weight': float32([1]), 'first_stage_model.quant_conv.weight': float32([1]), 'cond_stage_model.model.token_embedding.weight': float32([1]) });
  assert.throws(() => openCheckpoint(sd2), (e: unknown) => e instanceof ModelError && /SD 2\.x checkpoint/.test(e.message) && /diffusers folder/.test(e.message));
  const lora = join(dir, 'lora.safetensors');
  await writeSafetensors(lora, { 'lora_unet_down.weight': float32([1]) });
  assert.throws(() => openCheckpoint(lora), (e: unknown) => e instanceof ModelError && /no model\.diffusion_model\.\*, first_stage_model\.\*, cond_stage_model\.transformer\.\* weights/.test(e.message));
  assert.throws(() => openCheckpoint(join(dir, 'v1-5-pruned.ckpt')), (e: unknown) => e instanceof ModelError && /pickle checkpoint/.test(e.message) && /safetensors/.test(e.message));
});

test('BF16 weights become float32 exactly, and text-encoder keys without `text_model.` (older transformers) map too', { skip: referenceSkip() }, async () => {
  const path = join(dir, 'bf16-legacy-text.safetensors');
  const tensors: Record<string, StoredTensor> = { 'model.diffusion_model.conv_in.weight': float32([1]), 'first_stage_model.quant_conv.weight': float32([1]) };
  const folder = text.openWeights();
  for (const name of folder.names()) {
    const bits = new Uint32Array(folder.readFloat32(name).buffer);
    // bfloat16 = the high half of the float32 bits (truncation; any bf16 value converts back exactly)
    tensors[`cond_stage_model.transformer.${name.replace(/^text_model\./, '')}`] = { dtype: 'bfloat16', shape: folder.info(name).shape, data: Uint16Array.from(bits, (b) => b >>> 16) };
  }
  await writeSafetensors(path, tensors);
  const ckpt = openCheckpoint(path, configs());
  assert.deepEqual([...ckpt.textEncoderWeights.names()].sort(), [...folder.names()].sort());
  for (const name of folder.names()) {
    const expected = Float32Array.from(new Uint32Array(folder.readFloat32(name).buffer), (b) => new Float32Array(Uint32Array.of(b & 0xffff0000).buffer)[0]!);
    assert.deepEqual(ckpt.textEncoderWeights.readFloat32(name), expected, `bf16 value of ${name}`);
  }
  ckpt.close();
});
