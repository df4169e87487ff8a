// Training examples of the embedded model (world.md): scene `index` of the training stream, rendered, with a
// caption whose words are dropped at random (10% empty), all drawn from that scene's own generator.
import { captionOf, DEFAULT_CAPTION_DROPOUT, type CaptionDropout } from './caption.ts';
import type { RgbImage } from './image.ts';
import { renderScene } from './render.ts';
import { sceneRng } from './rng.ts';
import { sampleScene, type Scene } from './scene.ts';

export interface TrainingExample {
  readonly index: number;
  readonly scene: Scene;
  /** [sizePx, sizePx, 3] RGB in [0, 1]. */
  readonly image: RgbImage;
  /** Caption with dropout; '' for the unconditional (classifier-free guidance) examples. */
  readonly caption: string;
}

/**
 * Training example `index`: the same index always gives the same image and caption (the dropout draws follow the
 * scene's draws on the same 'train' generator), and no index ever gives an evaluation scene (world/rng.ts).
 * @param sizePx canvas side, px @default 128
 */
export function trainingExample(
  index: number,
  sizePx = 128,
  dropout: CaptionDropout = DEFAULT_CAPTION_DROPOUT,
): TrainingExample {
  const rng = sceneRng('train', index);
  const scene = sampleScene(rng);
  return { index, scene, image: renderScene(scene, sizePx), caption: captionOf(scene, rng, dropout) };
}
