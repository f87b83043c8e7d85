/**
 * The PDF report (A4, docs/reports.md lists its sections): pdfkit for text and tables, charts from
 * ECharts' SSR SVG drawn as vectors by svg-to-pdfkit, so every word stays selectable text.
 * Layout rules that keep 1 to 30 strategies readable: tables paginate and repeat their header;
 * per-strategy bar charts are horizontal (long names stay on one line, truncated with "..." only
 * past 170 pt); curves go 10 strategies to a chart; heatmaps go three to a row; nothing is drawn
 * past the bottom margin (a block that does not fit starts a new page).
 */
import path from 'node:path';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { APP_VERSION } from '../../engine/run/execute.ts';
import type { Summary } from '../../engine/metrics/index.ts';
import type { ResultsDocument } from '../experiment-run.ts';
import { barChart, barChartHeight, curveChart, fitText, HEAT_RANGE, heatmapChart, registerFontFamily, scatterChart, type BarSeries, type ChartStyle, type SvgChart } from './charts.ts';
import { buildModel, type ReportModel, type StrategyView } from './model.ts';
import { METRIC_KEYS, type MetricKey } from './select.ts';
import { experimentJson, formatBytes, formatMeanSd, formatNumber, formatSeconds, formatValue, METRIC_DEFINITIONS, METRIC_NAMES, winAnsi } from './text.ts';

export interface PdfOptions {
  /** The date printed as the report's date (default: now). */
  now?: Date;
  /** The version printed as the generator's (default: this build's). */
  appVersion?: string;
  /**
   * TrueType/OpenType files for text outside Windows-1252 (CJK, Greek ... in strategy labels).
   * Default: the PDF standard Helvetica, which needs no files; other characters are transliterated.
   */
  fonts?: { regular: string; bold: string };
  /** Where the results came from, for the reproducibility section. */
  source?: { path: string; folder: string; experimentFile?: string };
  /** The command that made this report, printed in the reproducibility section. */
  command?: string;
  /** How much of the experiment the report covers, when a selection was made ("4 of 6 strategies"). */
  selectionNote?: string;
}

const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = { top: 50, bottom: 54, left: 48, right: 48 };
const WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const BOTTOM = PAGE.height - MARGIN.bottom;
const COLOURS = { text: '#1a1a1a', muted: '#666666', rule: '#c8c8c8', zebra: '#f4f6f8', best: '#e3f1e0', head: '#e8ecf1', class: '#4e79a7', task: '#f28e2b', bwt: '#76b7b2', forgetting: '#e15759' };

interface Fonts {
  regular: string;
  bold: string;
  mono: string;
  /** The family name the charts' SVG uses. */
  family: string;
}

interface Cell {
  text: string;
  bold?: boolean;
  fill?: string;
  mono?: boolean;
}

interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

/** The page writer: keeps the cursor, starts pages when a block does not fit. */
class Writer {
  readonly doc: PDFKit.PDFDocument;
  readonly fonts: Fonts;
  readonly clean: (text: string) => string;
  readonly style: ChartStyle;

  constructor(doc: PDFKit.PDFDocument, fonts: Fonts, clean: (text: string) => string) {
    this.doc = doc;
    this.fonts = fonts;
    this.clean = clean;
    this.style = { fontFamily: fonts.family, clean };
  }

  get y(): number {
    return this.doc.y;
  }

  set y(value: number) {
    this.doc.y = value;
  }

  newPage(): void {
    this.doc.addPage();
    this.y = MARGIN.top;
  }

  /** Starts a new page unless `height` points fit below the cursor. */
  ensure(height: number): void {
    if (this.y + height > BOTTOM) this.newPage();
  }

  font(bold = false, size = 9, mono = false): PDFKit.PDFDocument {
    return this.doc.font(mono ? this.fonts.mono : bold ? this.fonts.bold : this.fonts.regular).fontSize(size);
  }

  textHeight(text: string, width: number, size: number, bold = false, mono = false): number {
    this.font(bold, size, mono);
    return this.doc.heightOfString(this.clean(text), { width, lineGap: 1 });
  }

  /** A paragraph that may run over pages (pdfkit breaks lines and pages). */
  paragraph(text: string, options: { size?: number; bold?: boolean; colour?: string; gap?: number; indent?: number; mono?: boolean } = {}): void {
    const size = options.size ?? 9;
    const indent = options.indent ?? 0;
    this.ensure(size * 2.4);
    this.font(options.bold, size, options.mono).fillColor(options.colour ?? COLOURS.text);
    this.doc.text(this.clean(text), MARGIN.left + indent, this.y, { width: WIDTH - indent, lineGap: 1 });
    this.y += options.gap ?? 4;
  }

  /** A heading kept on one page with the first `keep` points of what follows (a chart's height). */
  /**
   * A shell command in monospace, wrapped only between words with a trailing backslash, so it
   * can be copied and pasted as it is (pdfkit itself would also break after hyphens in paths).
   */
  command(text: string): void {
    const size = 8;
    const indent = 12;
    this.font(false, size, true);
    const width = WIDTH - indent;
    const fits = (line: string) => this.doc.widthOfString(`${line} \\`) <= width;
    const lines: string[] = [];
    for (const source of this.clean(text).split('\n')) {
      let line = '';
      for (const word of source.split(' ')) {
        const next = line ? `${line} ${word}` : word;
        if (!line || fits(next)) line = next;
        else {
          lines.push(`${line} \\`);
          line = `  ${word}`;
        }
      }
      lines.push(line);
    }
    this.ensure(lines.length * (size + 2) + 4);
    this.font(false, size, true).fillColor(COLOURS.text);
    this.doc.text(lines.join('\n'), MARGIN.left + indent, this.y, { width: WIDTH, lineGap: 1, lineBreak: false });
    this.y += 6;
  }

  heading(text: string, level: 1 | 2 = 1, keep = 60): void {
    const size = level === 1 ? 14 : 11;
    this.ensure(size + 14 + keep);
    if (level === 1 && this.y > MARGIN.top + 1) this.y += 8;
    this.font(true, size).fillColor(COLOURS.text);
    this.doc.text(this.clean(text), MARGIN.left, this.y, { width: WIDTH });
    if (level === 1) {
      this.doc.moveTo(MARGIN.left, this.y + 1).lineTo(MARGIN.left + WIDTH, this.y + 1).lineWidth(0.6).strokeColor(COLOURS.rule).stroke();
      this.y += 7;
    } else {
      this.y += 3;
    }
  }

  /** A table with wrapped cells; it continues on the next page with its header repeated. */
  table(columns: Column[], rows: Cell[][], options: { size?: number; zebra?: boolean; keepAfter?: number } = {}): void {
    const size = options.size ?? 7.5;
    const pad = 3;
    const drawRow = (cells: Cell[], header: boolean, zebra: boolean): void => {
      const height = rowHeight(cells, header);
      let x = MARGIN.left;
      const top = this.y;
      if (header) this.doc.rect(MARGIN.left, top, WIDTH, height).fill(COLOURS.head);
      else if (zebra) this.doc.rect(MARGIN.left, top, WIDTH, height).fill(COLOURS.zebra);
      cells.forEach((cell, k) => {
        const column = columns[k];
        if (cell.fill) this.doc.rect(x, top, column.width, height).fill(cell.fill);
        this.font(header || cell.bold, size, cell.mono).fillColor(COLOURS.text);
        this.doc.text(this.clean(cell.text), x + pad, top + pad, { width: column.width - 2 * pad, align: column.align ?? 'left', lineGap: 1 });
        x += column.width;
      });
      this.y = top + height;
      this.doc.moveTo(MARGIN.left, this.y).lineTo(MARGIN.left + WIDTH, this.y).lineWidth(0.3).strokeColor(COLOURS.rule).stroke();
    };
    const rowHeight = (cells: Cell[], header: boolean): number =>
      Math.max(...cells.map((cell, k) => this.textHeight(cell.text, columns[k].width - 2 * pad, size, header || cell.bold, cell.mono))) + 2 * pad;
    const headerCells = columns.map((c) => ({ text: c.header }));
    const headerHeight = rowHeight(headerCells, true);
    this.ensure(headerHeight + (rows[0] ? rowHeight(rows[0], false) : 0));
    drawRow(headerCells, true, false);
    rows.forEach((row, i) => {
      // The last row keeps `keepAfter` points (a caption) on its page.
      const keep = i === rows.length - 1 ? (options.keepAfter ?? 0) : 0;
      if (this.y + rowHeight(row, false) + keep > BOTTOM) {
        this.newPage();
        drawRow(headerCells, true, false);
      }
      drawRow(row, false, options.zebra !== false && i % 2 === 1);
    });
    this.y += 6;
  }

  /** Two columns of names and values. */
  keyValues(pairs: [string, string][], keyWidth = 120): void {
    this.table(
      [
        { header: 'Item', width: keyWidth },
        { header: 'Value', width: WIDTH - keyWidth },
      ],
      pairs.map(([key, value]) => [{ text: key, bold: true }, { text: value }]),
      { size: 8 },
    );
  }

  /** Draws a chart at the cursor (or at x, y), as vectors; `keep` more points stay on its page (its caption). */
  chart(chart: SvgChart, at?: { x: number; y: number }, keep = 0): void {
    const x = at?.x ?? MARGIN.left + (WIDTH - chart.width) / 2;
    if (!at) this.ensure(chart.height + keep);
    const y = at?.y ?? this.y;
    SVGtoPDF(this.doc, chart.svg, x, y, {
      width: chart.width,
      height: chart.height,
      assumePt: true,
      fontCallback: (_family, bold) => (bold ? this.fonts.bold : this.fonts.regular),
      warningCallback: () => undefined,
    });
    if (!at) this.y = y + chart.height + 4;
  }

  caption(text: string): void {
    this.paragraph(text, { size: 7.5, colour: COLOURS.muted, gap: 8 });
  }
}

function setUpFonts(doc: PDFKit.PDFDocument, files: PdfOptions['fonts']): Fonts {
  if (files) {
    doc.registerFont('ReportSans', files.regular);
    doc.registerFont('ReportSans-Bold', files.bold);
    return { regular: 'ReportSans', bold: 'ReportSans-Bold', mono: 'Courier', family: 'ReportSans' };
  }
  return { regular: 'Helvetica', bold: 'Helvetica-Bold', mono: 'Courier', family: 'Helvetica' };
}

/** ECharts measures chart text with the PDF font's own metrics. */
function registerMeasure(fonts: Fonts, files: PdfOptions['fonts']): void {
  const measuring = new PDFDocument({ autoFirstPage: false });
  if (files) {
    measuring.registerFont('ReportSans', files.regular);
    measuring.registerFont('ReportSans-Bold', files.bold);
  }
  registerFontFamily(fonts.family, (text, size, bold) => measuring.font(bold ? fonts.bold : fonts.regular).fontSize(size).widthOfString(text));
}

const dateText = (value: string | Date): string => {
  const date = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
};

const describeParams = (params: Record<string, unknown>): string => {
  const entries = Object.entries(params ?? {});
  return entries.length ? entries.map(([k, v]) => `${k} = ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ') : '(defaults; no parameters)';
};

function titleBlock(w: Writer, model: ReportModel, options: PdfOptions): void {
  const doc = model.document;
  w.font(true, 9).fillColor(COLOURS.muted);
  w.doc.text('CL WORKBENCH - COMPARISON REPORT', MARGIN.left, w.y, { width: WIDTH, characterSpacing: 0.6 });
  w.y += 4;
  w.font(true, 20).fillColor(COLOURS.text);
  w.doc.text(w.clean(doc.experiment.name), MARGIN.left, w.y, { width: WIDTH });
  w.y += 4;
  if (doc.experiment.description) w.paragraph(doc.experiment.description, { size: 9.5 });
  const runsPlanned = doc.experiment.strategies.length * doc.experiment.seeds.length;
  const lines = [
    `Report date: ${dateText(options.now ?? new Date())}. Results written ${dateText(doc.updatedAt)}.`,
    `Made with CL Workbench ${options.appVersion ?? APP_VERSION}; the results with ${doc.app?.name ?? 'CL Workbench'} ${doc.app?.version ?? '?'}.`,
    `${model.strategies.length} strateg${model.strategies.length === 1 ? 'y' : 'ies'}, ${doc.runs.length} finished run${doc.runs.length === 1 ? '' : 's'}` +
      `${doc.failed.length ? `, ${doc.failed.length} failed` : ''} (the experiment plans ${doc.experiment.strategies.length} strategies x ${doc.experiment.seeds.length} seeds = ${runsPlanned} runs). ` +
      `Dataset ${doc.experiment.dataset.id}, ${doc.experiment.scenario.type}, ${model.experiences} experiences, ${doc.experiment.model.type} model.`,
  ];
  if (options.selectionNote) lines.push(`This report covers ${options.selectionNote}.`);
  for (const line of lines) w.paragraph(line, { size: 9, gap: 2 });
  w.y += 6;
}

function summaryTable(w: Writer, model: ReportModel, task: boolean): void {
  const best = task ? model.bestTask : model.best;
  const nameWidth = WIDTH - 18 - 5 * 67 - 22;
  const columns: Column[] = [
    { header: '#', width: 18, align: 'right' },
    { header: 'Strategy', width: nameWidth },
    ...METRIC_KEYS.map((key): Column => ({ header: METRIC_NAMES[key], width: 67, align: 'right' })),
    { header: 'n', width: 22, align: 'right' },
  ];
  const rows = model.strategies.flatMap((s) => {
    const metrics = task ? s.summary.taskMetrics : s.summary.metrics;
    if (!metrics) return [];
    return [[
      { text: String(s.number) },
      { text: s.label },
      ...METRIC_KEYS.map((key: MetricKey): Cell => {
        const isBest = best[key].has(s.label);
        return { text: formatMeanSd(metrics[key]), bold: isBest, ...(isBest ? { fill: COLOURS.best } : {}) };
      }),
      { text: String(s.summary.n) },
    ]];
  });
  w.table(columns, rows);
}

function summarySection(w: Writer, model: ReportModel): void {
  w.heading('Summary');
  w.paragraph(
    `Mean ± sample standard deviation over seeds (n finished seeds). Best value in each column in bold on green: highest ACC, BWT, FWT and average incremental accuracy, lowest forgetting. Values are fractions (1 = 100%); the CSV export has them at full precision.`,
    { size: 8, colour: COLOURS.muted, gap: 6 },
  );
  w.heading(model.hasTask ? 'Class-incremental evaluation (class-IL)' : 'Metrics', 2);
  summaryTable(w, model, false);
  if (model.hasTask) {
    w.heading('Task-incremental evaluation (task-IL, task ids given at test time)', 2);
    summaryTable(w, model, true);
  }
}

const categoryLabel = (s: StrategyView): string => `${s.number}. ${s.label}`;

/** Page height a chart may take under a heading. */
const CHART_ROOM = BOTTOM - MARGIN.top - 60;

/**
 * Per-strategy bar charts, split into as few evenly sized charts as fit a page each (30
 * strategies with two bars each take two charts); the heading stays with the first.
 */
function barCharts(w: Writer, heading: string | undefined, categories: string[], series: BarSeries[], axisName: string, range: { min?: number; max?: number }, caption?: string): void {
  let perChart = categories.length;
  while (perChart > 1 && barChartHeight(perChart, series.length) > CHART_ROOM) perChart--;
  const charts = Math.ceil(categories.length / perChart);
  const size = Math.ceil(categories.length / charts);
  for (let k = 0; k < charts; k++) {
    const part = <T,>(values: T[]): T[] => values.slice(k * size, (k + 1) * size);
    const chart = barChart({ categories: part(categories), series: series.map((s) => ({ ...s, values: part(s.values) })), width: WIDTH, axisName, style: w.style, ...range });
    const last = k === charts - 1 && caption !== undefined;
    if (k === 0 && heading) w.heading(heading, 1, chart.height + (last ? 24 : 0));
    w.chart(chart, undefined, last ? 24 : 0);
  }
  if (caption) w.caption(caption);
}

function chartsSection(w: Writer, model: ReportModel): void {
  const categories = model.strategies.map((s) => w.clean(categoryLabel(s)));
  const pick = (f: (s: StrategyView) => Summary | undefined): Summary[] => model.strategies.map((s) => f(s) ?? { mean: null, sd: null, n: 0 });

  const accSeries = [{ name: 'class-IL ACC', colour: COLOURS.class, values: pick((s) => s.summary.metrics.acc) }];
  if (model.hasTask) accSeries.push({ name: 'task-IL ACC', colour: COLOURS.task, values: pick((s) => s.summary.taskMetrics?.acc) });
  barCharts(w, 'Final accuracy', categories, accSeries, 'accuracy after the last experience (mean ± sd over seeds)', { min: 0, max: 1.12 },
    'ACC = mean accuracy over all experiences after training the last one. Bars: mean over seeds; whiskers: ± one standard deviation.');

  // At most 10 lines (one palette) per chart, in evenly sized charts: 12 strategies give 6 + 6.
  const chunks: StrategyView[][] = [];
  const perCurveChart = Math.ceil(model.strategies.length / Math.ceil(model.strategies.length / 10));
  for (let i = 0; i < model.strategies.length; i += perCurveChart) chunks.push(model.strategies.slice(i, i + perCurveChart));
  chunks.forEach((chunk, k) => {
    const panels = [{ title: model.hasTask ? 'class-IL' : 'accuracy on experiences seen so far', series: chunk.map((s) => ({ name: w.clean(categoryLabel(s)), values: s.curve })) }];
    if (model.hasTask) panels.push({ title: 'task-IL', series: chunk.map((s) => ({ name: w.clean(categoryLabel(s)), values: s.taskCurve ?? [] })) });
    const chart = curveChart({ panels, experiences: model.experiences, width: WIDTH, style: w.style });
    if (k === 0) w.heading('Accuracy after each experience', 1, chart.height);
    w.chart(chart);
  });
  w.caption('After training experience i: the mean over j = 1..i of R[i][j], the accuracy on the experiences seen so far (mean over seeds).');

  const forgettingSeries = [
    { name: 'BWT (higher is better)', colour: COLOURS.bwt, values: pick((s) => s.summary.metrics.bwt) },
    { name: 'Forgetting (lower is better)', colour: COLOURS.forgetting, values: pick((s) => s.summary.metrics.forgetting) },
  ];
  const forgettingCaption = 'BWT = mean over j < T of R[T][j] - R[j][j]; forgetting = mean over j < T of (max over l < T of R[l][j]) - R[T][j]. Whiskers: ± one standard deviation over seeds.';
  barCharts(w, 'Forgetting and backward transfer', categories, forgettingSeries, model.hasTask ? 'class-IL (mean ± sd over seeds)' : 'mean ± sd over seeds', {}, model.hasTask ? undefined : forgettingCaption);
  if (model.hasTask) {
    const taskSeries = [
      { name: 'task-IL BWT', colour: COLOURS.bwt, values: pick((s) => s.summary.taskMetrics?.bwt) },
      { name: 'task-IL forgetting', colour: COLOURS.forgetting, values: pick((s) => s.summary.taskMetrics?.forgetting) },
    ];
    barCharts(w, undefined, categories, taskSeries, 'task-IL (mean ± sd over seeds)', {}, forgettingCaption);
  }

  heatmapSection(w, model, false);
  if (model.hasTask) heatmapSection(w, model, true);
  costSection(w, model);
}

function colourScale(w: Writer): void {
  const x = MARGIN.left + WIDTH - 160;
  const y = w.y;
  const gradient = w.doc.linearGradient(x, 0, x + 120, 0);
  HEAT_RANGE.forEach((colour, k) => gradient.stop(k / (HEAT_RANGE.length - 1), colour));
  w.doc.rect(x, y, 120, 7).fill(gradient);
  w.font(false, 7).fillColor(COLOURS.muted);
  w.doc.text('0', x - 8, y, { width: 8, lineBreak: false });
  w.doc.text('1', x + 123, y, { width: 10, lineBreak: false });
  w.doc.text('accuracy', x - 60, y, { width: 48, align: 'right', lineBreak: false });
  w.y = y + 12;
}

function heatmapSection(w: Writer, model: ReportModel, task: boolean): void {
  const views = model.strategies.filter((s) => (task ? s.taskMatrix : s.matrix));
  if (!views.length) return;
  w.heading(task ? 'Accuracy matrices, task-IL' : model.hasTask ? 'Accuracy matrices, class-IL' : 'Accuracy matrices', 1, 215);
  w.paragraph('R[i][j], mean over seeds: accuracy on experience j (columns) after training experience i (rows). The diagonal is accuracy right after learning; below it, what was retained.', { size: 8, colour: COLOURS.muted });
  colourScale(w);
  // Three to a row; four when there are many, so 30 strategies take about two pages.
  const perRow = views.length > 9 ? 4 : 3;
  const gap = 12;
  const cellWidth = (WIDTH - gap * (perRow - 1)) / perRow;
  const chartHeight = Math.min(cellWidth, 150);
  const titleHeight = 12;
  for (let i = 0; i < views.length; i += perRow) {
    w.ensure(titleHeight + chartHeight + 6);
    const top = w.y;
    views.slice(i, i + perRow).forEach((view, k) => {
      const x = MARGIN.left + k * (cellWidth + gap);
      w.font(true, 7.5).fillColor(COLOURS.text);
      const title = fitText(w.clean(categoryLabel(view)), cellWidth - 4, 7.5, true, w.fonts.family);
      w.doc.text(title, x, top, { width: cellWidth, align: 'center', lineBreak: false });
      w.chart(heatmapChart({ matrix: (task ? view.taskMatrix : view.matrix)!, width: cellWidth, height: chartHeight, style: w.style }), { x, y: top + titleHeight });
    });
    w.y = top + titleHeight + chartHeight + 6;
  }
}

function costSection(w: Writer, model: ReportModel): void {
  const name = (s: StrategyView) => w.clean(categoryLabel(s));
  const accuracy = (s: StrategyView) => s.summary.metrics.acc.mean;
  const points = (x: (s: StrategyView) => number | null) => model.strategies.map((s) => ({ label: name(s), short: String(s.number), x: x(s), y: accuracy(s) }));
  // Side by side for a few strategies; full width and taller for many, so labels find room.
  const many = model.strategies.length > 10;
  const chartWidth = many ? WIDTH : (WIDTH - 16) / 2;
  const chartHeight = many ? 250 : 190;
  const time = scatterChart({ points: points((s) => s.summary.cost.trainSeconds.mean), width: chartWidth, height: chartHeight, title: 'Training time vs ACC', xName: 'train seconds (mean)', yName: 'class-IL ACC', style: w.style });
  const memory = scatterChart({
    points: points((s) => s.summary.cost.peakTensorBytes.mean), width: chartWidth, height: chartHeight, title: 'Peak tensor memory vs ACC', xName: 'peak tensor memory (mean)', yName: 'class-IL ACC', style: w.style,
    xFormat: (v) => formatBytes(v),
  });
  const unlabelled = (chart: { unlabelled: string[] }, what: string) => (chart.unlabelled.length ? ` Not labelled for lack of room in the ${what} chart: ${chart.unlabelled.join('; ')}.` : '');
  const caption = `Each point is one strategy (mean over seeds), labelled with its number and name, or only its number where the name does not fit; points that coincide share a label.${unlabelled(time, 'time')}${unlabelled(memory, 'memory')} Memory: the largest tfjs tensor memory seen at a training step.`;
  w.heading('Cost and accuracy', 1, chartHeight + 30);
  if (many) {
    w.chart(time);
    w.chart(memory, undefined, 30);
  } else {
    const top = w.y;
    w.chart(time, { x: MARGIN.left, y: top });
    w.chart(memory, { x: MARGIN.left + chartWidth + 16, y: top });
    w.y = top + chartHeight + 4;
  }
  w.caption(caption);

  w.heading('Cost (mean over seeds)', 2);
  const columns: Column[] = [
    { header: '#', width: 18, align: 'right' },
    { header: 'Strategy', width: WIDTH - 18 - 62 - 52 - 56 - 58 - 50 - 52 },
    { header: 'Train time', width: 62, align: 'right' },
    { header: 'Samples/s', width: 52, align: 'right' },
    { header: 'Peak memory', width: 56, align: 'right' },
    { header: 'Parameters', width: 58, align: 'right' },
    { header: 'Buffer', width: 50, align: 'right' },
    { header: 'Buffer size', width: 52, align: 'right' },
  ];
  const rows = model.strategies.map((s): Cell[] => {
    const c = s.summary.cost;
    const time = c.trainSeconds.n > 1 && c.trainSeconds.sd !== null ? `${formatSeconds(c.trainSeconds.mean)} ± ${formatValue(c.trainSeconds.sd, 2)}` : formatSeconds(c.trainSeconds.mean);
    return [
      { text: String(s.number) },
      { text: s.label },
      { text: time },
      { text: formatNumber(c.samplesPerSecond.mean) },
      { text: formatBytes(c.peakTensorBytes.mean) },
      { text: formatNumber(c.parameters.mean) },
      { text: formatNumber(c.bufferSamples.mean) },
      { text: formatBytes(c.bufferBytes.mean) },
    ];
  });
  w.table(columns, rows, { keepAfter: 26 });
  w.caption('Train time: seconds in training steps (evaluation excluded), ± sd in seconds. Buffer: replay memory in samples and bytes. Per-run values are in the CSV cost table.');
}

function experimentSection(w: Writer, model: ReportModel): void {
  const spec = model.document.experiment;
  w.heading('Experiment');
  const scenario = spec.scenario;
  const scenarioText = [
    scenario.type,
    `${scenario.experiences} experiences`,
    scenario.classesPerExperience !== undefined ? `${scenario.classesPerExperience} class${scenario.classesPerExperience === 1 ? '' : 'es'} each` : undefined,
    scenario.classOrder ? `class order ${scenario.classOrder.join(' ')}` : scenario.shuffleClasses ? 'classes shuffled per seed' : undefined,
    scenario.transform ? `transform ${scenario.transform}` : undefined,
    scenario.angles ? `angles ${scenario.angles.join(', ')}` : undefined,
    scenario.trainSamplesPerExperience !== undefined ? `${scenario.trainSamplesPerExperience} training samples per experience` : undefined,
    scenario.testSamplesPerExperience !== undefined ? `${scenario.testSamplesPerExperience} test samples per experience` : undefined,
    scenario.online ? `online, ${scenario.online.experienceSize} samples per mini-experience` : undefined,
  ].filter(Boolean).join(', ');
  const m = spec.model;
  const modelText = m.type === 'mlp' ? `MLP, hidden layers ${m.hidden.join(' x ')}` : m.type === 'cnn' ? `CNN, channels ${m.channels.join(', ')}` : `reduced ResNet-18, width ${m.width}`;
  const t = spec.training;
  const o = t.optimizer;
  const optimiser = o.type === 'sgd' ? `SGD, lr ${o.lr}, momentum ${o.momentum}` : `Adam, lr ${o.lr}, beta1 ${o.beta1}, beta2 ${o.beta2}, epsilon ${o.epsilon}`;
  w.keyValues([
    ['Dataset', `${spec.dataset.id}${spec.dataset.path ? ` (${spec.dataset.path})` : ''}`],
    ['Scenario', scenarioText],
    ['Model', `${modelText}; ${m.head} head`],
    ['Training', `${t.iterations !== undefined ? `${t.iterations} iterations` : `${t.epochs} epoch${t.epochs === 1 ? '' : 's'}`} per experience, batch size ${t.batchSize} (evaluation ${t.evalBatchSize})${t.resetOptimizer ? ', optimiser reset per experience' : ''}`],
    ['Optimiser', `${optimiser}${o.weightDecay ? `, weight decay ${o.weightDecay}` : ''}`],
    ['Seeds', spec.seeds.join(', ')],
  ]);
  w.heading('Strategies and parameters', 2);
  w.table(
    [
      { header: '#', width: 18, align: 'right' },
      { header: 'Strategy', width: 140 },
      { header: 'Id', width: 70 },
      { header: 'Parameters', width: WIDTH - 18 - 140 - 70 - 50 },
      { header: 'Seeds', width: 50 },
    ],
    model.strategies.map((s) => [
      { text: String(s.number) },
      { text: s.label },
      { text: s.summary.strategy },
      { text: describeParams(s.summary.params) },
      { text: s.summary.seeds.join(', ') },
    ]),
  );
  if (model.document.failed.length) {
    w.heading('Failed runs', 2);
    w.table(
      [
        { header: 'Run', width: 110 },
        { header: 'Seed', width: 34, align: 'right' },
        { header: 'Error', width: WIDTH - 144 },
      ],
      model.document.failed.map((f) => [{ text: `${f.id} (${f.label})` }, { text: String(f.seed) }, { text: `[${f.error.code}] ${f.error.message}` }]),
    );
  }
}

function environmentSection(w: Writer, model: ReportModel): void {
  const env = model.document.environment;
  w.heading('Environment');
  const devices = [...new Set(model.document.runs.map((r) => `${r.backend}: ${r.device}`))];
  const pairs: [string, string][] = [
    ['tfjs backend', env.backend],
    ['Device', env.device],
    ['CPU', `${env.cpuModel} (${env.cpus} logical cores)`],
    ['OS', `${env.platform} ${env.arch}`],
    ['Versions', `tfjs ${env.tfjs}, Node ${env.node}, ${model.document.app?.name ?? 'CL Workbench'} ${model.document.app?.version ?? '?'}`],
  ];
  if (devices.length > 1 || (devices[0] && devices[0] !== `${env.backend}: ${env.device}`)) pairs.push(['Runs ran on', devices.join('; ')]);
  w.keyValues(pairs);
}

function definitionsSection(w: Writer): void {
  w.heading('Metric definitions');
  for (const { term, text } of METRIC_DEFINITIONS) {
    w.ensure(30);
    const top = w.y;
    w.font(true, 8).fillColor(COLOURS.text);
    w.doc.text(w.clean(term), MARGIN.left, top, { width: 110, lineGap: 1 });
    const afterTerm = w.y;
    w.font(false, 8).fillColor(COLOURS.text);
    w.doc.text(w.clean(text), MARGIN.left + 116, top, { width: WIDTH - 116, lineGap: 1 });
    w.y = Math.max(w.y, afterTerm) + 4;
  }
}

function reproducibilitySection(w: Writer, model: ReportModel, options: PdfOptions): void {
  const doc = model.document;
  w.heading('Reproducibility');
  w.keyValues([
    ['Spec hash (SHA-256)', doc.specHash],
    ...(options.source ? ([['Results', options.source.path]] as [string, string][]) : []),
    ['Results written', `${dateText(doc.createdAt)} to ${dateText(doc.updatedAt)}`],
  ]);
  const file = options.source?.experimentFile;
  const backend = `--out rerun --backend ${doc.environment.backend}`;
  let command: string;
  if (file && path.basename(file) === 'experiment.json') {
    w.paragraph('The results folder holds experiment.json, the resolved experiment with every default filled in (its spec hash is the one above). To run the experiment again, with the same strategies, parameters and seeds:', { size: 8.5 });
    command = `cd ${shellQuote(path.dirname(file))}\nclwb run experiment.json ${backend}`;
  } else if (file) {
    w.paragraph(`${file} holds the experiment. To run it again, with the same strategies, parameters and seeds:`, { size: 8.5 });
    command = `clwb run ${shellQuote(file)} ${backend}`;
  } else {
    w.paragraph('Save the experiment printed in the appendix (the resolved spec, every default filled in) as experiment.json. To run it again, with the same strategies, parameters and seeds:', { size: 8.5 });
    command = `clwb run experiment.json ${backend}`;
  }
  w.command(command);
  w.paragraph(
    'The same spec, seed and backend give the same numbers; another backend or device may differ in the last digits. clwb validate experiment.json checks the file first. The appendix prints the resolved experiment in full.',
    { size: 8.5 },
  );
  if (options.command) {
    w.ensure(40);
    w.paragraph('This report was made with:', { size: 8.5, gap: 2 });
    w.command(options.command);
  }
}

function appendix(w: Writer, model: ReportModel): void {
  w.heading('Appendix: the resolved experiment (experiment.json)', 1, 80);
  const escape = w.clean !== identity;
  const json = experimentJson(model.document.experiment, escape);
  w.paragraph(json, { mono: true, size: 7, gap: 4 });
  if (json !== experimentJson(model.document.experiment)) w.caption('Characters outside Latin-1 are written as \\uXXXX escapes: the same JSON value.');
}

const identity = (text: string): string => text;

function shellQuote(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function footers(w: Writer, model: ReportModel): void {
  const range = w.doc.bufferedPageRange();
  const name = fitText(w.clean(model.document.experiment.name), WIDTH - 180, 7, false, w.fonts.family);
  for (let i = 0; i < range.count; i++) {
    w.doc.switchToPage(range.start + i);
    // Writing below the bottom margin would make pdfkit start a page; lift the margin for the footer.
    const saved = w.doc.page.margins.bottom;
    w.doc.page.margins.bottom = 0;
    const y = PAGE.height - 34;
    w.doc.moveTo(MARGIN.left, y - 5).lineTo(MARGIN.left + WIDTH, y - 5).lineWidth(0.4).strokeColor(COLOURS.rule).stroke();
    w.font(false, 7).fillColor(COLOURS.muted);
    w.doc.text(`${name} - spec ${model.document.specHash.slice(0, 12)}`, MARGIN.left, y, { width: WIDTH - 100, lineBreak: false });
    w.doc.text(`Page ${i + 1} of ${range.count}`, MARGIN.left + WIDTH - 100, y, { width: 100, align: 'right', lineBreak: false });
    w.doc.page.margins.bottom = saved;
  }
}

/** Renders the PDF report of `document` (narrowed with selectResults if wanted) to bytes. */
export async function buildPdf(document: ResultsDocument, options: PdfOptions = {}): Promise<Buffer> {
  const model = buildModel(document);
  const now = options.now ?? new Date();
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    info: {
      Title: `${document.experiment.name} - CL Workbench report`,
      Author: 'CL Workbench',
      Subject: `Comparison of ${model.strategies.length} continual-learning strategies`,
      Creator: `CL Workbench ${options.appVersion ?? APP_VERSION}`,
      CreationDate: now,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const fonts = setUpFonts(doc, options.fonts);
  registerMeasure(fonts, options.fonts);
  const w = new Writer(doc, fonts, options.fonts ? identity : winAnsi);
  w.y = MARGIN.top;
  // Everything is laid out synchronously: the process-wide chart measurer cannot interleave.
  titleBlock(w, model, { ...options, now });
  summarySection(w, model);
  chartsSection(w, model);
  experimentSection(w, model);
  environmentSection(w, model);
  definitionsSection(w);
  reproducibilitySection(w, model, options);
  appendix(w, model);
  footers(w, model);
  doc.end();
  return done;
}
