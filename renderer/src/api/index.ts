/**
 * `connectWorkbench()`: the API client for this page, or undefined when no back end
 * serves it (the built renderer opened as plain files). The rest of the UI imports
 * from here and does not know which host it talks to.
 */
import { createClient, type WorkbenchClient } from './client.ts';
import { apiMetaName, httpTransport } from './http-transport.ts';
import { ipcTransport } from './ipc-transport.ts';

export { ApiCallError, createClient, type Transport, type WorkbenchClient } from './client.ts';
export { applyRunEvent, mergeRun } from './runs.ts';

let client: WorkbenchClient | undefined;

export function connectWorkbench(): WorkbenchClient | undefined {
  if (client) return client;
  if (window.workbench) client = createClient(ipcTransport(window.workbench));
  else if (document.querySelector(`meta[name="${apiMetaName}"]`)) client = createClient(httpTransport());
  return client;
}
