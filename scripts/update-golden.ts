/** `npm run golden:update`: rewrites test/golden/samples.json from the current code (review the diff). */
import { writeFile } from 'node:fs/promises';
import { GOLDEN_FILE, goldenOutput } from '../test/golden/samples-golden.ts';

await writeFile(GOLDEN_FILE, JSON.stringify(await goldenOutput(), null, 1) + '\n');
console.log(`wrote ${GOLDEN_FILE}`);
