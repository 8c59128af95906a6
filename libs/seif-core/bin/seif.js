#!/usr/bin/env node
// The `seif` command: runs src/cli.ts under tsx (the workspace consumes TypeScript source; no build step).
// Equivalent to `node --import tsx src/cli.ts ...`, done in-process so exit codes and signals pass straight through.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli.ts', import.meta.url).href);
