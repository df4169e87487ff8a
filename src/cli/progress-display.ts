// Progress of long jobs on the terminal: a bar per stage (stage, step/total, it/s, ETA) on stderr, or one JSON object
// per event on stdout with --json (for scripts and other programs).
import cliProgress from 'cli-progress';
import type { ProgressCallback, ProgressEvent } from '../progress.ts';

export interface ProgressDisplay {
  readonly onProgress: ProgressCallback;
  /** Stops the bar (call in finally). */
  stop(): void;
}

/** A display for the given mode; `json` prints events as JSON lines, otherwise a bar on a TTY and nothing else. */
export function createProgressDisplay(json: boolean): ProgressDisplay {
  if (json) {
    return {
      onProgress: (e: ProgressEvent) => console.log(JSON.stringify({ type: 'progress', stage: e.stage, step: e.step, total: e.total, ...(e.detail ? { detail: e.detail } : {}) })),
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: '{stage} |{bar}| {value}/{total} {detail} | ETA {eta_formatted}', hideCursor: true, stream: process.stderr, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let stage: string | undefined;
  return {
    onProgress: (e: ProgressEvent) => {
      if (e.stage !== stage) {
        if (stage !== undefined) bar.stop();
        stage = e.stage;
        bar.start(e.total, e.step, { stage: e.stage.padEnd(8), detail: e.detail ?? '' });
      } else {
        bar.setTotal(e.total);
        bar.update(e.step, { detail: e.detail ?? '' });
      }
    },
    stop: () => {
      if (stage !== undefined) bar.stop();
    },
  };
}
