// Public API of method/: the three mechanisms of Collage Diffusion and the pipeline that combines them.
export { generate, regenerate, generateFromPlan, checkModelCanDoSize, type CollageInput, type GenerateResult } from './pipeline.ts';
export { DEFAULT_GENERATE_OPTIONS, MAX_VARIANTS, resolveGenerateOptions, type GenerateOptions, type ResolvedGenerateOptions } from './options.ts';
export { BIAS_SCHEDULES, attentionBiasFeed, biasScale, type AttentionBiasFeed, type BiasSchedule } from './attention-bias.ts';
export { NoiseControl, heldFraction } from './noise-control.ts';
export { imageToTensor, tensorToImages } from './image-tensor.ts';
export { regenerationPlan } from './regenerate.ts';
export { PARAMETERS_KEY, COLLAGE_KEY, parametersText, resultPngText } from './record.ts';
export { invertLayers, invertLayer, inversionTargets, inversionStreams, learnedToken, type InversionStepObserver } from './inversion.ts';
export { InversionProblem, type InversionTarget } from './inversion-problem.ts';
export { evaluationSet, evaluationLoss, type EvaluationSet } from './inversion-eval.ts';
export { DEFAULT_INVERSION_OPTIONS, INVERSION_INITS, resolveInversionOptions, type InversionModelDefaults, type InversionOptions, type InversionInit, type InversionSettings, type ResolvedInversionOptions } from './inversion-options.ts';
export { encodePromptWithTokens, encodeEmbeds, embedTokens, tokenEmbeddingTable } from './prompt-embeddings.ts';
export { defaultEmbeddingCacheDir } from './embedding-cache.ts';
