/**
 * The preload bridge's names and types. They are defined once, in the workbench API
 * contract (main/workbench/api/contract.ts), and re-exported here for the Electron
 * side: main registers one IPC handler per verb, the preload exposes one function
 * per verb. Keep this file free of Node and Electron imports: the sandboxed preload
 * bundles it and the renderer's type-check reads it.
 */
export { channelOf, EVENT_CHANNEL, VERBS, CONTENT_SECURITY_POLICY } from '../workbench/api/contract.ts';
export type { ApiEvent, Envelope, HostInfo, Verb, WorkbenchBridge } from '../workbench/api/contract.ts';
