/**
 * Comparison reports (CSV and PDF) from a results document, in Node with no browser. One code
 * path for both entry points: `clwb report` and the app's "Export report" (Compare view).
 *
 *   exportReport({ source, experiment?, csv?, pdf?, strategies?, runs?, overwrite? })
 *     loads and validates the results, narrows them to the selection, builds every output in
 *     memory, then writes the files (atomically; nothing is written if any output would
 *     overwrite an existing file and `overwrite` is not set).
 *   buildCsv(document) / buildPdf(document, options)   the pure builders.
 *   loadResults(pathOrDir, { experiment })             validated loading with clear errors.
 *   registerResultsReader(reader)                      plugs in a reader for project folders.
 *
 * docs/reports.md describes the files, their columns and the PDF's sections.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WorkbenchError } from '../../engine/errors.ts';
import type { ResultsDocument } from '../experiment-run.ts';
import { writeFileAtomic } from '../files.ts';
import { buildCsv, csvFileNames } from './csv.ts';
import { projectResultsReader } from '../projects/results-reader.ts';
import { loadResults, registerResultsReader, validateResults, type LoadedResults } from './load.ts';
import { buildPdf, type PdfOptions } from './pdf.ts';
import { selectResults, type ReportSelection } from './select.ts';

export { buildCsv, csvFileNames, csvField, csvTable, paramsKey, ACCURACY_COLUMNS, SUMMARY_COLUMNS, COST_TABLE_COLUMNS, type CsvTables } from './csv.ts';
export { buildPdf, type PdfOptions } from './pdf.ts';
export { loadResults, registerResultsReader, validateResults, type LoadedResults, type LoadOptions, type RawResults, type ResultsReader } from './load.ts';
export { selectResults, type ReportSelection } from './select.ts';
export { METRIC_DEFINITIONS } from './text.ts';

// Project folders (project.json + experiments/ + runs/) are read by the project store's reader.
registerResultsReader(projectResultsReader);

export interface ExportReportOptions extends ReportSelection {
  /** A results.json file, a folder holding one (clwb run output), a project folder, or results already loaded. */
  source: string | LoadedResults;
  /** Experiment id (project folders); for a results file it must name that file's experiment. */
  experiment?: string;
  /** The long accuracy table goes here; FILE-summary.csv and FILE-cost.csv next to it. */
  csv?: string;
  /** The PDF report. */
  pdf?: string;
  /** Replace files that exist (default: refuse and write nothing). */
  overwrite?: boolean;
  /** PDF options (date, fonts, the command line to print). */
  pdfOptions?: Omit<PdfOptions, 'source' | 'selectionNote'>;
}

export interface ExportReportResult {
  /** Every file written, CSV files first. */
  files: string[];
  /** The document the report covers (after the selection). */
  document: ResultsDocument;
  /** Where the results were read from. */
  source: { path: string; folder: string; experimentFile?: string };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** What a selection leaves out, for the PDF's title block; undefined when it covers everything. */
function selectionNote(full: ResultsDocument, selected: ResultsDocument): string | undefined {
  if (selected.runs.length === full.runs.length) return undefined;
  return `${selected.summary.length} of the ${full.summary.length} strategies with finished runs (${selected.runs.length} of ${full.runs.length} runs)`;
}

const sourceOf = (loaded: LoadedResults) => ({ path: loaded.path, folder: loaded.folder, ...(loaded.experimentFile ? { experimentFile: loaded.experimentFile } : {}) });

/** Loads, selects, builds and writes a report (module comment). Returns the files written. */
export async function exportReport(options: ExportReportOptions): Promise<ExportReportResult> {
  if (!options.csv && !options.pdf) throw new WorkbenchError('IO', 'Nothing to export: give a CSV file, a PDF file or both');
  const loaded =
    typeof options.source === 'string'
      ? await loadResults(options.source, options.experiment === undefined ? {} : { experiment: options.experiment })
      : { ...options.source, document: validateResults(options.source.document, options.source.path) };
  const document = selectResults(loaded.document, { ...(options.strategies ? { strategies: options.strategies } : {}), ...(options.runs ? { runs: options.runs } : {}) });

  const outputs: { file: string; data: string | Uint8Array }[] = [];
  if (options.csv) {
    const tables = buildCsv(document);
    const names = csvFileNames(options.csv);
    outputs.push({ file: names.accuracy, data: tables.accuracy }, { file: names.summary, data: tables.summary }, { file: names.cost, data: tables.cost });
  }
  if (options.pdf) {
    const note = selectionNote(loaded.document, document);
    outputs.push({
      file: options.pdf,
      data: await buildPdf(document, { ...options.pdfOptions, source: sourceOf(loaded), ...(note ? { selectionNote: note } : {}) }),
    });
  }

  const resolved = outputs.map((o) => path.resolve(o.file));
  const clash = resolved.find((file, i) => resolved.indexOf(file) !== i);
  if (clash) throw new WorkbenchError('IO', `Two report outputs would both be written to ${clash}; choose different CSV and PDF names (nothing was written)`, { path: clash });
  if (!options.overwrite) {
    const taken = [];
    for (const output of outputs) if (await exists(output.file)) taken.push(output.file);
    if (taken.length) {
      throw new WorkbenchError('IO', `${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}; nothing was written (choose other names, or allow overwriting)`, { path: taken[0], reason: 'exists', files: taken });
    }
  }
  for (const output of outputs) await writeFileAtomic(output.file, output.data);
  return { files: outputs.map((o) => o.file), document, source: sourceOf(loaded) };
}
