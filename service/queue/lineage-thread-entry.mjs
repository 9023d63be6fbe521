// A worker thread's entry must be JavaScript on Node 20; it loads the TypeScript through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./lineage-thread.ts', import.meta.url);
