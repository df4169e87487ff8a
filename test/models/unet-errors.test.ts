// Bad UNet configs and weights: every problem is reported at once, naming the field or weight and the fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/engine/index.ts';
import { InputError, ModelError } from '../../src/errors.ts';
import { buildUNet } from '../../src/models/unet.ts';
import type { UNetBuildConfig } from '../../src/models/unet-config.ts';
import type { WeightSource } from '../../src/models/weights.ts';
import { referenceSkip } from '../support/reference.ts';
import { fixtureUNet } from '../support/unet-reference.ts';

const OPTIONS = { batch: 1, heightLatPx: 8, widthLatPx: 8 } as const;

function buildError(config: UNetBuildConfig, weights: WeightSource, options: Parameters<typeof buildUNet>[3] = OPTIONS): Error {
  try {
    buildUNet(new Graph(), config, weights, options);
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected the build to throw');
}

test('an unknown block type is a ModelError naming the field and listing the supported types', { skip: referenceSkip() }, () => {
  const { config, weights } = fixtureUNet('diffusers/unet_tiny');
  const e = buildError({ ...config, down_block_types: ['DownBlock2D', 'SimpleCrossAttnDownBlock2D'], mid_block_type: 'UNetMidBlock2DSimpleCrossAttn' }, weights);
  assert.ok(e instanceof ModelError);
  assert.match(e.message, /unsupported down block type "SimpleCrossAttnDownBlock2D"/);
  assert.match(e.message, /down_block_types\[1\]/);
  assert.match(e.message, /use one of DownBlock2D, CrossAttnDownBlock2D/);
  assert.match(e.message, /unsupported mid block type "UNetMidBlock2DSimpleCrossAttn"/);
});

test('list-length mismatches name both fields, all at once', { skip: referenceSkip() }, () => {
  const { config, weights } = fixtureUNet('diffusers/unet_tiny');
  const e = buildError({ ...config, block_out_channels: [32, 64, 64], attention_head_dim: [8, 8, 8], up_block_types: ['UpBlock2D'] }, weights);
  assert.ok(e instanceof ModelError);
  assert.match(e.message, /block_out_channels has 3 entries but down_block_types has 2/);
  assert.match(e.message, /attention_head_dim has 3 entries but down_block_types has 2/);
  assert.match(e.message, /up_block_types has 1 entries but down_block_types has 2/);
});

test('a config value we do not build (SDXL-style additions) is named with the value we need', { skip: referenceSkip() }, () => {
  const { config, weights } = fixtureUNet('diffusers/unet_tiny');
  const e = buildError({ ...config, addition_embed_type: 'text_time', resnet_time_scale_shift: 'scale_shift' }, weights);
  assert.ok(e instanceof ModelError);
  assert.match(e.message, /addition_embed_type is "text_time", which we do not build/);
  assert.match(e.message, /resnet_time_scale_shift is "scale_shift".*use "default"/);
});

test('missing, wrong-shaped and unused weights are all listed by name with the expected shape', { skip: referenceSkip() }, () => {
  const { config, weights } = fixtureUNet('diffusers/unet_tiny');
  const broken: WeightSource = {
    path: 'broken.safetensors',
    names: () => [...weights.names().filter((n) => n !== 'conv_in.weight'), 'extra.weight'],
    has: (n) => n !== 'conv_in.weight' && (n === 'extra.weight' || weights.has(n)),
    info: (n) => (n === 'extra.weight' ? { shape: [3] } : n === 'mid_block.resnets.1.conv2.bias' ? { shape: [32] } : weights.info(n)),
    readFloat32: (n) => weights.readFloat32(n),
  };
  const e = buildError(config, broken);
  assert.ok(e instanceof ModelError);
  assert.equal(e.problems.length, 3, e.message);
  assert.match(e.message, /missing weight "conv_in.weight" \(expected shape \[32, 4, 3, 3\]\)/);
  assert.match(e.message, /weight "mid_block.resnets.1.conv2.bias" has shape \[32\], expected \[64\]/);
  assert.match(e.message, /unused weight "extra.weight" \[3\]/);
  assert.match(e.message, /broken\.safetensors/);
});

test('weights of another config (unet_sd15ish under unet_tiny\'s config) fail with the mismatches named', { skip: referenceSkip() }, () => {
  const { config } = fixtureUNet('diffusers/unet_tiny');
  const { weights } = fixtureUNet('diffusers/unet_sd15ish');
  const e = buildError(config, weights);
  assert.ok(e instanceof ModelError);
  assert.match(e.message, /unused weight "down_blocks.2.attentions.0/);
  assert.match(e.message, /check that config.json belongs to these weights/);
});

test('a latent size the UNet cannot halve is an InputError with the nearest sizes', { skip: referenceSkip() }, () => {
  const { config, weights } = fixtureUNet('diffusers/unet_sd15ish');
  const e = buildError(config, weights, { batch: 1, heightLatPx: 12, widthLatPx: 16 });
  assert.ok(e instanceof InputError);
  assert.match(e.message, /heightLatPx 12 is not a positive multiple of 8.*use 8 or 16/);
});

test('an intermediate that does not exist is named', { skip: referenceSkip() }, () => {
  const { config, weights } = fixtureUNet('diffusers/unet_tiny');
  const e = buildError(config, weights, { ...OPTIONS, taps: ['mid_block.out', 'down_blocks.7.out'] });
  assert.ok(e instanceof ModelError);
  assert.match(e.message, /no intermediate named "down_blocks.7.out"/);
});
