// Re-quotes the committed benchmark run (docs/benchmark/results.json) in the embedded model's card
// (models/embedded/README.md) without retraining; `npm run train:embedded` writes the same section when it exports.
// Usage: node --import tsx scripts/model-card-benchmark.ts [results.json] [README.md]
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { BENCHMARK_RESULTS } from '../src/train/embedded-recipe.ts';
import { withBenchmarkSection } from '../src/train/model-card.ts';

const [results = BENCHMARK_RESULTS, card = 'models/embedded/README.md'] = process.argv.slice(2);
const updated = withBenchmarkSection(readFileSync(card, 'utf8'), results);
writeFileSync(`${card}.tmp`, updated);
renameSync(`${card}.tmp`, card);
console.error(`wrote the benchmark section of ${card} from ${results}`);
