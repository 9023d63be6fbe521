/**
 * A worker's catalogue side in a process of its own, for the kill -9 test: assigns the signatures of a
 * file (JSON list of {hash, signature: base64}) four at a time and prints `assigned <n>` after each.
 *
 *   tsx test/support/catalogue-assign-child.ts <redis url> <prefix> <file>
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { lineageMatcher } from '../../analysis/lineage/lineage-matcher.ts';
import { decodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { CatalogueIndex } from '../../service/catalogue/catalogue-index.ts';

const [url, prefix, file] = process.argv.slice(2) as [string, string, string];
const images = JSON.parse(readFileSync(file, 'utf8')) as { hash: string; signature: string }[];
await loadOpenCV();
const index = new CatalogueIndex(new Redis(url), prefix, lineageMatcher());
let next = 0;
let assigned = 0;
async function lane(): Promise<void> {
  while (next < images.length) {
    const image = images[next++]!;
    const bytes = Buffer.from(image.signature, 'base64');
    await index.assign(image.hash, decodeSignature(bytes), bytes);
    process.stdout.write(`assigned ${++assigned}\n`);
  }
}
await Promise.all([lane(), lane(), lane(), lane()]);
process.exit(0);
