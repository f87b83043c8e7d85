/**
 * The API client the stores talk through. The app sets it once at start-up
 * (`connectWorkbench()`); component tests set a fake. Stores call `useClient()`
 * when they act, so a page without a back end still renders and says why.
 */
import type { WorkbenchClient } from '../api/index.ts';

let current: WorkbenchClient | undefined;

export function setClient(client: WorkbenchClient | undefined): void {
  current = client;
}

/** The client, or undefined when no back end serves this page. */
export function useClient(): WorkbenchClient | undefined {
  return current;
}
