/**
 * Headless run workers: `child_process.fork` of main/worker/index.ts through tsx's
 * loader (no build step), with the advanced serialisation so typed arrays cross
 * the channel as they are. Worker output is passed on line by line, tagged with
 * the run id.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TailBuffer, type WorkerExit, type WorkerHandle, type WorkerLauncher } from './worker-host.ts';
import type { FromWorker, ToWorker } from '../../worker/protocol.ts';

export interface ForkLauncherOptions {
  /** The worker entry (default main/worker/index.ts). A .ts entry runs through tsx. */
  entry?: string;
  /** Extra Node options, e.g. ['--max-old-space-size=4096']. */
  execArgv?: string[];
  /** Extra environment. */
  env?: NodeJS.ProcessEnv;
  /** GPUs to spread runs over: slot k gets CUDA_VISIBLE_DEVICES=k (none: leave it alone). */
  gpus?: number;
  /** Where tagged worker output lines go (default: stderr). */
  log?: (line: string) => void;
}

/** main/worker/index.ts beside this file's folder. */
export const DEFAULT_WORKER_ENTRY = fileURLToPath(new URL('../../worker/index.ts', import.meta.url));

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

export function forkLauncher(options: ForkLauncherOptions = {}): WorkerLauncher {
  const entry = options.entry ?? DEFAULT_WORKER_ENTRY;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return ({ runId, slot }) => {
    const execArgv = [...(entry.endsWith('.ts') ? ['--import', tsxLoader()] : []), ...(options.execArgv ?? [])];
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, CLWB_RUN_ID: runId };
    if (options.gpus && options.gpus > 0) env.CUDA_VISIBLE_DEVICES = String(slot % options.gpus);
    const child = fork(entry, [], { execArgv, env, serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const stderr = new TailBuffer();
    const exitListeners: ((exit: WorkerExit) => void)[] = [];
    let exited: WorkerExit | undefined;
    const finish = (exit: WorkerExit) => {
      if (exited) return;
      exited = exit;
      for (const listener of exitListeners) listener(exit);
    };
    const tag = (stream: NodeJS.ReadableStream | null, keep: boolean) => {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        if (keep) stderr.push(chunk);
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) log(`[run ${runId}] ${line}`);
      });
      stream?.on('end', () => {
        if (partial.trim()) log(`[run ${runId}] ${partial}`);
      });
    };
    tag(child.stdout, false);
    tag(child.stderr, true);
    child.on('error', (error) => {
      // Spawn failures arrive here without an exit event.
      if (child.pid === undefined) finish({ code: null, signal: null, hostReason: 'launch-failed', stderrTail: `${stderr}${error.message}` });
    });
    child.on('exit', (code, signal) => {
      // Let the stderr pipe drain: the reason a process died is usually its last line.
      setTimeout(() => finish({ code, signal, stderrTail: stderr.toString() }), 50);
    });
    const handle: WorkerHandle = {
      get pid() {
        return child.pid;
      },
      send(message: ToWorker) {
        if (child.connected) child.send(message);
      },
      onMessage(listener) {
        child.on('message', (message) => listener(message as FromWorker));
      },
      onExit(listener) {
        if (exited) listener(exited);
        else exitListeners.push(listener);
      },
      kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
    return handle;
  };
}
