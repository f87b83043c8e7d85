/** Starts and stops a real `clwb serve` for browser tests: 127.0.0.1, a random port, its own user and data folders. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { builtRendererDir, repositoryRoot } from './paths.ts';

export interface ServeHost {
  /** The URL printed by serve, carrying the token. */
  url: string;
  /** The temporary folder holding the user folder, the dataset cache and any project copy. */
  home: string;
  stop(): Promise<void>;
}

/**
 * Starts `clwb serve` (one run at a time, wasm). With `copySampleProject`, serves a fresh copy of
 * the sample project; otherwise serve opens its default (a copy made in the temporary user folder).
 */
export async function startServe(options: { copySampleProject?: boolean } = {}): Promise<ServeHost> {
  if (!existsSync(join(builtRendererDir, 'index.html'))) throw new Error(`${builtRendererDir}/index.html is missing: run \`npm run build\` first.`);
  const home = await mkdtemp(join(os.tmpdir(), 'clwb-e2e-'));
  const args = ['bin/clwb.mjs', 'serve', '--port', '0', '--concurrency', '1', '--backend', 'wasm'];
  if (options.copySampleProject) {
    const project = join(home, 'project');
    await cp(join(repositoryRoot, 'resources', 'sample-project'), project, { recursive: true });
    args.push('--project', project);
  }
  const server: ChildProcess = spawn(process.execPath, args, {
    cwd: repositoryRoot,
    env: { ...process.env, CLWB_HOME: join(home, 'home'), CLWB_DATA_DIR: join(home, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`clwb serve printed no URL within 90 s:\n${log}`)), 90_000);
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /clwb serve: open (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    server.stdout?.on('data', read);
    server.stderr?.on('data', read);
    server.on('exit', (code) => reject(new Error(`clwb serve exited (${code}):\n${log}`)));
  });
  return {
    url,
    home,
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}
