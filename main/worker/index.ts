/**
 * Run-worker entry: one training run per process. Started by the scheduler with
 * `utilityProcess.fork` (Electron, the built out/main/worker.js) or
 * `child_process.fork` (headless, this file through tsx). It talks only over its
 * parent channel (see protocol.ts); stdout and stderr are the parent's log.
 */
import { connectParent } from './port.ts';
import { serveParent } from './run.ts';

serveParent(connectParent());
