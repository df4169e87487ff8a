// The zod schema of a `*.collage.json` document, version 1 (spec: shared/design/collage-format.md).
// Every check's message says what is wrong; document.ts adds where (JSON path) and the fix (FIXES below).
import { z } from 'zod';
import { SCHEDULER_IDS, type SchedulerId } from '../sampling/index.ts';

/** Scheduler ids a document may name: sampling/'s CLI ids, the one list. */
export { SCHEDULER_IDS, type SchedulerId };

/** Limits of the format table. */
export const CANVAS_MIN_PX = 64;
export const CANVAS_MAX_PX = 4096;
export const CANVAS_MULTIPLE_PX = 8;
export const SCALE_MAX = 64;
export const ATTENTION_WEIGHT_MAX = 10;
export const LAYER_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export const DEFAULT_CANVAS_PX = 512;
export const DEFAULT_BACKGROUND = '#969696';

const canvasSide = z
  .number()
  .int({ error: (i) => `${String(i.input)} is not a whole number of pixels` })
  .min(CANVAS_MIN_PX, { error: (i) => `${String(i.input)} px is below the minimum of ${CANVAS_MIN_PX}` })
  .max(CANVAS_MAX_PX, { error: (i) => `${String(i.input)} px is above the maximum of ${CANVAS_MAX_PX}` })
  .refine((v) => v % CANVAS_MULTIPLE_PX === 0, {
    error: (i) => `${String(i.input)} is not a multiple of ${CANVAS_MULTIPLE_PX}`,
  });

const nonEmptyText = z.string().refine((s) => s.trim().length > 0, { error: 'is empty' });

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: (i) => `"${String(i.input)}" is not a #rrggbb colour` });

const imagePath = z.string().refine((s) => s.trim().length > 0, { error: 'image path is empty' });

const unitInterval = (name: string): z.ZodNumber =>
  z
    .number()
    .min(0, { error: (i) => `${name} ${String(i.input)} is outside [0, 1]` })
    .max(1, { error: (i) => `${name} ${String(i.input)} is outside [0, 1]` });

const attentionWeight = z
  .number()
  .min(0, { error: (i) => `weight ${String(i.input)} is negative` })
  .max(ATTENTION_WEIGHT_MAX, { error: (i) => `weight ${String(i.input)} is above ${ATTENTION_WEIGHT_MAX}` });

export const layerSchema = z.strictObject({
  id: z
    .string()
    .refine((s) => s.length > 0, { error: 'layer id is empty' })
    .refine((s) => s.length === 0 || LAYER_ID_PATTERN.test(s), {
      error: (i) => `layer id "${String(i.input)}" has characters outside [A-Za-z0-9_-]`,
    }),
  image: imagePath,
  text: nonEmptyText,
  visible: z.boolean().optional(),
  x: z.number().optional(),
  y: z.number().optional(),
  scale: z
    .number()
    .gt(0, { error: (i) => `scale ${String(i.input)} is not above 0` })
    .max(SCALE_MAX, { error: (i) => `scale ${String(i.input)} is above ${SCALE_MAX}` })
    .optional(),
  rotation: z.number().optional(),
  noise: unitInterval('noise').optional(),
  attention: z
    .strictObject({ positive: attentionWeight.optional(), negative: attentionWeight.optional() })
    .optional(),
  invert: z.boolean().optional(),
  embedding: imagePath.optional(),
  canny: attentionWeight.optional(),
});

export const generationSchema = z.strictObject({
  seed: z.number().int().min(0).optional(),
  steps: z
    .number()
    .int({ error: (i) => `steps ${String(i.input)} is not a whole number` })
    .min(1, { error: (i) => `steps ${String(i.input)} is below 1` })
    .optional(),
  guidance: z.number().min(0).optional(),
  scheduler: z
    .enum(SCHEDULER_IDS, { error: (i) => `unknown scheduler ${JSON.stringify(i.input)}` })
    .optional(),
  strengthCap: unitInterval('strengthCap').optional(),
  model: z.string().min(1).optional(),
});

export const documentSchema = z.strictObject({
  version: z.literal(1, { error: (i) => `version ${JSON.stringify(i.input)} is not supported` }).optional(),
  width: canvasSide.optional(),
  height: canvasSide.optional(),
  background: z.union([colour, z.strictObject({ image: imagePath })]).optional(),
  prompt: nonEmptyText,
  negativePrompt: z.string().optional(),
  layers: z.array(layerSchema),
  generation: generationSchema.optional(),
});

/** The document as written in JSON, after schema validation (defaults not yet applied). */
export type CollageDocumentJson = z.infer<typeof documentSchema>;
export type CollageLayerJson = z.infer<typeof layerSchema>;

/** How to fix a bad value, by the key it sits under. */
export const FIXES: Readonly<Record<string, string>> = {
  version: 'set "version": 1',
  width: `use a multiple of ${CANVAS_MULTIPLE_PX} between ${CANVAS_MIN_PX} and ${CANVAS_MAX_PX}, e.g. 512`,
  height: `use a multiple of ${CANVAS_MULTIPLE_PX} between ${CANVAS_MIN_PX} and ${CANVAS_MAX_PX}, e.g. 512`,
  background: 'use a "#rrggbb" colour or { "image": "path/to/background.png" }',
  prompt: 'write the scene text, with {id} placeholders or each layer text verbatim',
  negativePrompt: 'use a string (or leave the key out)',
  layers: 'use a list of layers, bottom first ([] is allowed)',
  id: 'use a unique name of letters, digits, "_" or "-", e.g. "car"',
  image: 'give the path of an RGBA PNG relative to the document, or a data:image/png;base64 URI',
  text: 'describe the layer in a few words, e.g. "a red vintage car"',
  visible: 'use true or false',
  x: 'use a finite number of canvas pixels (the layer may hang over the edge)',
  y: 'use a finite number of canvas pixels (the layer may hang over the edge)',
  scale: `use a number above 0 and at most ${SCALE_MAX} (1 = source size)`,
  rotation: 'use a finite number of degrees',
  noise: 'use a strength in [0, 1] (0 keeps the pixels, 1 re-imagines), or leave it out for auto',
  attention: 'use { "positive": w+, "negative": w- }',
  positive: `use a weight in [0, ${ATTENTION_WEIGHT_MAX}], or leave it out for auto`,
  negative: `use a weight in [0, ${ATTENTION_WEIGHT_MAX}], or leave it out for auto`,
  invert: 'use true or false',
  embedding: 'give the path of an embedding file relative to the document',
  canny: `use a ControlNet scale in [0, ${ATTENTION_WEIGHT_MAX}]`,
  generation: 'use { "seed", "steps", "guidance", "scheduler", "strengthCap", "model" }',
  seed: 'use a whole number ≥ 0',
  steps: 'use a whole number of steps ≥ 1, e.g. 30',
  guidance: 'use a guidance scale ≥ 0, e.g. 7.5',
  scheduler: `use one of ${SCHEDULER_IDS.join(', ')}`,
  strengthCap: 'use a strength in [0, 1]',
  model: 'give a model folder or id',
};
