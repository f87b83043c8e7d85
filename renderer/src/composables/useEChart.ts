/**
 * An ECharts instance on an element, kept in step with a reactive option: updates are
 * coalesced to one `setOption` per animation frame, the chart follows its element's
 * size, and it is disposed with the component. Only the chart types the workbench
 * draws are registered (a smaller bundle). Component tests mock this module: ECharts'
 * canvas renderer does not run in happy-dom.
 */
import { BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue';

echarts.use([LineChart, BarChart, ScatterChart, HeatmapChart, CustomChart, GridComponent, TooltipComponent, LegendComponent, VisualMapComponent, CanvasRenderer]);

export function useEChart(element: Ref<HTMLElement | undefined>, option: Ref<object>): void {
  let chart: echarts.ECharts | undefined;
  let frame: number | undefined;
  let observer: ResizeObserver | undefined;

  const apply = () => {
    frame = undefined;
    // replaceMerge keeps what the user toggled in the legend while series data change.
    chart?.setOption(option.value as echarts.EChartsCoreOption, { replaceMerge: ['series'], lazyUpdate: false });
  };

  onMounted(() => {
    if (!element.value) return;
    chart = echarts.init(element.value, undefined, { renderer: 'canvas' });
    chart.setOption(option.value as echarts.EChartsCoreOption, { notMerge: true });
    observer = new ResizeObserver(() => chart?.resize());
    observer.observe(element.value);
  });

  watch(option, () => {
    if (frame === undefined) frame = requestAnimationFrame(apply);
  });

  onBeforeUnmount(() => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    observer?.disconnect();
    chart?.dispose();
    chart = undefined;
  });
}
