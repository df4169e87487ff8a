// Diffusers model folders (architecture.md "Weights are the ecosystem's"): a Stable Diffusion folder with
// model_index.json and unet/, vae/, text_encoder/, tokenizer/, scheduler/, or one component folder (config.json +
// weights). Configs are resolved with library defaults (diffusers-config.ts); weights open lazily as a TensorSource.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, ModelError } from '../errors.ts';
import { MODEL_CLASSES, resolveModelConfig, type AutoencoderKLConfig, type CLIPTextConfig, type ModelClass, type UNet2DConditionConfig } from './diffusers-config.ts';
import { COLLAGE_MODEL_INDEX_KEY, parseCollageModelDefaults, type CollageModelDefaults } from './model-defaults.ts';
import { readPythonJson } from './python-json.ts';
import { openSafetensors, type TensorSource } from './safetensors.ts';
import { openSafetensorsIndex } from './safetensors-index.ts';

export const SD_FOLDER_HINT = 'expected a diffusers Stable Diffusion folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/)';
const PICKLE_WEIGHTS = /\.(bin|ckpt|pt|pth|pkl)$/;

interface ComponentBase {
  /** The component folder. */
  readonly dir: string;
  /** The weights file chosen (a .safetensors or a .safetensors.index.json). */
  readonly weightsPath: string;
  /** Opens the weights (header only; tensors are read on demand). Close it when done. */
  openWeights(): TensorSource;
}
export interface UNetComponent extends ComponentBase {
  readonly kind: 'unet';
  readonly config: UNet2DConditionConfig;
}
export interface VaeComponent extends ComponentBase {
  readonly kind: 'vae';
  readonly config: AutoencoderKLConfig;
}
export interface TextEncoderComponent extends ComponentBase {
  readonly kind: 'text-encoder';
  readonly config: CLIPTextConfig;
}
/** One model component, discriminated on `kind`. */
export type ModelComponent = UNetComponent | VaeComponent | TextEncoderComponent;

export interface SchedulerFolder {
  readonly dir: string;
  readonly className: string;
  /** scheduler_config.json as written (NaN/Infinity parsed); sampling/ resolves it with its own defaults. */
  readonly config: Readonly<Record<string, unknown>>;
}

export interface StableDiffusionFolder {
  readonly dir: string;
  /** model_index.json's `_class_name`, e.g. "StableDiffusionPipeline". */
  readonly pipelineClass: string;
  readonly unet: UNetComponent;
  readonly vae: VaeComponent;
  readonly textEncoder: TextEncoderComponent;
  /** Folder with vocab.json + merges.txt (text/ ClipTokenizer.fromFolder reads it). */
  readonly tokenizerDir: string;
  readonly scheduler: SchedulerFolder;
  /** Our per-model defaults from model_index.json's "_collage_diffusion" key ({} when absent). */
  readonly collageDefaults: CollageModelDefaults;
}

export interface OpenModelOptions {
  /** Weights variant, as diffusers' `variant=`: 'fp16' picks `*.fp16.safetensors`. @default plain files, else the only variant present */
  readonly variant?: string;
}

function assertFolder(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new ModelError({ what: 'no such folder', where: dir, fix: `check the path: ${SD_FOLDER_HINT}` });
  }
  if (!isDir) {
    const pickled = PICKLE_WEIGHTS.test(dir);
    throw new ModelError({
      what: pickled ? 'is a pickle checkpoint file, not a folder' : 'is a file, not a folder',
      where: dir,
      fix: pickled ? `convert it to a diffusers folder with safetensors weights; ${SD_FOLDER_HINT}` : SD_FOLDER_HINT,
    });
  }
}

async function readObject(path: string): Promise<Record<string, unknown>> {
  const parsed = await readPythonJson(path);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError({ what: 'is not a JSON object', where: path, fix: 're-download the model folder' });
  }
  return parsed as Record<string, unknown>;
}

/** Picks the weights file of a component folder: safetensors (single or sharded), variant-aware. */
export function findWeights(dir: string, stem: 'diffusion_pytorch_model' | 'model', variant?: string): string {
  const files = readdirSync(dir);
  const names = (v: string | undefined): string[] => {
    const infix = v ? `.${v}` : '';
    return [`${stem}${infix}.safetensors`, `${stem}.safetensors.index${infix}.json`, `${stem}${infix}.safetensors.index.json`];
  };
  const wanted = variant ? names(variant) : names(undefined);
  const found = wanted.find((n) => files.includes(n));
  if (found) return join(dir, found);
  if (!variant) {
    // Only a variant present (e.g. just model.fp16.safetensors): use it, as there is no other choice.
    const variants = files.filter((f) => f.startsWith(`${stem}.`) && f.endsWith('.safetensors') && f !== `${stem}.safetensors`);
    if (variants.length === 1) return join(dir, variants[0]!);
  }
  const pickles = files.filter((f) => PICKLE_WEIGHTS.test(f));
  if (pickles.length > 0) {
    throw new ModelError({
      what: `only pickle weights (${pickles.join(', ')}): they can run arbitrary code and are not read`,
      where: dir,
      fix: 'convert them to safetensors (diffusers/transformers: load, then save_pretrained(dir, safe_serialization=True))',
    });
  }
  throw new ModelError({
    what: `no ${wanted[0]} (or sharded ${stem}.safetensors.index.json) among ${files.length} files`,
    where: dir,
    fix: variant ? `download the ${variant} variant, or open without a variant` : 'download the weights into the folder',
  });
}

function classOf(raw: Record<string, unknown>, path: string, expected?: string): ModelClass {
  const archs = raw['architectures'];
  const name = raw['_class_name'] ?? (Array.isArray(archs) ? archs[0] : undefined) ?? expected;
  if (name === undefined) {
    throw new InputError({ what: 'missing key "_class_name" (and no "architectures"): cannot tell which model this is', where: path, fix: `add "_class_name": one of ${MODEL_CLASSES.join(', ')}` });
  }
  if (!(MODEL_CLASSES as readonly unknown[]).includes(name)) {
    throw new ModelError({ what: `model class ${JSON.stringify(name)} is not supported`, where: path, fix: `use a folder of one of ${MODEL_CLASSES.join(', ')}` });
  }
  return name as ModelClass;
}

/**
 * Opens one component folder (config.json + weights), e.g. `sd15/unet` or a fixture such as `unet_tiny/`.
 * @param expectedClass the class model_index.json names, used when config.json has no `_class_name`
 * @throws ModelError for a missing folder/config/weights or pickle weights; InputError for a bad config key
 */
export async function openComponent(dir: string, options: OpenModelOptions = {}, expectedClass?: string): Promise<ModelComponent> {
  assertFolder(dir);
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) {
    const hint = existsSync(join(dir, 'model_index.json')) ? 'this is a whole pipeline folder: open it with openStableDiffusionFolder' : 'a component folder holds config.json and its weights';
    throw new ModelError({ what: 'no config.json', where: dir, fix: hint });
  }
  const raw = await readObject(configPath);
  const className = classOf(raw, configPath, expectedClass);
  const config = resolveModelConfig(className, raw, configPath);
  const stem = className === 'CLIPTextModel' || className === 'CLIPTextModelWithProjection' ? 'model' : 'diffusion_pytorch_model';
  const weightsPath = findWeights(dir, stem, options.variant);
  const openWeights = (): TensorSource => (weightsPath.endsWith('.json') ? openSafetensorsIndex(weightsPath) : openSafetensors(weightsPath));
  switch (config._class_name) {
    case 'UNet2DConditionModel':
      return { kind: 'unet', dir, config, weightsPath, openWeights };
    case 'AutoencoderKL':
      return { kind: 'vae', dir, config, weightsPath, openWeights };
    case 'CLIPTextModel':
    case 'CLIPTextModelWithProjection':
      return { kind: 'text-encoder', dir, config, weightsPath, openWeights };
  }
}

async function openExpected<K extends ModelComponent['kind']>(
  root: string,
  name: string,
  kind: K,
  index: Record<string, unknown>,
  options: OpenModelOptions,
): Promise<Extract<ModelComponent, { kind: K }>> {
  const entry = index[name];
  const expectedClass = Array.isArray(entry) && typeof entry[1] === 'string' ? entry[1] : undefined;
  const dir = join(root, name);
  if (!existsSync(dir)) {
    throw new ModelError({ what: `no ${name}/ folder`, where: root, fix: SD_FOLDER_HINT });
  }
  const component = await openComponent(dir, options, expectedClass);
  if (component.kind !== kind) {
    throw new ModelError({ what: `${name}/ holds a ${component.config._class_name}, expected a ${kind}`, where: join(dir, 'config.json'), fix: 'repair model_index.json or the folder layout' });
  }
  return component as Extract<ModelComponent, { kind: K }>;
}

/**
 * Opens a diffusers Stable Diffusion folder: model_index.json, each component's config resolved with the library
 * defaults, weights located (plain, variant or sharded), tokenizer and scheduler folders.
 * @example const sd = await openStableDiffusionFolder('models/sd15'); sd.unet.config.block_out_channels // [320, 640, 1280, 1280]
 * @throws ModelError "no model_index.json in X: expected a diffusers Stable Diffusion folder (…)" for a wrong folder
 */
export async function openStableDiffusionFolder(dir: string, options: OpenModelOptions = {}): Promise<StableDiffusionFolder> {
  assertFolder(dir);
  const indexPath = join(dir, 'model_index.json');
  if (!existsSync(indexPath)) {
    const single = existsSync(join(dir, 'config.json')) ? ' (it looks like one component: open it with openComponent)' : '';
    throw new ModelError({ what: `no model_index.json in ${dir}: ${SD_FOLDER_HINT}${single}`, where: dir, fix: 'pass the folder that contains model_index.json' });
  }
  const index = await readObject(indexPath);
  const pipelineClass = typeof index['_class_name'] === 'string' ? index['_class_name'] : 'StableDiffusionPipeline';
  const collageDefaults = parseCollageModelDefaults(index[COLLAGE_MODEL_INDEX_KEY], indexPath);
  const unet = await openExpected(dir, 'unet', 'unet', index, options);
  const vae = await openExpected(dir, 'vae', 'vae', index, options);
  const textEncoder = await openExpected(dir, 'text_encoder', 'text-encoder', index, options);
  const tokenizerDir = join(dir, 'tokenizer');
  for (const file of ['vocab.json', 'merges.txt']) {
    if (!existsSync(join(tokenizerDir, file))) throw new ModelError({ what: `no tokenizer/${file}`, where: dir, fix: SD_FOLDER_HINT });
  }
  const schedulerDir = join(dir, 'scheduler');
  const schedulerPath = join(schedulerDir, 'scheduler_config.json');
  if (!existsSync(schedulerPath)) throw new ModelError({ what: 'no scheduler/scheduler_config.json', where: dir, fix: SD_FOLDER_HINT });
  const schedulerConfig = await readObject(schedulerPath);
  const className = schedulerConfig['_class_name'];
  if (typeof className !== 'string') {
    throw new InputError({ what: 'missing key "_class_name"', where: schedulerPath, fix: 'add the scheduler class, e.g. "_class_name": "PNDMScheduler"' });
  }
  return { dir, pipelineClass, unet, vae, textEncoder, tokenizerDir, scheduler: { dir: schedulerDir, className, config: schedulerConfig }, collageDefaults };
}
