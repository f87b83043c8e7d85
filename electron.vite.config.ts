import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

const { version } = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { version: string };

// Top-level main/, preload/ and renderer/ instead of electron-vite's default src/.
// No bytecode: compiling it launches the Electron binary, which these machines lack.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Optional dependencies are bundled by default; the native GPU backend must load from node_modules.
      externalizeDeps: { include: ['@tensorflow/tfjs-node-gpu'] },
      rolldownOptions: {
        input: {
          index: resolve('main/app/index.ts'),
          worker: resolve('main/worker/index.ts'),
        },
      },
    },
  },
  preload: {
    define: { __WORKBENCH_VERSION__: JSON.stringify(version) },
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve('preload/index.ts') },
        // A sandboxed preload must be CommonJS; .cjs keeps that explicit under "type": "module".
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    build: {
      outDir: 'out/renderer',
      rolldownOptions: { input: { index: resolve('renderer/index.html') } },
    },
    plugins: [vue()],
  },
});
