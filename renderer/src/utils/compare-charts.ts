/** ECharts options for the Compare view: ACC with error bars, accuracy over the stream, forgetting, cost vs accuracy. */
import { baseOption, categoryAxis, valueAxis, type ChartTheme } from './chart-theme.ts';
import type { CompareRow, Curve, MetricKey } from './compare.ts';
import { formatDuration } from './format.ts';

const percent = (value: number) => `${Math.round(value * 100)} %`;

/** A strategy's colour, the same in every chart (by its place in the results, not in the current sort). */
export type ColourOf = (label: string) => string;

interface RenderApi {
  value(dimension: number): number;
  coord(point: [number, number]): [number, number];
  size(point: [number, number]): [number, number];
}

/** A custom series drawing mean ± sd whiskers over a category axis. */
function errorBars(theme: ChartTheme, points: [number, number, number][]) {
  return {
    name: '± sd',
    type: 'custom' as const,
    data: points,
    z: 10,
    silent: true,
    encode: { x: 0, y: [1, 2] },
    renderItem: (_params: unknown, api: RenderApi) => {
      const x = api.value(0);
      const low = api.coord([x, api.value(1)]);
      const high = api.coord([x, api.value(2)]);
      const half = Math.max(3, api.size([1, 0])[0] * 0.12);
      const style = { stroke: theme.text, lineWidth: 1.2 };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: high[0], y1: high[1], x2: low[0], y2: low[1] }, style },
          { type: 'line', shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style },
          { type: 'line', shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style },
        ],
      };
    },
  };
}

/** One bar per strategy (mean over seeds) with ± sd whiskers. */
export function metricBarOption(theme: ChartTheme, rows: CompareRow[], colourOf: ColourOf, key: MetricKey = 'acc', baseline?: string) {
  const base = baseOption(theme);
  const labels = rows.map((r) => r.label);
  const bars = rows.map((row) => ({
    value: row.cells[key].mean,
    // The baseline keeps its colour and gets a dashed outline.
    itemStyle: { color: colourOf(row.label), ...(row.key === baseline ? { borderColor: theme.text, borderWidth: 1.5, borderType: 'dashed' as const } : {}) },
  }));
  const whiskers = rows.flatMap((row, index): [number, number, number][] => {
    const { mean, sd } = row.cells[key];
    return mean !== null && sd !== null ? [[index, Math.max(0, mean - sd), Math.min(1, mean + sd)]] : [];
  });
  return {
    ...base,
    legend: { show: false },
    tooltip: { ...base.tooltip, trigger: 'item' as const, formatter: (p: { dataIndex: number }) => {
      const row = rows[p.dataIndex];
      if (!row) return '';
      const { mean, sd, n } = row.cells[key];
      return `${row.label}<br/>${mean === null ? '–' : percent(mean)}${sd !== null ? ` ± ${(sd * 100).toFixed(1)} pp` : ''} (${n} seed${n === 1 ? '' : 's'})`;
    } },
    grid: { ...base.grid, top: 10, left: 6, bottom: 6 },
    xAxis: categoryAxis(theme, '', labels, { axisLabel: { color: theme.muted, fontSize: 10, interval: 0, rotate: labels.length > 4 ? 25 : 0, overflow: 'truncate', width: 90 } }),
    yAxis: valueAxis(theme, '', { min: 0, max: 1, axisLabel: { color: theme.muted, fontSize: 10, formatter: percent } }),
    series: [{ name: 'mean', type: 'bar' as const, data: bars, barMaxWidth: 42 }, errorBars(theme, whiskers)],
  };
}

/** Mean accuracy on the experiences seen, after each experience, per strategy (± sd as a band in the tooltip). */
export function accuracyCurveOption(theme: ChartTheme, curves: Curve[], colourOf: ColourOf) {
  const base = baseOption(theme);
  const count = Math.max(1, ...curves.map((c) => c.mean.length));
  return {
    ...base,
    tooltip: { ...base.tooltip, valueFormatter: (value: unknown) => (typeof value === 'number' ? percent(value) : '–') },
    grid: { ...base.grid, left: 6, bottom: 22 },
    xAxis: categoryAxis(theme, 'after training experience', Array.from({ length: count }, (_, i) => String(i + 1)), { boundaryGap: false, nameGap: 22 }),
    yAxis: valueAxis(theme, '', { min: 0, max: 1, axisLabel: { color: theme.muted, fontSize: 10, formatter: percent } }),
    series: curves.map((curve) => ({ name: curve.label, type: 'line' as const, data: curve.mean, symbolSize: 5, connectNulls: true, itemStyle: { color: colourOf(curve.label) }, lineStyle: { color: colourOf(curve.label) } })),
  };
}

/** Forgetting of each experience (all but the last), grouped by strategy. */
export function forgettingOption(theme: ChartTheme, curves: Curve[], colourOf: ColourOf) {
  const base = baseOption(theme);
  const count = Math.max(1, ...curves.map((c) => c.mean.length - 1));
  return {
    ...base,
    tooltip: { ...base.tooltip, valueFormatter: (value: unknown) => (typeof value === 'number' ? percent(value) : '–') },
    grid: { ...base.grid, left: 6, bottom: 22 },
    xAxis: categoryAxis(theme, 'experience', Array.from({ length: count }, (_, i) => String(i + 1)), { nameGap: 22 }),
    yAxis: valueAxis(theme, '', { min: 0, axisLabel: { color: theme.muted, fontSize: 10, formatter: percent } }),
    series: curves.map((curve) => ({ name: curve.label, type: 'bar' as const, data: curve.mean.slice(0, count), barMaxWidth: 18, itemStyle: { color: colourOf(curve.label) } })),
  };
}

/** Each strategy as a point: training time against ACC (up and to the left is better). */
export function costOption(theme: ChartTheme, rows: CompareRow[], colourOf: ColourOf) {
  const base = baseOption(theme);
  return {
    ...base,
    tooltip: {
      ...base.tooltip,
      trigger: 'item' as const,
      formatter: (p: { seriesName: string; value: [number, number] }) => `${p.seriesName}<br/>ACC ${percent(p.value[1])} · ${formatDuration(p.value[0])} training`,
    },
    grid: { ...base.grid, left: 6, right: 24, bottom: 22 },
    xAxis: valueAxis(theme, 'training time (s)', { min: 0, nameGap: 22 }),
    yAxis: valueAxis(theme, '', { min: 0, max: 1, axisLabel: { color: theme.muted, fontSize: 10, formatter: percent } }),
    series: rows
      .filter((row) => row.cells.trainSeconds.mean !== null && row.cells.acc.mean !== null)
      .map((row) => ({
        name: row.label,
        type: 'scatter' as const,
        symbolSize: 11,
        itemStyle: { color: colourOf(row.label) },
        data: [[row.cells.trainSeconds.mean, row.cells.acc.mean]],
      })),
  };
}
