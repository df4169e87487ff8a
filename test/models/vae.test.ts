// AutoencoderKL against diffusers 0.27: every captured encoder/decoder tensor of diffusers/refs/vae, the gradients of
// diffusers-extra/refs/vae_grad, the old attention key names, and config errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EngineSession, Graph, grad, gradName } from '../../src/engine/index.ts';
import { ModelError } from '../../src/errors.ts';
import { resolveModelConfig, type AutoencoderKLConfig } from '../../src/io/diffusers-config.ts';
import { openSafetensors } from '../../src/io/safetensors.ts';
import { buildVaeDecoder, buildVaeEncoder, vaeScaleFactor } from '../../src/models/vae.ts';
import type { WeightSource } from '../../src/models/weights.ts';
import { float32 } from '../../src/tensor.ts';
import { ReferenceFile, assertClose, assertCloseRelative } from '../support/model-reference.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

function vaeConfig(): AutoencoderKLConfig {
  const raw = JSON.parse(readFileSync(referencePath('diffusers/vae_tiny/config.json'), 'utf8')) as Record<string, unknown>;
  return resolveModelConfig('AutoencoderKL', raw, 'vae_tiny/config.json') as AutoencoderKLConfig;
}
const vaeWeights = (): WeightSource => openSafetensors(referencePath('diffusers/vae_tiny/diffusion_pytorch_model.safetensors'));

const ENCODER_TAPS = ['encoder.down_blocks.0.out', 'encoder.down_blocks.1.out', 'encoder.mid_block.out', 'encoder.out', 'quant_conv.out'];
const DECODER_TAPS = ['post_quant_conv.out', 'decoder.conv_in.out', 'decoder.mid_block.out', 'decoder.up_blocks.0.out', 'decoder.up_blocks.1.out', 'decoder.out'];

test('the VAE scale factor is 2^(levels − 1)', { skip: referenceSkip() }, () => {
  assert.equal(vaeScaleFactor(vaeConfig()), 2);
  assert.equal(vaeScaleFactor({ ...vaeConfig(), block_out_channels: [128, 256, 512, 512] }), 8);
});

test('the encoder matches diffusers: every captured block output, mean, logvar, std, var (1e-4)', { skip: referenceSkip() }, async (t) => {
  const ref = new ReferenceFile('diffusers/refs/vae.safetensors');
  const g = new Graph();
  buildVaeEncoder(g, vaeConfig(), vaeWeights(), { batch: 2, heightPx: 16, widthPx: 16, sample: true, taps: ENCODER_TAPS });
  const session = await EngineSession.create(g, { cacheDir: false });
  const noise = float32([2, 4, 8, 8], Float32Array.from({ length: 512 }, (_, i) => Math.sin(i)));
  const out = await session.run({ image: ref.tensor('image'), noise });
  for (const tap of ENCODER_TAPS) assertClose(out[tap], ref.tensor(`enc.${tap}`), tap);
  let worst = 0;
  for (const name of ['latent_mean', 'latent_logvar', 'latent_std', 'latent_var']) worst = Math.max(worst, assertClose(out[name], ref.tensor(name), name));
  t.diagnostic(`latent max-abs diff ${worst}`);
  // The sample is mean + std·noise for the given noise.
  const [mean, std, sample] = [ref.tensor('latent_mean').data, ref.tensor('latent_std').data, out['latent_sample']!.data as Float32Array];
  for (let i = 0; i < 512; i++) assert.ok(Math.abs(sample[i]! - (mean[i]! + std[i]! * noise.data[i]!)) <= 1e-4, `latent_sample[${i}]`);
});

test('the decoder matches diffusers on the latent mean (every captured tensor) and on random latents (1e-4)', { skip: referenceSkip() }, async (t) => {
  const ref = new ReferenceFile('diffusers/refs/vae.safetensors');
  const g = new Graph();
  buildVaeDecoder(g, vaeConfig(), vaeWeights(), { batch: 2, heightLatPx: 8, widthLatPx: 8, taps: DECODER_TAPS });
  const session = await EngineSession.create(g, { cacheDir: false });
  const fromMean = await session.run({ latents: ref.tensor('latent_mean') });
  for (const tap of DECODER_TAPS) assertClose(fromMean[tap], ref.tensor(`dec.${tap}`), tap);
  assertClose(fromMean['sample'], ref.tensor('decoded_from_mean'), 'decoded_from_mean');
  const fromRand = await session.run({ latents: ref.tensor('latent_rand') });
  t.diagnostic(`decoded_from_rand max-abs diff ${assertClose(fromRand['sample'], ref.tensor('decoded_from_rand'), 'decoded_from_rand')}`);
});

test('decode and encode gradients match torch autograd (vae_grad, 1e-4 of absmax)', { skip: referenceSkip() }, async (t) => {
  const ref = new ReferenceFile('diffusers-extra/refs/vae_grad.safetensors');
  const config = vaeConfig();
  const dec = new Graph();
  const built = buildVaeDecoder(dec, config, vaeWeights(), { batch: 2, heightLatPx: 8, widthLatPx: 8 });
  const target = dec.input('decode_target', 'float32', [2, 3, 16, 16]);
  const diff = dec.sub(built.sample, target);
  const decodeLoss = dec.reduceMean(dec.mul(diff, diff), [0, 1, 2, 3]);
  const decSession = await EngineSession.create(grad(dec, decodeLoss, [built.latents]), { cacheDir: false });
  const decOut = await decSession.run({ latents: ref.tensor('z'), decode_target: ref.tensor('decode_target') });
  assertClose(decOut['sample'], ref.tensor('decoded'), 'decoded');
  const relZ = assertCloseRelative(decOut[gradName(built.latents)], ref.tensor('grad_z'), 'grad_z');

  const enc = new Graph();
  const encoded = buildVaeEncoder(enc, config, vaeWeights(), { batch: 2, heightPx: 16, widthPx: 16 });
  const weightsR = enc.input('encode_loss_weights_R', 'float32', [2, 4, 8, 8]);
  const encodeLoss = enc.reduceMean(enc.mul(encoded.mean, weightsR), [0, 1, 2, 3]);
  const encSession = await EngineSession.create(grad(enc, encodeLoss, [encoded.image]), { cacheDir: false });
  const encOut = await encSession.run({ image: ref.tensor('image'), encode_loss_weights_R: ref.tensor('encode_loss_weights_R') });
  const relImage = assertCloseRelative(encOut[gradName(encoded.image)], ref.tensor('grad_image'), 'grad_image');
  t.diagnostic(`grad_z ${relZ.toExponential(2)}, grad_image ${relImage.toExponential(2)} of absmax`);
});

/** The fixture weights under the old attention names (query/key/value/proj_attn), as old checkpoints store them. */
function oldNames(source: WeightSource): WeightSource {
  const rename: Record<string, string> = { to_q: 'query', to_k: 'key', to_v: 'value', 'to_out.0': 'proj_attn' };
  const toOld = (n: string): string => n.replace(/\.attentions\.0\.(to_q|to_k|to_v|to_out\.0)\./, (_, k: string) => `.attentions.0.${rename[k]}.`);
  const fromOld = new Map(source.names().map((n) => [toOld(n), n]));
  const real = (n: string): string => fromOld.get(n) ?? `missing:${n}`;
  return {
    path: `${source.path} (old attention names)`,
    names: () => [...fromOld.keys()],
    has: (n) => fromOld.has(n),
    info: (n) => source.info(real(n)),
    readFloat32: (n) => source.readFloat32(real(n)),
  };
}

test('old attention key names (query/key/value/proj_attn) load and decode identically', { skip: referenceSkip() }, async () => {
  const ref = new ReferenceFile('diffusers/refs/vae.safetensors');
  const g = new Graph();
  buildVaeDecoder(g, vaeConfig(), oldNames(vaeWeights()), { batch: 2, heightLatPx: 8, widthLatPx: 8 });
  const out = await (await EngineSession.create(g, { cacheDir: false })).run({ latents: ref.tensor('latent_rand') });
  assertClose(out['sample'], ref.tensor('decoded_from_rand'), 'decoded_from_rand (old names)');
});

test('an unknown block type and mismatched list lengths are named with the supported types and both fields', { skip: referenceSkip() }, () => {
  const bad = { ...vaeConfig(), down_block_types: ['DownEncoderBlock2D', 'AttnDownEncoderBlock2D'], up_block_types: ['UpDecoderBlock2D'] };
  assert.throws(
    () => buildVaeDecoder(new Graph(), bad, vaeWeights(), { heightLatPx: 8, widthLatPx: 8 }),
    (e: unknown) =>
      e instanceof ModelError &&
      /down_block_types\[1\]: unsupported block type "AttnDownEncoderBlock2D".*use one of DownEncoderBlock2D/.test(e.message) &&
      /up_block_types has 1 entries but block_out_channels has 2/.test(e.message),
  );
});

test('a missing weight is named with its expected shape', { skip: referenceSkip() }, () => {
  const source = vaeWeights();
  const without: WeightSource = { ...source, path: source.path, names: () => source.names().filter((n) => n !== 'decoder.conv_out.weight'), has: (n) => n !== 'decoder.conv_out.weight' && source.has(n), info: (n) => source.info(n), readFloat32: (n) => source.readFloat32(n) };
  assert.throws(
    () => buildVaeDecoder(new Graph(), vaeConfig(), without, { heightLatPx: 8, widthLatPx: 8 }),
    (e: unknown) => e instanceof ModelError && /missing weight "decoder\.conv_out\.weight" \(expected shape \[3, 32, 3, 3\]\)/.test(e.message),
  );
});

test('an image size that is not a multiple of the scale factor is refused before building', { skip: referenceSkip() }, () => {
  assert.throws(() => buildVaeEncoder(new Graph(), vaeConfig(), vaeWeights(), { heightPx: 15, widthPx: 16 }), /size 15×16 px is not a multiple of 2/);
});
