/**
 * The order targets are measured in, per round: forwards in odd rounds, backwards in even ones.
 * Position matters on this machine: in an A/B of two builds under wrk, whichever ran first in each
 * pair came out ahead, by 10% and more (docs/benchmarks.md), so a fixed order would favour some
 * targets over others. Used by bench:forward and bench:serving.
 */
export function inRoundOrder<T>(targets: readonly T[], round: number): readonly T[] {
  return round % 2 === 1 ? targets : [...targets].reverse();
}
