/**
 * Where the lineage catalogue lives in Redis, all under the configured hash-tagged prefix (one
 * Cluster slot, so the Lua scripts may touch any of them). A rebuild writes a new generation beside
 * the current one and switches `<prefix>:cat:gen` to it, so readers never see a half-built index.
 *
 * - `<prefix>:cat:gen`                 current generation (absent = "0")
 * - `<g>:meta`                         hash: `version` (matcher), `slots` (images ever added, at most 2^24
 *                                      per generation: a rebuild numbers them afresh), `lineages` (numbers given)
 * - `<g>:lsh:<table>`                  hash: bucket key → packed little-endian 24-bit slots, or "F" once over the cap
 * - `<g>:slot`                         string: uint32 lineage number per slot (0 = image removed)
 * - `<g>:img`                          hash: image hash → "<slot>:<lineage number>"
 * - `<g>:lin:<n>`                      hash: `id`, `rev` (bumped on every join), `shape` (JSON), `reps` (space-separated image hashes)
 * - `<g>:mem:<n>`                      set of member image hashes
 * - `<g>:ids`                          hash: lineage id → lineage number
 * - `<g>:sig:<n>:<image>`              encoded signature of one representative of lineage n
 *
 * where `<g>` is `<prefix>:cat:<generation>`.
 */
export class CatalogueKeys {
  readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}:cat`;
  }

  get generation(): string {
    return `${this.base}:gen`;
  }

  of(generation: string): GenerationKeys {
    return new GenerationKeys(`${this.base}:${generation}`);
  }
}

export class GenerationKeys {
  constructor(readonly root: string) {}

  get meta(): string {
    return `${this.root}:meta`;
  }

  get slots(): string {
    return `${this.root}:slot`;
  }

  get images(): string {
    return `${this.root}:img`;
  }

  get ids(): string {
    return `${this.root}:ids`;
  }

  table(t: number): string {
    return `${this.root}:lsh:${t}`;
  }

  lineage(num: number | string): string {
    return `${this.root}:lin:${num}`;
  }

  members(num: number | string): string {
    return `${this.root}:mem:${num}`;
  }

  signature(num: number | string, image: string): string {
    return `${this.root}:sig:${num}:${image}`;
  }
}
