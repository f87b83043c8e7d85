/**
 * Run workers under Electron: `utilityProcess.fork` of the built out/main/worker.js.
 * Messages use the same protocol as headless workers (main/worker/protocol.ts);
 * Electron's `child-process-gone` event supplies the typed exit reason (oom,
 * crashed, killed), which a plain exit code cannot.
 */
import { app, utilityProcess, type UtilityProcess } from 'electron';
import { TailBuffer, type WorkerExit, type WorkerHandle, type WorkerLauncher } from '../workbench/scheduler/worker-host.ts';
import type { WorkerExitReason } from '../workbench/api/contract.ts';
import type { FromWorker, ToWorker } from '../worker/protocol.ts';

/** Exit reasons Electron reports for a utility process that is gone. */
const GONE_REASONS: Record<string, WorkerExitReason | undefined> = {
  oom: 'oom',
  crashed: 'crash',
  'abnormal-exit': 'crash',
  killed: 'killed',
  'launch-failed': 'launch-failed',
  'integrity-failure': 'launch-failed',
};

export function utilityProcessLauncher(workerPath: string, options: { gpus?: number } = {}): WorkerLauncher {
  // Keyed by service name, which is unique per run (Electron's details carry no pid).
  const reasons = new Map<string, WorkerExitReason>();
  app.on('child-process-gone', (_event, details) => {
    const reason = GONE_REASONS[details.reason];
    if (details.type === 'Utility' && reason && details.serviceName) reasons.set(details.serviceName, reason);
  });
  return ({ runId, slot }) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    env.CLWB_RUN_ID = runId;
    if (options.gpus && options.gpus > 0) env.CUDA_VISIBLE_DEVICES = String(slot % options.gpus);
    const serviceName = `CL Workbench run ${runId}`;
    const child: UtilityProcess = utilityProcess.fork(workerPath, [], { serviceName, stdio: 'pipe', env });
    const stderr = new TailBuffer();
    child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(`[run ${runId}] ${chunk.toString('utf8')}`));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString('utf8'));
      process.stderr.write(`[run ${runId}] ${chunk.toString('utf8')}`);
    });
    const exitListeners: ((exit: WorkerExit) => void)[] = [];
    let exited: WorkerExit | undefined;
    child.once('exit', (code) => {
      // child-process-gone may arrive just after exit: give it a moment.
      setTimeout(() => {
        const hostReason = reasons.get(serviceName);
        reasons.delete(serviceName);
        exited = { code, signal: null, ...(hostReason ? { hostReason } : {}), stderrTail: stderr.toString() };
        for (const listener of exitListeners) listener(exited);
      }, 100);
    });
    const handle: WorkerHandle = {
      get pid() {
        return child.pid;
      },
      send: (message: ToWorker) => child.postMessage(message),
      onMessage: (listener) => child.on('message', (message: unknown) => listener(message as FromWorker)),
      onExit: (listener) => (exited ? listener(exited) : exitListeners.push(listener)),
      kill: () => {
        child.kill();
      },
    };
    return handle;
  };
}
