import { fileURLToPath } from 'node:url';

/** Path of a file in test/fixtures/ (see its README for where each image comes from). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}
