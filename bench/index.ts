// `npm run bench [filter…]`: runs every bench/*.bench.ts (each exports `bench: Bench`) and prints one table.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { formatTable, type Bench, type BenchRow } from './table.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const rows: BenchRow[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { bench: Bench };
  console.error(`running ${mod.bench.name} …`);
  rows.push(...(await mod.bench.run()));
}
console.log(formatTable(rows));
