/**
 * @file Stable Diffusion's models as engine graphs, built from diffusers configs and weights by full diffusers name:
 * CLIPTextModel, UNet2DConditionModel (with the collage bias on every cross-attention), AutoencoderKL, single-file
 * SD 1.x checkpoints, and the `StableDiffusion` object that loads a model once and runs its graphs.
 *
 * @example
 * import { StableDiffusion } from './models/index.ts';
 * const sd = await StableDiffusion.load('models/stable-diffusion-v1-5');
 * const tokenizer = await sd.tokenizer();
 * const ids = int64([1, 77], tokenizer.tokenize('a red car').ids);
 * const { promptEmbeds } = await sd.encodeText(ids);                                    // [1, 77, 768]
 * const eps = await sd.unet({ sample: latents, timestep: 981, encoderHiddenStates: promptEmbeds }); // [1, 4, 64, 64]
 * const image = await sd.vaeDecode(finalLatents); // finalLatents = latents / sd.scalingFactor; [1, 3, 512, 512]
 * await sd.release();
 */
export { StableDiffusion, SUPPORTED_PIPELINES, type StableDiffusionOptions, type ModelPart, type UNetCall, type UNetCollageBias, type VaeEncoding } from './stable-diffusion.ts';
export { buildClipTextModel, clipTextConfigProblems, CLIP_ACTIVATIONS, CLIP_TEXT_INPUTS, type ClipTextInput, type ClipTextOptions, type ClipTextOutputs } from './clip-text.ts';
export { buildVaeEncoder, buildVaeDecoder, checkVaeConfig, vaeConfigProblems, vaeScaleFactor, VAE_DOWN_BLOCK_TYPES, VAE_UP_BLOCK_TYPES, type VaeEncoderOptions, type VaeDecoderOptions, type VaeEncoderOutputs, type VaeDecoderOutputs } from './vae.ts';
export { openCheckpoint, SD1_UNET_CONFIG, SD1_VAE_CONFIG, SD1_TEXT_ENCODER_CONFIG, type CheckpointConfigs, type StableDiffusionCheckpoint } from './checkpoint.ts';
export { nativeImageSizePx, readNativeImageSizePx } from './native-size.ts';
export { ModelWeights, type WeightSource, type ModelWeightsOptions } from './weights.ts';
export { BuildContext, type BuildContextOptions } from './build-context.ts';
export { buildUNet, UNET_INPUTS, UNET_OUTPUT, type UNetBuildOptions, type UNetValues } from './unet.ts';
export { checkUNetConfig, SUPPORTED_DOWN_BLOCKS, SUPPORTED_UP_BLOCKS, SUPPORTED_MID_BLOCKS, type UNetBuildConfig } from './unet-config.ts';
export { COLLAGE_SCALE_INPUT, LOGIT_BIAS_INPUT, collageCoefficientsInputName } from './attention.ts';
