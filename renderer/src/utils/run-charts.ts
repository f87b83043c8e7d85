/**
 * ECharts options for the live run charts, from run series (utils/run-series.ts).
 * Pure functions: the Runs view feeds them the selected runs once per frame.
 */
import { baseOption, categoryAxis, valueAxis, type ChartTheme } from './chart-theme.ts';
import { formatBytes, formatCount } from './format.ts';
import { accuracyMatrix, seenAccuracy, type Point, type RunSeries } from './run-series.ts';

export interface SeriesLine {
  name: string;
  series: RunSeries;
}

function lineOption(theme: ChartTheme, lines: { name: string; data: Point[] }[], yFormat?: (value: number) => string) {
  const base = baseOption(theme);
  return {
    ...base,
    tooltip: { ...base.tooltip, valueFormatter: yFormat ? (value: unknown) => (typeof value === 'number' ? yFormat(value) : String(value)) : undefined },
    legend: { show: false },
    xAxis: valueAxis(theme, 'run progress (%)', { min: 0, max: 100, nameGap: 22, splitLine: { show: false } }),
    yAxis: valueAxis(theme, '', { scale: true, ...(yFormat ? { axisLabel: { color: theme.muted, fontSize: 10, formatter: yFormat } } : {}) }),
    grid: { ...base.grid, top: 10, left: 6, bottom: 22 },
    series: lines.map((line) => ({
      name: line.name,
      type: 'line' as const,
      data: line.data,
      showSymbol: false,
      sampling: 'lttb' as const,
      lineStyle: { width: 1.5 },
      emphasis: { focus: 'series' as const },
    })),
  };
}

export function lossOption(theme: ChartTheme, lines: SeriesLine[]) {
  return lineOption(theme, lines.map((l) => ({ name: l.name, data: l.series.loss })));
}

export function throughputOption(theme: ChartTheme, lines: SeriesLine[]) {
  return lineOption(theme, lines.map((l) => ({ name: l.name, data: l.series.samplesPerSecond })), (v) => formatCount(v));
}

export function memoryOption(theme: ChartTheme, lines: SeriesLine[]) {
  return lineOption(theme, lines.map((l) => ({ name: l.name, data: l.series.memory })), (v) => formatBytes(v));
}

const experienceNames = (count: number) => Array.from({ length: count }, (_, i) => `${i + 1}`);

/**
 * Accuracy after each trained experience. One run: a line per test experience (how each
 * is learnt, then forgotten). Several: each run's mean accuracy over the experiences seen.
 */
export function accuracyOption(theme: ChartTheme, lines: SeriesLine[]) {
  const count = Math.max(1, ...lines.map((l) => l.series.experiences ?? l.series.evaluations.length));
  const base = baseOption(theme);
  const percent = (value: number) => `${Math.round(value * 100)} %`;
  let series;
  if (lines.length === 1) {
    const matrix = lines[0].series.evaluations;
    series = experienceNames(count).map((name, j) => ({
      name: `exp ${name}`,
      type: 'line' as const,
      // Only experiences trained so far: R[i][j] for j <= i.
      data: Array.from({ length: count }, (_, i) => (matrix[i] && j <= i ? (matrix[i]![j] ?? null) : null)),
      connectNulls: false,
      symbolSize: 5,
    }));
  } else {
    series = lines.map((line) => ({
      name: line.name,
      type: 'line' as const,
      data: Array.from({ length: count }, (_, i) => seenAccuracy(line.series)[i] ?? null),
      symbolSize: 5,
    }));
  }
  return {
    ...base,
    tooltip: { ...base.tooltip, valueFormatter: (value: unknown) => (typeof value === 'number' ? percent(value) : '–') },
    // One run: a legend of its experiences; several: the view's shared legend names the runs.
    legend: lines.length === 1 ? { ...base.legend, itemWidth: 10, itemGap: 6 } : { show: false },
    xAxis: categoryAxis(theme, 'after training experience', experienceNames(count), { boundaryGap: false, nameGap: 22 }),
    yAxis: valueAxis(theme, '', { min: 0, max: 1, axisLabel: { color: theme.muted, fontSize: 10, formatter: percent } }),
    grid: { ...base.grid, top: lines.length === 1 ? 28 : 10, left: 6, bottom: 22 },
    series,
  };
}

/** The accuracy matrix R[i][j] of one run as a heatmap (rows: after training i; columns: tested on j). */
export function matrixOption(theme: ChartTheme, line: SeriesLine | undefined, task = false) {
  const matrix = line ? accuracyMatrix(line.series, task) : [];
  const count = Math.max(line?.series.experiences ?? 0, matrix.length, ...matrix.map((row) => row.length), 1);
  const data: { value: [number, number, number]; label: { color: string } }[] = [];
  // Dark text on the light end of the ramp, light text on the dark end.
  const ink = (value: number) => ((theme.dark ? value < 0.55 : value > 0.45) ? '#ffffff' : '#102a43');
  matrix.forEach((row, i) => row.forEach((value, j) => data.push({ value: [j, i, Math.round(value * 1000) / 1000], label: { color: ink(value) } })));
  const base = baseOption(theme);
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: base.textStyle,
    tooltip: {
      ...base.tooltip,
      trigger: 'item' as const,
      formatter: (params: { value: [number, number, number] }) => `after experience ${params.value[1] + 1}, tested on ${params.value[0] + 1}: ${(params.value[2] * 100).toFixed(1)} %`,
    },
    grid: { left: 22, right: 56, top: 8, bottom: 22, containLabel: true },
    xAxis: categoryAxis(theme, 'tested on experience', experienceNames(count), { splitArea: { show: false }, position: 'bottom', nameGap: 22 }),
    yAxis: { ...categoryAxis(theme, 'after training', experienceNames(count), { nameGap: 20 }), inverse: true },
    visualMap: {
      min: 0,
      max: 1,
      calculable: false,
      orient: 'vertical' as const,
      right: 0,
      top: 'middle',
      itemHeight: 100,
      itemWidth: 10,
      text: ['100 %', '0 %'],
      textStyle: { color: theme.muted, fontSize: 10 },
      inRange: { color: theme.ramp },
    },
    series: [
      {
        name: line?.name ?? 'accuracy',
        type: 'heatmap' as const,
        data,
        label: { show: count <= 10, fontSize: 10, formatter: (params: { value: [number, number, number] }) => (params.value[2] * 100).toFixed(0) },
        emphasis: { itemStyle: { borderColor: theme.text, borderWidth: 1 } },
      },
    ],
  };
}
