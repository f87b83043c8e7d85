/**
 * `clwb serve`: the workbench UI and API in a browser, for machines without a
 * display (a remote GPU box: forward the port over SSH) and for the browser tests.
 * Binds 127.0.0.1 unless --host says otherwise; prints a URL with a random token.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_VERSION, WorkbenchError, type BackendName } from '../engine/index.ts';
import { WorkbenchService } from '../workbench/api/service.ts';
import { defaultUserDataDir } from '../workbench/projects/index.ts';
import { forkLauncher } from '../workbench/scheduler/fork-launcher.ts';
import { startServer, type RunningServer } from '../workbench/server/server.ts';
import { parseArgs, UsageError } from './args.ts';

export const SERVE_USAGE = `  clwb serve [options]              the workbench in a browser (prints a URL with a token)
      --project DIR    project folder to open (default: the last one, else a copy of the sample project)
      --port N         port (default 8741, or the next free one; 0: any free port)
      --host ADDR      address to bind (default 127.0.0.1; anything else is reachable from the network)
      --concurrency N  runs at once (default: one per GPU, else one per free CPU core)
      --backend NAME   tfjs backend for runs: auto (default), tensorflow-gpu, tensorflow, wasm or cpu
      --data-dir DIR   dataset cache folder (default: $CLWB_DATA_DIR or ~/.cache/clwb/datasets)
      --renderer DIR   the built UI (default: out/renderer; build it with npm run build)`;

const DEFAULT_PORT = 8741;
const DEFAULT_RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));
const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface ServeControl {
  /** Stops the server when aborted (default: SIGINT / SIGTERM). */
  signal?: AbortSignal;
  /** Called once it listens (tests read the URL here). */
  onListening?: (server: RunningServer) => void;
}

function integer(value: string | true | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value === true || !Number.isInteger(number) || number < min || number > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return number;
}

/** Runs `clwb serve` until stopped; returns the exit code. */
export async function serve(argv: string[], io: Io, control: ServeControl = {}): Promise<number> {
  const { positionals, options } = parseArgs(argv, { flags: [], options: ['project', 'port', 'host', 'concurrency', 'backend', 'data-dir', 'renderer'] });
  if (positionals.length) throw new UsageError('serve takes no positional arguments (use --project DIR)');
  const port = integer(options.port, 'port', 0, 65535);
  const concurrency = integer(options.concurrency, 'concurrency', 1, 256);
  const backend = (options.backend as string | undefined) ?? 'auto';
  if (!BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}`);
  const host = (options.host as string | undefined) ?? '127.0.0.1';
  const rendererDir = path.resolve((options.renderer as string | undefined) ?? DEFAULT_RENDERER);
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new WorkbenchError('IO', `The built UI is missing (${path.join(rendererDir, 'index.html')}); run \`npm run build\` first, or pass --renderer DIR`, { path: rendererDir });
  }

  const service = await WorkbenchService.create({
    host: 'serve',
    versions: { node: process.versions.node },
    userDataDir: defaultUserDataDir(),
    ...(options['data-dir'] ? { dataDir: path.resolve(options['data-dir'] as string) } : {}),
    launcher: forkLauncher({ log: (line) => io.stderr.write(`${line}\n`) }),
    ...(concurrency ? { concurrency } : {}),
    backend: backend as BackendName | 'auto',
  });
  let server: RunningServer | undefined;
  try {
    const project = await service.openInitialProject(options.project ? path.resolve(options.project as string) : undefined);
    server = await listen(service, rendererDir, host, port);
    io.stderr.write(`clwb serve: CL Workbench ${APP_VERSION}, project "${project.project.name}" (${project.path})\n`);
    if (project.resumable.length) io.stderr.write(`clwb serve: ${project.resumable.length} interrupted run(s) can be resumed from the Runs list\n`);
    if (project.problems.length) for (const problem of project.problems) io.stderr.write(`clwb serve: cannot read ${problem.path}: ${problem.reason}\n`);
    if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
      io.stderr.write(`clwb serve: WARNING: bound to ${host}, reachable from other machines; anyone with the token can run jobs and read files as you. Prefer an SSH tunnel to 127.0.0.1.\n`);
    }
    io.stdout.write(`clwb serve: open ${server.url}\n`);
    control.onListening?.(server);
    await waitForStop(control.signal);
    io.stderr.write('clwb serve: stopping (running runs are stopped and can be resumed later)\n');
    return 0;
  } finally {
    await server?.close();
    await service.close();
  }
}

/** Listens on `port`; with no --port, the default or the next of 20 that is free. */
async function listen(service: WorkbenchService, rendererDir: string, host: string, port: number | undefined): Promise<RunningServer> {
  if (port !== undefined) return startServer({ service, rendererDir, host, port });
  for (let candidate = DEFAULT_PORT; ; candidate++) {
    try {
      return await startServer({ service, rendererDir, host, port: candidate });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || candidate >= DEFAULT_PORT + 20) throw error;
    }
  }
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    signal?.addEventListener('abort', stop, { once: true });
    if (!signal) {
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }
  });
}
