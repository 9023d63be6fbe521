#!/usr/bin/env node
// artmeta runs from its TypeScript sources: tsx's loader compiles them on import.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
