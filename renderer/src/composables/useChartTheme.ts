/** The chart colours of the current theme. */
import { computed } from 'vue';
import { useUiStore } from '../stores/ui.ts';
import { chartTheme } from '../utils/chart-theme.ts';

export function useChartTheme() {
  const ui = useUiStore();
  return computed(() => chartTheme(ui.theme === 'dark'));
}
