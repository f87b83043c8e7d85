/**
 * Keyboard shortcuts while a component is mounted. `mod` is Ctrl, or ⌘ on a Mac.
 * Keys typed into a field (inputs, selects, text areas) are left alone.
 */
import { onBeforeUnmount, onMounted } from 'vue';

export type ShortcutHandlers = Record<string, (event: KeyboardEvent) => void>;

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** `mod+shift+z`, `delete`, `f` ... for a key event. */
export function shortcutOf(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>, mac = isMac): string {
  const parts: string[] = [];
  if (mac ? event.metaKey : event.ctrlKey) parts.push('mod');
  if (event.altKey) parts.push('alt');
  if (event.shiftKey) parts.push('shift');
  parts.push(event.key.length === 1 ? event.key.toLowerCase() : event.key.toLowerCase());
  return parts.join('+');
}

export function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || typeof element.closest !== 'function') return false;
  return !!element.closest('input, textarea, select, [contenteditable="true"], .el-select__wrapper, .el-input');
}

export function useShortcuts(handlers: ShortcutHandlers): void {
  const listener = (event: KeyboardEvent) => {
    if (isTyping(event.target)) return;
    const handler = handlers[shortcutOf(event)];
    if (!handler) return;
    event.preventDefault();
    handler(event);
  };
  onMounted(() => window.addEventListener('keydown', listener));
  onBeforeUnmount(() => window.removeEventListener('keydown', listener));
}

/** How a shortcut reads on this machine (`Ctrl+Z`, `⌘Z`). */
export function shortcutLabel(shortcut: string): string {
  return shortcut
    .split('+')
    .map((part) => (part === 'mod' ? (isMac ? '⌘' : 'Ctrl') : part === 'shift' ? (isMac ? '⇧' : 'Shift') : part.length === 1 ? part.toUpperCase() : part[0].toUpperCase() + part.slice(1)))
    .join(isMac ? '' : '+');
}
