// Anti-aliased polygon rasterisation: the coverage of a polygon over each pixel, by 4×4 supersampling with the
// even-odd rule (the official demo's cut-outs are simple polygons, for which even-odd and non-zero agree).

const SUBSAMPLES = 4;

/**
 * Coverage in [0, 1] of a polygon over a width × height pixel grid.
 * @param points vertices in pixel units (x right, y down); fewer than 3 gives an empty mask
 * @returns [height*width] coverage, multiples of 1/16
 */
export function rasterizePolygon(points: readonly { x: number; y: number }[], width: number, height: number): Float32Array {
  const coverage = new Float32Array(width * height);
  if (points.length < 3) return coverage;
  const weight = 1 / (SUBSAMPLES * SUBSAMPLES);
  const crossings: number[] = [];
  for (let row = 0; row < height * SUBSAMPLES; row++) {
    const y = (row + 0.5) / SUBSAMPLES;
    crossings.length = 0;
    for (let i = 0; i < points.length; i++) {
      const a = points[i]!;
      const b = points[(i + 1) % points.length]!;
      if (a.y <= y !== b.y <= y) crossings.push(a.x + ((y - a.y) / (b.y - a.y)) * (b.x - a.x));
    }
    crossings.sort((p, q) => p - q);
    const py = Math.floor(row / SUBSAMPLES);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      // Subsample columns whose centre (c + 0.5) / 4 lies in [x0, x1).
      const c0 = Math.max(0, Math.ceil(crossings[k]! * SUBSAMPLES - 0.5));
      const c1 = Math.min(width * SUBSAMPLES, Math.ceil(crossings[k + 1]! * SUBSAMPLES - 0.5));
      for (let c = c0; c < c1; c++) {
        const p = py * width + Math.floor(c / SUBSAMPLES);
        coverage[p] = coverage[p]! + weight;
      }
    }
  }
  return coverage;
}
