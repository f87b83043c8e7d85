/** Puts the theme on <html> (`dark` class: Element Plus' dark variables and ours). */
import { watchEffect } from 'vue';
import { useUiStore } from '../stores/ui.ts';

export function useTheme(): void {
  const ui = useUiStore();
  watchEffect(() => {
    const root = document.documentElement;
    root.classList.toggle('dark', ui.theme === 'dark');
    root.style.colorScheme = ui.theme;
  });
}
