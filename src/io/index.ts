// Public API of io/: safetensors, diffusers folders, images, atomic writes (architecture.md: only io/ decodes files).
export { writeFileAtomic } from './atomic.ts';
export type { AtomicBytes } from './atomic.ts';
export { float16ToFloat32, bfloat16ToFloat32, float32ToFloat16, halfBitsToFloatBits, floatBitsToHalfBits } from './float16.ts';
export { openSafetensors, readSafetensors, writeSafetensors, encodeSafetensors, parseSafetensorsHeader, SAFETENSORS_DTYPES } from './safetensors.ts';
export type { SafetensorsDType, SafetensorsInfo, StoredTensor, BFloat16Tensor, TensorSource } from './safetensors.ts';
export { openSafetensorsIndex } from './safetensors-index.ts';
export { readEmbeddingFile, writeEmbeddingFile, EMBEDDING_FILE_FORMS, EMBEDDING_KEY } from './embedding-file.ts';
export type { EmbeddingFile, EmbeddingFileForm } from './embedding-file.ts';
export { openStableDiffusionFolder, openComponent, findWeights, SD_FOLDER_HINT } from './diffusers.ts';
export type { StableDiffusionFolder, ModelComponent, UNetComponent, VaeComponent, TextEncoderComponent, SchedulerFolder, OpenModelOptions } from './diffusers.ts';
export { COLLAGE_MODEL_INDEX_KEY, parseCollageModelDefaults } from './model-defaults.ts';
export type { CollageModelDefaults } from './model-defaults.ts';
export { resolveModelConfig, MODEL_CLASSES } from './diffusers-config.ts';
export type { UNet2DConditionConfig, AutoencoderKLConfig, CLIPTextConfig, ModelConfig, ModelClass } from './diffusers-config.ts';
export { parsePythonJson, readPythonJson } from './python-json.ts';
export { readImage, readImageFloat, decodeImage, encodePng, pngDataUri, svgToPng, writePng, readPngText, imageToFloat, imageToUint8 } from './image.ts';
export type { RgbaImage, RgbaFloatImage, DecodeImageOptions } from './image.ts';
export { insertPngText, extractPngText, crc32 } from './png-text.ts';
