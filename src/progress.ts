// The one progress event type of every long job (architecture.md): the CLI draws a bar, the server sends events.
// Leaf module: imports nothing.

export const PROGRESS_STAGES = ['load', 'build', 'invert', 'encode', 'denoise', 'decode', 'train', 'eval', 'write'] as const;
export type ProgressStage = (typeof PROGRESS_STAGES)[number];

export interface ProgressEvent {
  readonly stage: ProgressStage;
  readonly step: number;
  readonly total: number;
  /** Free text, e.g. the layer being inverted or the current loss. */
  readonly detail?: string;
  /** Optional cheap preview, RGBA straight alpha, HWC. */
  readonly preview?: { readonly width: number; readonly height: number; readonly data: Uint8Array };
}

export type ProgressCallback = (event: ProgressEvent) => void;
