import { fileURLToPath } from 'node:url';

/** Path of a file in test/fixtures/ (see its README for where each image comes from). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Where `focus-blurred-people.jpg` holds its one sharp 200×200 patch (see test/fixtures/README.md). */
export const BLURRED_PEOPLE_PATCH = { x: 490, y: 347, w: 200, h: 200 } as const;
