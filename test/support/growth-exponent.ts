/** Least-squares slope of log time against log size: 1 = linear growth, 2 = quadratic. */
export function growthExponent(sizes: readonly number[], seconds: readonly number[]): number {
  const xs = sizes.map((n) => Math.log(n));
  const ys = seconds.map((t) => Math.log(t));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  return xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
}
