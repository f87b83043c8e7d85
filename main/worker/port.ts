/**
 * The worker's side of its message channel, the same for both hosts: Electron's
 * utility process (`process.parentPort`, messages arrive as `{ data }`) and a
 * Node child process started with `child_process.fork` (`process.send`).
 */
import type { FromWorker, ToWorker } from './protocol.ts';

export interface ParentPort {
  send(message: FromWorker): void;
  onMessage(listener: (message: ToWorker) => void): void;
  /** Which transport this is, for log lines. */
  readonly kind: 'utility-process' | 'child-process';
}

/** Electron adds `parentPort` to `process` inside a utility process. */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

/** The parent port of this process; throws when the process was not started as a run worker. */
export function connectParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      kind: 'utility-process',
      send: (message) => electronPort.postMessage(message),
      onMessage: (listener) => electronPort.on('message', (event) => listener(event.data as ToWorker)),
    };
  }
  if (typeof process.send === 'function') {
    return {
      kind: 'child-process',
      send: (message) => {
        // A parent that went away closes the channel: nothing left to tell it.
        if (process.connected) process.send?.(message);
      },
      onMessage: (listener) => {
        process.on('message', (message) => listener(message as ToWorker));
        // The parent died or closed the channel: a worker never outlives its scheduler.
        process.on('disconnect', () => process.exit(0));
      },
    };
  }
  throw new Error('The run worker must be started by the workbench (utilityProcess.fork or child_process.fork); it has no parent channel.');
}
