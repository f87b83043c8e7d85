/** Projects: the store of one project folder, its documents, and the app's own folder. */
export { ProjectStore, slugify, assertId, type StoredRun } from './store.ts';
export { PROJECT_SCHEMA_VERSION, DocumentError, loadDocument, type RunRecord, type ResultDocument } from './documents.ts';
export { digestEvents, failureOf, type EventDigest } from './run-state.ts';
export { RecentProjects, defaultUserDataDir, ensureSampleProject, SAMPLE_PROJECT_SOURCE } from './user-data.ts';
export { projectResultsReader } from './results-reader.ts';
