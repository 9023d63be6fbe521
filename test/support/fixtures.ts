import { fileURLToPath } from 'node:url';

/** Path of a file in test/fixtures/ (see its README for where each image comes from). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Where `focus-blurred-people.jpg` holds its one sharp 200×200 patch (see test/fixtures/README.md). */
export const BLURRED_PEOPLE_PATCH = { x: 490, y: 347, w: 200, h: 200 } as const;

/** Where `focus-people-patch.jpg` holds its sharp patch of two people (see test/fixtures/README.md). */
export const PEOPLE_PATCH = { x: 18, y: 169, w: 230, h: 293 } as const;

/** Where `focus-people-cut.jpg` holds its sharp patch of two men cut at the waist (see test/fixtures/README.md). */
export const PEOPLE_CUT_PATCH = { x: 66, y: 50, w: 285, h: 232 } as const;
