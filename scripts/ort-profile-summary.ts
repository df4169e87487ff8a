// Sums an ORT profile (written by any session run with COLLAGE_ORT_PROFILE=prefix) by operator and by node, for the
// last model run in it: where a graph's time goes.
// Usage: node --import tsx scripts/ort-profile-summary.ts prefix_<date>.json [top nodes, default 30]
import { readFileSync } from 'node:fs';

interface ProfileEvent {
  readonly cat: string;
  readonly name: string;
  readonly ts: number;
  readonly dur: number;
  readonly args?: { readonly op_name?: string };
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --import tsx scripts/ort-profile-summary.ts <profile.json> [top nodes]');
  process.exit(2);
}
const events = JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[];
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
const last = runs.at(-1);
if (!last) {
  console.error(`${file}: no model_run in this profile (was the session run before release?)`);
  process.exit(1);
}
const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= last.ts && e.ts <= last.ts + last.dur);
const byOp = new Map<string, { ms: number; count: number }>();
const byNode = new Map<string, number>();
let totalMs = 0;
for (const n of nodes) {
  const op = n.args?.op_name ?? '?';
  const entry = byOp.get(op) ?? { ms: 0, count: 0 };
  entry.ms += n.dur / 1000;
  entry.count += 1;
  byOp.set(op, entry);
  byNode.set(n.name, (byNode.get(n.name) ?? 0) + n.dur / 1000);
  totalMs += n.dur / 1000;
}
console.log(`runs (s): ${runs.map((r) => (r.dur / 1e6).toFixed(2)).join(', ')}; last run: ${(last.dur / 1000).toFixed(0)} ms, ${totalMs.toFixed(0)} ms in kernels`);
console.log('\n| operator | ms | nodes | share |\n|---|---:|---:|---:|');
for (const [op, { ms, count }] of [...byOp].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`| ${op} | ${ms.toFixed(0)} | ${count} | ${((100 * ms) / totalMs).toFixed(1)}% |`);
}
console.log('\n| node | ms |\n|---|---:|');
for (const [name, ms] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 30))) {
  console.log(`| ${name.replace(/_kernel_time$/, '')} | ${ms.toFixed(1)} |`);
}
