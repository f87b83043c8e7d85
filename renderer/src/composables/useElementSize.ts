/** An element's content size, following it with a ResizeObserver (virtualised tables need pixels). */
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export function useElementSize(element: Ref<HTMLElement | undefined>, fallback = { width: 800, height: 400 }) {
  const width = ref(fallback.width);
  const height = ref(fallback.height);
  let observer: ResizeObserver | undefined;

  const measure = () => {
    const el = element.value;
    if (!el) return;
    const rect = el.getBoundingClientRect();
    // happy-dom and hidden elements measure 0: keep the fallback rather than a 0-pixel table.
    if (rect.width > 0) width.value = Math.floor(rect.width);
    if (rect.height > 0) height.value = Math.floor(rect.height);
  };

  onMounted(() => {
    measure();
    if (typeof ResizeObserver === 'function' && element.value) {
      observer = new ResizeObserver(measure);
      observer.observe(element.value);
    }
  });
  onBeforeUnmount(() => observer?.disconnect());

  return { width, height };
}
