/**
 * Colours for ECharts in the light and dark themes (ECharts draws on a canvas and
 * cannot read CSS variables), and the option pieces every chart shares. Animation
 * is off: charts redraw many times a second while runs train, and screenshots must
 * be stable.
 */

export interface ChartTheme {
  dark: boolean;
  text: string;
  muted: string;
  axis: string;
  split: string;
  tooltip: string;
  palette: string[];
  /** Heatmap colour ramp, low to high. */
  ramp: string[];
}

// Colour-blind-safe categorical palette (Okabe–Ito, with a darker yellow).
const PALETTE_LIGHT = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#8a7a00', '#444444', '#7b3294', '#1b7837'];
const PALETTE_DARK = ['#4aa8e8', '#ff8a4c', '#2fd0a0', '#e59ccc', '#f5b93e', '#8fd0f5', '#e6d84a', '#bbbbbb', '#c38be0', '#7ccf8a'];

export function chartTheme(dark: boolean): ChartTheme {
  return dark
    ? { dark, text: '#d8dee9', muted: '#8b95a7', axis: '#4c566a', split: '#2e3440', tooltip: '#1f2430', palette: PALETTE_DARK, ramp: ['#1b2a41', '#23507a', '#2f7fb3', '#52b3d9', '#a6e3f0'] }
    : { dark, text: '#1f2933', muted: '#627d98', axis: '#bcccdc', split: '#e4e7eb', tooltip: '#ffffff', palette: PALETTE_LIGHT, ramp: ['#f0f4f8', '#bcd6ec', '#6fa8d6', '#2f6fad', '#123d6a'] };
}

/** What every chart starts from. */
export function baseOption(theme: ChartTheme) {
  return {
    animation: false,
    backgroundColor: 'transparent',
    color: theme.palette,
    textStyle: { color: theme.text, fontFamily: 'Inter, system-ui, sans-serif', fontSize: 11 },
    tooltip: {
      trigger: 'axis' as const,
      backgroundColor: theme.tooltip,
      borderColor: theme.axis,
      textStyle: { color: theme.text, fontSize: 12 },
      confine: true,
    },
    legend: { type: 'scroll' as const, top: 0, left: 0, right: 0, textStyle: { color: theme.muted, fontSize: 11 }, itemWidth: 14, itemHeight: 8, icon: 'roundRect' },
    grid: { left: 8, right: 16, top: 34, bottom: 8, containLabel: true },
  };
}

export function valueAxis(theme: ChartTheme, name: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'value' as const,
    name,
    nameLocation: 'middle' as const,
    nameGap: 36,
    nameTextStyle: { color: theme.muted, fontSize: 11 },
    axisLine: { show: true, lineStyle: { color: theme.axis } },
    axisLabel: { color: theme.muted, fontSize: 10 },
    splitLine: { lineStyle: { color: theme.split } },
    ...extra,
  };
}

export function categoryAxis(theme: ChartTheme, name: string, data: string[], extra: Record<string, unknown> = {}) {
  return {
    type: 'category' as const,
    name,
    nameLocation: 'middle' as const,
    nameGap: 26,
    nameTextStyle: { color: theme.muted, fontSize: 11 },
    data,
    axisLine: { lineStyle: { color: theme.axis } },
    axisLabel: { color: theme.muted, fontSize: 10 },
    axisTick: { alignWithLabel: true },
    ...extra,
  };
}

/** How many data points an option's series hold (the charts expose it for tests and empty states). */
export function countPoints(option: { series?: unknown }): number {
  const series = Array.isArray(option.series) ? option.series : option.series ? [option.series] : [];
  return series.reduce((sum: number, s: unknown) => {
    const data = (s as { data?: unknown }).data;
    return sum + (Array.isArray(data) ? data.filter((d) => d !== null && d !== undefined && d !== '-').length : 0);
  }, 0);
}
