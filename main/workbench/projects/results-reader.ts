/**
 * Reads a project folder's results for reports (`clwb report <project dir> --experiment ID`
 * and the app's export). It has the shape of reports' `ResultsReader`; register it with
 * `registerResultsReader(projectResultsReader)`. It only reads.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiFailure } from '../api/errors.ts';
import { ProjectStore } from './store.ts';

export const projectResultsReader = {
  name: 'project',
  async canRead(dir: string): Promise<boolean> {
    try {
      return (await fs.stat(path.join(dir, 'project.json'))).isFile();
    } catch {
      return false;
    }
  },
  /**
   * The experiment's results document. Without an id: the only experiment with finished runs,
   * else an error listing them.
   */
  async read(dir: string, experiment: string | undefined): Promise<{ document: unknown; path: string; folder: string }> {
    const store = await ProjectStore.open(dir);
    let id = experiment;
    if (id === undefined) {
      const { runs } = await store.listRuns();
      const withResults = [...new Set(runs.filter((run) => run.hasResult).map((run) => run.record.experimentId))];
      if (withResults.length !== 1) {
        throw new ApiFailure(
          withResults.length === 0 ? 'NOT_FOUND' : 'BAD_REQUEST',
          withResults.length === 0 ? `${dir}: no experiment has finished runs yet` : `${dir} holds several experiments with results; choose one with --experiment (${withResults.join(', ')})`,
          { path: dir },
        );
      }
      id = withResults[0];
    }
    const document = await store.experimentResults(id);
    return { document, path: store.experimentFile(id), folder: dir };
  },
};
