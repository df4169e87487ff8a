// The claims section of report.md (claims.ts computes, this writes): one table per claim with the mean difference,
// its 95% paired-bootstrap interval and the verdict, every number shown whether the claim holds or not.
import type { Claim, SkippedClaim } from './claims.ts';
import { METRIC_INFO } from './metrics.ts';

const TITLES = {
  'spatial-vs-txt2img': 'a. Spatial fidelity: full method vs text-to-image',
  'harmonization-vs-sdedit': 'b. Harmonization at equal spatial fidelity: full method vs SDEdit',
  'inversion-appearance': 'c. Appearance fidelity: textual inversion at high noise',
} as const;

function signed(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const digits = Math.abs(x) < 0.01 && x !== 0 ? 4 : 3;
  return `${x > 0 ? '+' : ''}${x.toFixed(digits)}`;
}

function claimMarkdown(claim: Claim): string[] {
  const n = claim.comparisons[0]?.n ?? 0;
  const baseline =
    claim.id === 'harmonization-vs-sdedit'
      ? `SDEdit (${claim.baseline}) interpolated linearly in IoU at \`${claim.method}\`'s IoU, within each resample`
      : `\`${claim.baseline}\``;
  return [
    `### ${TITLES[claim.id]}: **${claim.verdict}**`,
    '',
    `Claim: ${claim.statement}. Difference = \`${claim.method}\` − ${baseline}; ${n} paired cases.`,
    '',
    '| metric | better | difference | 95% interval | verdict |',
    '|---|---|---:|---:|---|',
    ...claim.comparisons.map(
      (c) =>
        `| ${METRIC_INFO[c.metric].label} | ${c.better === 'higher' ? '↑ (> 0)' : '↓ (< 0)'} | ${signed(c.difference)} | [${signed(c.lo)}, ${signed(c.hi)}] | ${c.verdict} |`,
    ),
    '',
    ...claim.notes.map((note) => `- ${note}`),
    ...(claim.notes.length > 0 ? [''] : []),
  ];
}

/** The "## Claims" section: every claim evaluated, then the ones whose methods were not in the run. */
export function claimsMarkdown(
  claims: readonly Claim[],
  skipped: readonly SkippedClaim[],
  resamples: number,
): string {
  return [
    '## Claims',
    '',
    `Paired bootstrap: ${resamples} resamples of the cases, the same resample for every method of a claim; 95% percentile intervals. ` +
      'Verdict: **holds** when the interval excludes 0 on the claimed side, **fails** when it excludes 0 on the other side, else **not shown**. ' +
      "A claim's verdict is its first metric's; the others are reported beside it.",
    '',
    ...claims.flatMap(claimMarkdown),
    ...(skipped.length > 0
      ? [
          'Not evaluated (methods missing from the run):',
          '',
          ...skipped.map((s) => `- ${TITLES[s.id]}: ${s.reason}`),
          '',
        ]
      : []),
  ].join('\n');
}
