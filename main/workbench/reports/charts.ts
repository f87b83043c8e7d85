/**
 * The report's charts, rendered to SVG by ECharts' server-side renderer (no browser, no canvas)
 * and drawn into the PDF as vectors. Sizes are in PDF points (1 SVG px = 1 pt), so font sizes
 * here are the printed sizes. Animation is off: SSR renders the final frame.
 *
 * Text widths: ECharts lays out labels with zrender's measureText; `registerFontFamily` replaces
 * it with the PDF font's own metrics so truncation and label placement match what is printed.
 */
import * as echarts from 'echarts';
import type { Summary } from '../../engine/metrics/index.ts';

/** A rendered chart: SVG text and its size in points. */
export interface SvgChart {
  svg: string;
  width: number;
  height: number;
}

/** Measures text as the PDF will draw it (size in points). */
export type TextMeasure = (text: string, size: number, bold: boolean) => number;

const measures = new Map<string, TextMeasure>();
let installed = false;

const fallbackMeasure: TextMeasure = (text, size) => text.length * size * 0.55;

/** The measure for a chart font family; the approximate one for families never registered. */
export function measureFor(family: string): TextMeasure {
  return measures.get(family) ?? fallbackMeasure;
}

/**
 * Makes ECharts measure text in `family` with `measure` (the PDF font's metrics). The platform
 * hook is process-wide; dispatching on the family keeps reports with different fonts apart.
 */
export function registerFontFamily(family: string, measure: TextMeasure): void {
  measures.set(family, measure);
  if (installed) return;
  installed = true;
  echarts.setPlatformAPI({
    measureText: (text: string, font?: string) => {
      const spec = font ?? '12px sans-serif';
      const size = Number(/([\d.]+)px/.exec(spec)?.[1] ?? 12);
      const bold = /\b(bold|bolder|[6-9]00)\b/.test(spec);
      const name = (/px\s+(.*)$/.exec(spec)?.[1] ?? '').trim().replace(/^["']|["']$/g, '');
      return { width: measureFor(name)(text ?? '', size, bold) };
    },
  });
}

/** Tableau 10: distinct, colour-blind-aware, prints well. Curves use at most 10 per chart. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const SYMBOLS = ['circle', 'rect', 'triangle', 'diamond', 'emptyCircle', 'emptyRect', 'emptyTriangle', 'emptyDiamond', 'roundRect', 'emptyRoundRect'];
const HEAT_COLOURS = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];
export const HEAT_RANGE = HEAT_COLOURS;

export interface ChartStyle {
  /** Font family name as the PDF knows it (the SVG names it; the PDF's fontCallback resolves it). */
  fontFamily: string;
  /** Makes text drawable by the PDF fonts (WinAnsi for the standard fonts). */
  clean: (text: string) => string;
}

function render(option: echarts.EChartsOption, width: number, height: number): SvgChart {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, ...option });
    return { svg: chart.renderToSVGString(), width, height };
  } finally {
    chart.dispose();
  }
}

const AXIS_FONT = 7.5;
const AXIS_NAME_FONT = 8;

function textStyle(style: ChartStyle) {
  return { fontFamily: style.fontFamily, fontSize: AXIS_FONT, color: '#333' };
}

/** Truncates `text` with "..." to fit `width` points at `size`. */
export function fitText(text: string, width: number, size: number, bold: boolean, family: string): string {
  const measure = measureFor(family);
  if (measure(text, size, bold) <= width) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (measure(`${text.slice(0, mid)}...`, size, bold) <= width) low = mid;
    else high = mid - 1;
  }
  return `${text.slice(0, low).trimEnd()}...`;
}

/** A round tick step giving about `target` intervals over `span`. */
export function niceStep(span: number, target = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normal = raw / magnitude;
  const step = normal <= 1 ? 1 : normal <= 2 ? 2 : normal <= 2.5 ? 2.5 : normal <= 5 ? 5 : 10;
  return step * magnitude;
}

/** Rounds away float noise (0.30000000000000004) so tick values print cleanly. */
const tidy = (value: number): number => Number(value.toPrecision(12));

/** The height of a bar chart with `rows` strategies and `series` bars per strategy. */
export function barChartHeight(rows: number, series: number): number {
  const rowHeight = Math.max(13, 8 * series + 4);
  return Math.round(rows * rowHeight + 40 + (series > 1 ? 18 : 0));
}

/** Two decimals, without "-0.00". */
const twoDecimals = (value: number): string => {
  const text = value.toFixed(2);
  return text === '-0.00' ? '0.00' : text;
};

export interface BarSeries {
  name: string;
  colour: string;
  values: Summary[];
}

/**
 * Horizontal bars, one row per strategy (long names stay readable), mean with a ±sd error bar and
 * the mean printed at the bar's end. Drawn with custom series so bars and error bars of grouped
 * series line up exactly.
 */
export function barChart(options: { categories: string[]; series: BarSeries[]; width: number; axisName: string; style: ChartStyle; min?: number; max?: number }): SvgChart {
  const { categories, series, width, style } = options;
  const height = barChartHeight(categories.length, series.length);
  const legendHeight = series.length > 1 ? 18 : 0;
  const labelWidth = Math.min(170, Math.max(...categories.map((c) => measureFor(style.fontFamily)(c, AXIS_FONT, false))) + 6);
  const extent = series.flatMap((s) => s.values.flatMap((v) => (v.mean === null ? [] : [v.mean - (v.sd ?? 0), v.mean + (v.sd ?? 0)])));
  const low = Math.min(0, ...extent);
  const high = Math.max(0, ...extent);
  // Ticks on round values, with room past the error bar for the printed mean.
  const room = (high - low || 1) * 0.14;
  const step = niceStep(high - low + 2 * room, 6);
  // A given min/max (0..1.12 for accuracies) is widened if a whisker and its label need more room.
  const fitted = { min: low < 0 ? tidy(Math.floor((low - room) / step) * step) : 0, max: high > 0 ? tidy(Math.ceil((high + room) / step) * step) : 0 };
  const min = options.min === undefined || fitted.min < options.min ? fitted.min : options.min;
  const max = options.max === undefined || fitted.max > options.max ? fitted.max : options.max;
  const fixedStep = min === fitted.min && max === fitted.max ? step : niceStep(max - min, 6);
  const customSeries = series.map((s, seriesIndex) => ({
    type: 'custom' as const,
    name: s.name,
    itemStyle: { color: s.colour },
    encode: { x: 1, y: 0 },
    data: s.values.map((v, i) => [i, v.mean ?? NaN, v.sd ?? 0]),
    renderItem: (_params: unknown, api: echarts.CustomSeriesRenderItemAPI) => {
      const index = api.value(0) as number;
      const mean = api.value(1) as number;
      const sd = api.value(2) as number;
      if (!Number.isFinite(mean)) return { type: 'group', children: [] };
      const band = (api.size!([0, 1]) as number[])[1];
      const barHeight = Math.min(10, (band * 0.8) / series.length);
      const [, centre] = api.coord([0, index]);
      const y = centre - (barHeight * series.length) / 2 + seriesIndex * barHeight;
      const [x0] = api.coord([0, index]);
      const [x1] = api.coord([mean, index]);
      const [xLow] = api.coord([mean - sd, index]);
      const [xHigh] = api.coord([mean + sd, index]);
      const middle = y + barHeight / 2;
      const whisker = Math.min(3, barHeight / 2 - 0.5);
      const positive = mean >= 0;
      const children: unknown[] = [
        { type: 'rect', shape: { x: Math.min(x0, x1), y: y + 0.5, width: Math.max(Math.abs(x1 - x0), 0.5), height: barHeight - 1 }, style: { fill: s.colour } },
      ];
      if (sd > 0) {
        children.push(
          { type: 'line', shape: { x1: xLow, y1: middle, x2: xHigh, y2: middle }, style: { stroke: '#222', lineWidth: 0.8 } },
          { type: 'line', shape: { x1: xLow, y1: middle - whisker, x2: xLow, y2: middle + whisker }, style: { stroke: '#222', lineWidth: 0.8 } },
          { type: 'line', shape: { x1: xHigh, y1: middle - whisker, x2: xHigh, y2: middle + whisker }, style: { stroke: '#222', lineWidth: 0.8 } },
        );
      }
      const labelX = positive ? Math.max(x1, xHigh) + 3 : Math.min(x1, xLow) - 3;
      children.push({
        type: 'text',
        style: { x: labelX, y: middle, text: twoDecimals(mean), fontSize: Math.min(7, barHeight), fontFamily: style.fontFamily, fill: '#222', align: positive ? 'left' : 'right', verticalAlign: 'middle' },
      });
      return { type: 'group', children };
    },
  }));
  return render(
    {
      textStyle: textStyle(style),
      legend: series.length > 1 ? { top: 0, left: 'center', itemWidth: 12, itemHeight: 8, textStyle: textStyle(style), data: series.map((s) => s.name) } : { show: false },
      grid: { left: labelWidth + 4, right: 12, top: 8 + legendHeight, bottom: 30, containLabel: false },
      xAxis: {
        type: 'value', min, max, interval: fixedStep, name: options.axisName, nameLocation: 'middle', nameGap: 18,
        nameTextStyle: { fontFamily: style.fontFamily, fontSize: AXIS_NAME_FONT },
        // A max that is not on a tick (room for labels past 1.0) gets no label of its own.
        axisLabel: { fontFamily: style.fontFamily, fontSize: AXIS_FONT, showMaxLabel: Math.abs(max / fixedStep - Math.round(max / fixedStep)) < 1e-9, showMinLabel: Math.abs(min / fixedStep - Math.round(min / fixedStep)) < 1e-9 },
        splitLine: { lineStyle: { color: '#e4e4e4' } },
      },
      yAxis: {
        type: 'category', inverse: true, data: categories,
        axisLine: { onZero: false }, axisTick: { show: false },
        axisLabel: { fontFamily: style.fontFamily, fontSize: AXIS_FONT, width: labelWidth, overflow: 'truncate', interval: 0 },
      },
      series: customSeries,
    } as echarts.EChartsOption,
    width,
    height,
  );
}

export interface CurveSeries {
  name: string;
  values: Summary[];
}

/** Lines of accuracy after each experience (mean over seeds; the band is ±sd), at most 10 series. */
export function curveChart(options: { panels: { title: string; series: CurveSeries[] }[]; experiences: number; width: number; style: ChartStyle }): SvgChart {
  const { panels, experiences, width, style } = options;
  const names = panels[0].series.map((s) => s.name);
  const measure = measureFor(style.fontFamily);
  // The legend is laid out here, one legend component per row, so its height is known exactly.
  // An item is its symbol (18), text padding (5), its text and the gap to the next (12).
  const rows: string[][] = [[]];
  let used = 0;
  for (const name of names) {
    const itemWidth = 18 + 5 + measure(name, AXIS_FONT, false) + 12;
    if (used + itemWidth > width - 20 && rows[rows.length - 1].length > 0) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push(name);
    used += itemWidth;
  }
  const legendHeight = rows.length * 14 + 4;
  const plotHeight = 170;
  const height = Math.round(legendHeight + 18 + plotHeight + 34);
  const gap = 40;
  const panelWidth = (width - 40 - gap * (panels.length - 1)) / panels.length;
  const top = legendHeight + 18;
  const grids = panels.map((_, k) => ({ left: 34 + k * (panelWidth + gap), top, width: panelWidth, height: plotHeight }));
  const categories = Array.from({ length: experiences }, (_, i) => String(i + 1));
  return render(
    {
      textStyle: textStyle(style),
      color: PALETTE,
      legend: rows.map((row, k) => ({ top: k * 14, left: 10, itemWidth: 18, itemHeight: 7, itemGap: 12, textStyle: textStyle(style), data: row })),
      title: panels.map((p, k) => ({ text: p.title, left: grids[k].left + panelWidth / 2, top: legendHeight + 2, textAlign: 'center', textStyle: { fontFamily: style.fontFamily, fontSize: 8.5, fontWeight: 'bold' } })),
      grid: grids,
      xAxis: panels.map((_, k) => ({
        type: 'category', gridIndex: k, data: categories, boundaryGap: false, name: 'after training experience', nameLocation: 'middle', nameGap: 18,
        nameTextStyle: { fontFamily: style.fontFamily, fontSize: AXIS_NAME_FONT }, axisLabel: { fontFamily: style.fontFamily, fontSize: AXIS_FONT },
      })),
      yAxis: panels.map((_, k) => ({
        type: 'value', gridIndex: k, min: 0, max: 1, interval: 0.2,
        axisLabel: { fontFamily: style.fontFamily, fontSize: AXIS_FONT }, splitLine: { lineStyle: { color: '#e4e4e4' } },
      })),
      series: panels.flatMap((panel, k) =>
        panel.series.map((s, i) => ({
          type: 'line' as const, name: s.name, xAxisIndex: k, yAxisIndex: k,
          symbol: SYMBOLS[i % SYMBOLS.length], symbolSize: 5, lineStyle: { width: 1.3 },
          data: s.values.map((v) => v.mean),
        })),
      ),
    } as echarts.EChartsOption,
    width,
    height,
  );
}

/** One accuracy-matrix heatmap (rows: after training i; columns: evaluated on j), colour scale 0..1. */
export function heatmapChart(options: { matrix: number[][]; width: number; height: number; style: ChartStyle }): SvgChart {
  const { matrix, width, height, style } = options;
  const rows = matrix.length;
  const cols = Math.max(...matrix.map((r) => r.length));
  const left = 24;
  const top = 4;
  const right = 6;
  const bottom = 30;
  const cell = Math.min((width - left - right) / cols, (height - top - bottom) / rows);
  // Values in the cells while they fit: "0.00" needs about 15 pt at 5.5 pt.
  const labelSize = cell >= 30 ? 7 : cell >= 22 ? 6 : cell >= 15 ? 5.5 : 0;
  const data = matrix.flatMap((row, i) =>
    row.map((value, j) => ({ value: [j, i, value], label: { color: value > 0.55 ? '#fff' : '#111' } })),
  );
  const axisLabel = { fontFamily: style.fontFamily, fontSize: 6.5, interval: cols > 12 ? Math.ceil(cols / 10) - 1 : 0 };
  return render(
    {
      textStyle: textStyle(style),
      // Centred in its box when the height limits the cell size.
      grid: { left: left + (width - left - right - cell * cols) / 2, top, width: cell * cols, height: cell * rows },
      xAxis: {
        type: 'category', data: Array.from({ length: cols }, (_, j) => String(j + 1)), position: 'bottom',
        name: 'evaluated on experience', nameLocation: 'middle', nameGap: 17, nameTextStyle: { fontFamily: style.fontFamily, fontSize: 6.5 },
        axisLabel, axisTick: { show: false }, axisLine: { show: false }, splitArea: { show: false },
      },
      yAxis: {
        type: 'category', inverse: true, data: Array.from({ length: rows }, (_, i) => String(i + 1)),
        name: 'after training', nameLocation: 'middle', nameGap: 12, nameRotate: 90, nameTextStyle: { fontFamily: style.fontFamily, fontSize: 6.5 },
        axisLabel: { ...axisLabel, interval: rows > 12 ? Math.ceil(rows / 10) - 1 : 0 }, axisTick: { show: false }, axisLine: { show: false },
      },
      visualMap: { show: false, min: 0, max: 1, dimension: 2, inRange: { color: HEAT_COLOURS } },
      series: [
        {
          type: 'heatmap', data,
          label: { show: labelSize > 0, fontSize: labelSize, fontFamily: style.fontFamily, formatter: (p: { value: number[] }) => p.value[2].toFixed(2) },
          itemStyle: { borderColor: '#fff', borderWidth: 0.5 },
        },
      ],
    } as echarts.EChartsOption,
    width,
    height,
  );
}

export interface ScatterPoint {
  /** The label printed next to the point when there is room (the strategy name). */
  label: string;
  /** The short label used when the long one does not fit (the strategy number). */
  short: string;
  x: number | null;
  y: number | null;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** A placed label: its text, its box, and the point it names (a leader line joins them when apart). */
export interface PlacedLabel {
  text: string;
  box: Box;
  anchor: { x: number; y: number };
  leader: boolean;
}

/**
 * Places point labels without overlaps (ECharts' own label layout only runs in a browser).
 * Points closer than a few points to each other form one group, labelled with their short
 * labels ("3, 7, 12"). A single point tries its long label, then its short one, next to it;
 * then (short labels) spots further out on rings around it, joined by a leader line. Labels
 * never overlap each other, the points, or leave the plot; a label that finds no room is
 * returned in `unplaced` (the caller lists those in the caption).
 */
export function placeLabels(
  points: { x: number; y: number; label: string; short: string }[],
  area: Box,
  size: number,
  measure: (text: string) => number,
): { placed: PlacedLabel[]; unplaced: string[] } {
  const height = size + 1.5;
  // Single-linkage groups of points within 5 pt of each other.
  const groups: { x: number; y: number; members: typeof points }[] = [];
  const owner = points.map((_, i) => i);
  const find = (i: number): number => (owner[i] === i ? i : (owner[i] = find(owner[i])));
  points.forEach((a, i) => points.forEach((b, j) => {
    if (j > i && Math.hypot(a.x - b.x, a.y - b.y) < 5) owner[find(j)] = find(i);
  }));
  const byRoot = new Map<number, typeof points>();
  points.forEach((p, i) => byRoot.set(find(i), [...(byRoot.get(find(i)) ?? []), p]));
  for (const members of byRoot.values()) {
    groups.push({ x: members.reduce((a, p) => a + p.x, 0) / members.length, y: members.reduce((a, p) => a + p.y, 0) / members.length, members });
  }
  const boxes: Box[] = [];
  const dots: Box[] = points.map((p) => ({ x: p.x - 3.5, y: p.y - 3.5, width: 7, height: 7 }));
  const inside = (b: Box) => b.x >= area.x && b.y >= area.y && b.x + b.width <= area.x + area.width && b.y + b.height <= area.y + area.height;
  const free = (b: Box) => inside(b) && !boxes.some((o) => overlaps(o, b)) && !dots.some((d) => overlaps(d, b));
  const placed: PlacedLabel[] = [];
  const unplaced: string[] = [];
  for (const group of groups) {
    const { x, y } = group;
    const near = (width: number): Box[] => [
      { x: x + 5, y: y - height / 2, width, height },
      { x: x - 5 - width, y: y - height / 2, width, height },
      { x: x - width / 2, y: y - 5 - height, width, height },
      { x: x - width / 2, y: y + 5, width, height },
    ];
    // Rings of spots further out, the label's nearest corner or edge towards the point.
    const rings = (width: number): Box[] =>
      [14, 22, 32, 44, 58].flatMap((r) =>
        Array.from({ length: 16 }, (_, k) => {
          const angle = (k / 16) * 2 * Math.PI;
          const cx = x + r * Math.cos(angle);
          const cy = y + r * Math.sin(angle);
          return { x: Math.cos(angle) >= 0 ? cx : cx - width, y: cy - height / 2, width, height };
        }),
      );
    const short = group.members.map((m) => m.short).join(', ');
    const attempts: [string, (width: number) => Box[], boolean][] =
      group.members.length === 1 ? [[group.members[0].label, near, false], [short, near, false], [short, rings, true]] : [[short, near, false], [short, rings, true]];
    let done = false;
    for (const [text, spots, leader] of attempts) {
      const box = spots(measure(text)).find(free);
      if (box) {
        boxes.push(box);
        placed.push({ text, box, anchor: { x, y }, leader });
        done = true;
        break;
      }
    }
    if (!done) unplaced.push(short);
  }
  return { placed, unplaced };
}

/** Cost (x; log scale when it spans more than a decade) against accuracy (y), points labelled. */
export function scatterChart(options: { points: ScatterPoint[]; width: number; height: number; xName: string; yName: string; title: string; style: ChartStyle; xFormat?: (v: number) => string }): SvgChart & { unlabelled: string[] } {
  const { width, height, style } = options;
  const points = options.points.filter((p): p is ScatterPoint & { x: number; y: number } => p.x !== null && p.y !== null && Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = points.map((p) => p.x);
  const log = xs.length > 1 && xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) > 10;
  let xMin: number;
  let xMax: number;
  let step: number | undefined;
  if (log) {
    xMin = 10 ** Math.floor(Math.log10(Math.min(...xs)));
    xMax = 10 ** Math.ceil(Math.log10(Math.max(...xs)));
  } else {
    const top = Math.max(0, ...xs);
    step = niceStep(top * 1.08 || 1, 4);
    xMin = 0;
    xMax = tidy(Math.ceil((top * 1.08 || 1) / step) * step);
  }
  const grid = { left: 42, right: 14, top: 24, bottom: 34 };
  const plot = { x: grid.left, y: grid.top, width: width - grid.left - grid.right, height: height - grid.top - grid.bottom };
  const scale = (x: number) => (log ? (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin)) : (x - xMin) / (xMax - xMin));
  const labelSize = 6.5;
  const measure = measureFor(style.fontFamily);
  const { placed, unplaced } = placeLabels(
    points.map((p) => ({ x: plot.x + scale(p.x) * plot.width, y: plot.y + (1 - p.y) * plot.height, label: p.label, short: p.short })),
    { x: plot.x + 1, y: plot.y + 1, width: plot.width - 2, height: plot.height - 2 },
    labelSize,
    (text) => measure(text, labelSize, false),
  );
  const leaders = placed.filter((p) => p.leader).map(({ box, anchor }) => {
    // From the point to the nearest point of the label's box.
    const tx = Math.min(Math.max(anchor.x, box.x), box.x + box.width);
    const ty = Math.min(Math.max(anchor.y, box.y), box.y + box.height);
    return { type: 'line', z: 99, silent: true, shape: { x1: anchor.x, y1: anchor.y, x2: tx, y2: ty }, style: { stroke: '#999', lineWidth: 0.5 } };
  });
  const chart = render(
    {
      textStyle: textStyle(style),
      title: { text: options.title, left: 'center', top: 0, textStyle: { fontFamily: style.fontFamily, fontSize: 8.5, fontWeight: 'bold' } },
      grid: { ...grid, containLabel: false },
      xAxis: {
        type: log ? 'log' : 'value', min: xMin, max: xMax, ...(step ? { interval: step } : {}), name: options.xName, nameLocation: 'middle', nameGap: 20,
        nameTextStyle: { fontFamily: style.fontFamily, fontSize: AXIS_NAME_FONT },
        axisLabel: { fontFamily: style.fontFamily, fontSize: AXIS_FONT, ...(options.xFormat ? { formatter: options.xFormat } : {}) },
        splitLine: { lineStyle: { color: '#e4e4e4' } },
      },
      yAxis: {
        type: 'value', min: 0, max: 1, interval: 0.2, name: options.yName, nameLocation: 'middle', nameGap: 28,
        nameTextStyle: { fontFamily: style.fontFamily, fontSize: AXIS_NAME_FONT }, axisLabel: { fontFamily: style.fontFamily, fontSize: AXIS_FONT },
        splitLine: { lineStyle: { color: '#e4e4e4' } },
      },
      series: [{ type: 'scatter', symbolSize: 6, itemStyle: { color: PALETTE[0] }, data: points.map((p) => [p.x, p.y]) }],
      graphic: {
        elements: [
          ...leaders,
          ...placed.map(({ text, box }) => ({
            type: 'text', x: box.x, y: box.y + 0.75, z: 100, silent: true,
            style: { text, fontSize: labelSize, fontFamily: style.fontFamily, fill: '#222', align: 'left', verticalAlign: 'top' },
          })),
        ],
      },
    } as echarts.EChartsOption,
    width,
    height,
  );
  return { ...chart, unlabelled: unplaced };
}
