// Node 20 does not run `--import` loaders for a worker thread's entry file, so the thread starts
// from JavaScript and loads its TypeScript through tsx's API (as analysis-thread-entry.mjs).
import { tsImport } from 'tsx/esm/api';

await tsImport('./verification-thread.ts', import.meta.url);
