#!/usr/bin/env node
// The `clwb` command line. The engine is TypeScript, run through tsx's loader so
// `npx clwb` works straight after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
// `clwb strategies | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import('../main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
