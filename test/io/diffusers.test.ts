import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWeights, openComponent, openStableDiffusionFolder } from '../../src/io/diffusers.ts';
import { resolveModelConfig } from '../../src/io/diffusers-config.ts';
import { parsePythonJson } from '../../src/io/python-json.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { float32 } from '../../src/tensor.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

const skip = referenceSkip();

/** A JSON config as our resolver outputs it: nulls dropped, bookkeeping keys dropped. */
function withoutNulls(config: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (config[k] !== null && config[k] !== undefined) out[k] = config[k];
  return out;
}

function assertThrowsNaming(fn: () => Promise<unknown>, name: string, ...parts: string[]): Promise<void> {
  return assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof Error && e.name === name, `expected ${name}, got ${String(e)}`);
    for (const part of parts) assert.ok(e.message.includes(part), `message lacks ${JSON.stringify(part)}: ${e.message}`);
    return true;
  });
}

test('fixture UNet and VAE configs resolve to exactly their saved full configs', { skip }, async () => {
  for (const dir of ['diffusers/unet_tiny', 'diffusers/unet_sd15ish', 'diffusers/vae_tiny', 'diffusers-extra/unet_sd2ish']) {
    const component = await openComponent(referencePath(dir));
    const saved = JSON.parse(readFileSync(referencePath(`${dir}/config.json`), 'utf8')) as Record<string, unknown>;
    const keys = Object.keys(component.config);
    assert.deepEqual(withoutNulls(component.config as unknown as Record<string, unknown>, keys), withoutNulls(saved, keys), dir);
    // Every key diffusers saved (but its bookkeeping) is one we know.
    for (const key of Object.keys(saved)) if (!key.startsWith('_')) assert.ok(key in component.config || saved[key] === null, `${dir}: ${key}`);
  }
});

test('a diff-only CLIPTextModel config.json resolves to the values of config.full.json', { skip }, async () => {
  for (const dir of ['diffusers/text_encoder_tiny', 'diffusers-extra/text_encoder_gelu']) {
    const component = await openComponent(referencePath(dir));
    assert.equal(component.kind, 'text-encoder');
    const full = JSON.parse(readFileSync(referencePath(`${dir}/config.full.json`), 'utf8')) as Record<string, unknown>;
    const keys = Object.keys(component.config).filter((k) => k !== '_class_name');
    assert.deepEqual(withoutNulls(component.config as unknown as Record<string, unknown>, keys), withoutNulls(full, keys), dir);
    const weights = component.openWeights();
    assert.deepEqual(weights.info('text_model.embeddings.token_embedding.weight').shape, [1000, component.config.hidden_size]);
    weights.close();
  }
});

test('an empty UNet config resolves to the Stable Diffusion 1.x defaults', () => {
  const config = resolveModelConfig('UNet2DConditionModel', {}, 'config.json');
  assert.equal(config._class_name, 'UNet2DConditionModel');
  if (config._class_name !== 'UNet2DConditionModel') return;
  assert.deepEqual(config.block_out_channels, [320, 640, 1280, 1280]);
  assert.equal(config.cross_attention_dim, 1280);
  assert.equal(config.attention_head_dim, 8);
  assert.equal(config.mid_block_type, 'UNetMidBlock2DCrossAttn');
  assert.equal(config.sample_size, undefined);
});

test('python JSON with NaN, Infinity and -Infinity parses (dpmpp2m scheduler_config.json)', { skip }, async () => {
  const parsed = parsePythonJson('{"a": -Infinity, "b": [NaN, Infinity], "s": "NaN -Infinity", "c": 1}', 'x.json') as Record<string, unknown>;
  assert.equal(parsed['a'], -Infinity);
  assert.ok(Number.isNaN((parsed['b'] as number[])[0]));
  assert.equal((parsed['b'] as number[])[1], Infinity);
  assert.equal(parsed['s'], 'NaN -Infinity');
  const text = readFileSync(referencePath('diffusers/schedulers/dpmpp2m/scheduler_config.json'), 'utf8');
  assert.equal((parsePythonJson(text, 'dpmpp2m') as Record<string, unknown>)['lambda_min_clipped'], -Infinity);
});

/** A Stable Diffusion folder assembled from the fixture components (links; nothing copied into the repo). */
function assemble(root: string): void {
  writeFileSync(join(root, 'model_index.json'), JSON.stringify({
    _class_name: 'StableDiffusionPipeline', unet: ['diffusers', 'UNet2DConditionModel'], vae: ['diffusers', 'AutoencoderKL'],
    text_encoder: ['transformers', 'CLIPTextModel'], tokenizer: ['transformers', 'CLIPTokenizer'], scheduler: ['diffusers', 'DPMSolverMultistepScheduler'],
  }));
  symlinkSync(referencePath('diffusers/unet_tiny'), join(root, 'unet'));
  symlinkSync(referencePath('diffusers/vae_tiny'), join(root, 'vae'));
  symlinkSync(referencePath('diffusers/text_encoder_tiny'), join(root, 'text_encoder'));
  mkdirSync(join(root, 'tokenizer'));
  symlinkSync(referencePath('clip-bpe/vocab.json'), join(root, 'tokenizer', 'vocab.json'));
  symlinkSync(referencePath('clip-bpe/merges.txt'), join(root, 'tokenizer', 'merges.txt'));
  symlinkSync(referencePath('diffusers/schedulers/dpmpp2m'), join(root, 'scheduler'));
}

test('a Stable Diffusion folder opens with resolved configs, weights, tokenizer and scheduler', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'sd-folder-'));
  try {
    assemble(root);
    const sd = await openStableDiffusionFolder(root);
    assert.equal(sd.pipelineClass, 'StableDiffusionPipeline');
    assert.deepEqual(sd.unet.config.block_out_channels, [32, 64]);
    assert.equal(sd.vae.config.scaling_factor, 0.18215);
    assert.equal(sd.textEncoder.config.vocab_size, 1000);
    assert.equal(sd.scheduler.className, 'DPMSolverMultistepScheduler');
    assert.equal(sd.scheduler.config['lambda_min_clipped'], -Infinity);
    assert.equal(sd.tokenizerDir, join(root, 'tokenizer'));
    const weights = sd.unet.openWeights();
    assert.equal(weights.names().length, 304);
    assert.deepEqual(weights.info('conv_in.weight').shape, [32, 4, 3, 3]);
    weights.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('weights: variant files, sharded index and the only-variant fallback are found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weights-'));
  try {
    await writeSafetensors(join(dir, 'model.fp16.safetensors'), { a: float32([1]) });
    assert.equal(findWeights(dir, 'model'), join(dir, 'model.fp16.safetensors'));
    assert.equal(findWeights(dir, 'model', 'fp16'), join(dir, 'model.fp16.safetensors'));
    await writeSafetensors(join(dir, 'model.safetensors'), { a: float32([1]) });
    assert.equal(findWeights(dir, 'model'), join(dir, 'model.safetensors'));
    await writeSafetensors(join(dir, 'diffusion_pytorch_model-00001-of-00002.safetensors'), { a: float32([2], [1, 2]) });
    await writeSafetensors(join(dir, 'diffusion_pytorch_model-00002-of-00002.safetensors'), { b: float32([1], [3]) });
    writeFileSync(join(dir, 'diffusion_pytorch_model.safetensors.index.json'), JSON.stringify({
      metadata: { total_size: 12 }, weight_map: { a: 'diffusion_pytorch_model-00001-of-00002.safetensors', b: 'diffusion_pytorch_model-00002-of-00002.safetensors' },
    }));
    const indexPath = findWeights(dir, 'diffusion_pytorch_model');
    assert.equal(indexPath, join(dir, 'diffusion_pytorch_model.safetensors.index.json'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ _class_name: 'AutoencoderKL' }));
    const vae = await openComponent(dir);
    const weights = vae.openWeights();
    assert.deepEqual(weights.names(), ['a', 'b']);
    assert.deepEqual([...weights.readFloat32('a'), ...weights.readFloat32('b')], [1, 2, 3]);
    weights.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a path that is not a folder is a ModelError naming it and the expected layout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'not-folder-'));
  try {
    const file = join(dir, 'v1-5-pruned.ckpt');
    writeFileSync(file, 'x');
    await assertThrowsNaming(() => openStableDiffusionFolder(file), 'ModelError', file, 'pickle checkpoint', 'model_index.json');
    await assertThrowsNaming(() => openStableDiffusionFolder(join(dir, 'nope')), 'ModelError', join(dir, 'nope'), 'no such folder');
    await assertThrowsNaming(() => openStableDiffusionFolder(dir), 'ModelError', `no model_index.json in ${dir}`, 'unet/, vae/, text_encoder/, tokenizer/');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a config without its class key, or with a mistyped key, names the key and the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bad-config-'));
  try {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ in_channels: 4 }));
    await assertThrowsNaming(() => openComponent(dir), 'InputError', config, '"_class_name"', 'fix:');
    writeFileSync(config, JSON.stringify({ _class_name: 'UNet2DConditionModel', block_out_channels: '320', layers_per_block: 2.5 }));
    await assertThrowsNaming(() => openComponent(dir), 'InputError', '2 problems', `${config} → block_out_channels`, `${config} → layers_per_block`, 'fix:');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pickle-only weights are refused with the conversion to safetensors as the fix', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pickle-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ _class_name: 'UNet2DConditionModel' }));
    writeFileSync(join(dir, 'diffusion_pytorch_model.bin'), 'x');
    await assertThrowsNaming(() => openComponent(dir), 'ModelError', dir, 'diffusion_pytorch_model.bin', 'safe_serialization=True');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
