// The bench table: every benchmark returns rows; a ratio is always against a baseline measured in the same process.

export interface BenchRow {
  /** What was measured, e.g. "MatMul 1024³ (engine)". */
  readonly name: string;
  /** The measured value. */
  readonly value: number;
  /** Its unit, e.g. "GFLOP/s", "ms", "MB". */
  readonly unit: string;
  /** value / baseline value, where a baseline was measured in this process. */
  readonly ratio?: number;
  /** What the ratio is against, and the target, e.g. "vs bare ORT (target ≥ 0.95)". */
  readonly note?: string;
}

export interface Bench {
  readonly name: string;
  run(): Promise<readonly BenchRow[]>;
}

/** The middle value (the upper one of an even count), as every bench reports its repeats. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median of repeated timings in milliseconds, after `warmup` untimed runs. */
export async function timeMs(fn: () => unknown, repeats = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export function formatTable(rows: readonly BenchRow[]): string {
  const lines = ['| benchmark | value | unit | ratio | note |', '|---|---:|---|---:|---|'];
  for (const r of rows) {
    const v = Math.abs(r.value) >= 100 ? r.value.toFixed(0) : r.value.toPrecision(3);
    lines.push(`| ${r.name} | ${v} | ${r.unit} | ${r.ratio === undefined ? '' : r.ratio < 0.01 ? r.ratio.toPrecision(2) : r.ratio.toFixed(3)} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}
