#!/usr/bin/env node
// The `clwb` command line. The engine is TypeScript, run through tsx's loader so
// `npx clwb` works straight after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
