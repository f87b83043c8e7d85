/** Parsing experiment text with errors that say where (file, line, column). */
import { WorkbenchError } from '../errors.ts';
import { validateExperiment, type ExperimentSpec, type ValidationCatalogue } from './experiment.ts';

/** Parses and validates an experiment document; `source` names the file in messages. */
export function parseExperiment(text: string, source: string, catalogue: ValidationCatalogue): ExperimentSpec {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    let where = '';
    if (position) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    }
    throw new WorkbenchError('SPEC_INVALID', `${source} is not valid JSON${where}: ${message}`, { path: source, problems: [{ path: '$', message: `invalid JSON${where}` }] });
  }
  try {
    return validateExperiment(document, catalogue);
  } catch (error) {
    if (error instanceof WorkbenchError) {
      throw new WorkbenchError(error.code, `${source}: ${error.message}`, { ...error.details, path: source });
    }
    throw error;
  }
}
