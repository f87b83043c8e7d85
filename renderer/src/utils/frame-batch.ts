/**
 * Batches items until the next animation frame, then hands them over at once: live
 * events from several runs become one store update (and one chart redraw) per frame.
 */
export type FrameScheduler = (callback: () => void) => unknown;

export const nextFrame: FrameScheduler = (callback) =>
  typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => callback()) : setTimeout(callback, 16);

export interface FrameBatcher<T> {
  push(item: T): void;
  /** Hands over what is pending now. */
  flush(): void;
  readonly pending: number;
}

export function createFrameBatcher<T>(apply: (items: T[]) => void, schedule: () => FrameScheduler = () => nextFrame): FrameBatcher<T> {
  let items: T[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (items.length === 0) return;
    const batch = items;
    items = [];
    apply(batch);
  };
  return {
    push(item) {
      items.push(item);
      if (!scheduled) {
        scheduled = true;
        schedule()(flush);
      }
    },
    flush,
    get pending() {
      return items.length;
    },
  };
}
