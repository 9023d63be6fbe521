/**
 * A lineage is named after its root: the first member it was created from, whose content hash never
 * changes. Re-running on the same images picks the same roots (canonical order), and adding images later
 * never changes an existing root — so ids are stable both ways.
 */
export function lineageIdFor(rootContentHash: string): string {
  return `lin-${rootContentHash.slice(0, 16)}`;
}
