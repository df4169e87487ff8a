// The Shapes World (world.md): seeded scenes, their renders, captions and cut-out layers.
export { SEED_STREAMS, MAX_SCENE_INDEX, sceneRng, auxiliaryRng, type Rng, type SeedStream } from './rng.ts';
export {
  SHAPES,
  COLOURS,
  COLOUR_RGB,
  PATTERNS,
  GROUNDS,
  TIMES,
  SIZES,
  SIZE_SCALE,
  sampleScene,
  sampleLighting,
  objectBox,
  type Shape,
  type Colour,
  type PatternKind,
  type PatternSpec,
  type Ground,
  type TimeOfDay,
  type SizeWord,
  type Lighting,
  type SceneObject,
  type Scene,
} from './scene.ts';
export { lightRig, type LightRig } from './lighting.ts';
export {
  renderScene,
  renderSceneDetailed,
  renderBackground,
  renderObjectLayer,
  rasterizeObject,
  compositeRaster,
  type ObjectRaster,
  type ObjectLayer,
  type DetailedRender,
} from './render.ts';
export {
  captionOf,
  objectPhrase,
  settingPhrase,
  promptTemplateOf,
  captionVocabulary,
  DEFAULT_CAPTION_DROPOUT,
  NO_DROPOUT,
  type CaptionDropout,
} from './caption.ts';
export { rgbImage, toBytes, toRgbaBytes, fromBytes, type RgbImage } from './image.ts';
export { trainingExample, type TrainingExample } from './training.ts';
