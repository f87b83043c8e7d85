/** The shell: which view is open (mirrored in the URL hash, so a reload comes back to it) and the theme. */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export type ViewName = 'designer' | 'runs' | 'compare' | 'datasets';
export const VIEWS: ViewName[] = ['designer', 'runs', 'compare', 'datasets'];
export type Theme = 'light' | 'dark';

const THEME_KEY = 'clwb.theme';

/** `#/compare/split-mnist` → { view: 'compare', id: 'split-mnist' }. */
export function parseHash(hash: string): { view: ViewName; id?: string } {
  const [view, id] = hash.replace(/^#\/?/, '').split('/');
  const name = (VIEWS as string[]).includes(view) ? (view as ViewName) : 'designer';
  return id ? { view: name, id: decodeURIComponent(id) } : { view: name };
}

export function formatHash(view: ViewName, id?: string): string {
  return `#/${view}${id ? `/${encodeURIComponent(id)}` : ''}`;
}

function initialTheme(): Theme {
  try {
    const stored = localStorage.getItem(THEME_KEY);
    if (stored === 'light' || stored === 'dark') return stored;
  } catch {
    // Storage may be off: fall back to the system setting.
  }
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const useUiStore = defineStore('ui', () => {
  const view = ref<ViewName>('designer');
  /** The experiment the URL names (designer and compare views). */
  const routeId = ref<string | undefined>();
  const theme = ref<Theme>(initialTheme());
  /** The palette and property panels can be folded away on small screens. */
  const paletteOpen = ref(true);

  function setTheme(next: Theme): void {
    theme.value = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      // Not persisted; still applied.
    }
  }

  function toggleTheme(): void {
    setTheme(theme.value === 'dark' ? 'light' : 'dark');
  }

  function go(next: ViewName, id?: string): void {
    view.value = next;
    routeId.value = id;
  }

  return { view, routeId, theme, paletteOpen, setTheme, toggleTheme, go };
});
