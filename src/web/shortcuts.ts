// Keyboard shortcuts of the editor, one table: the help overlay (?) is generated from it.
import { isTyping } from './dom.ts';

export interface Shortcut {
  /** As shown in the help, e.g. "Ctrl+Z". */
  readonly keys: string;
  readonly does: string;
  readonly match: (e: KeyboardEvent) => boolean;
  readonly run: (e: KeyboardEvent) => void;
  /** Also while typing in a field (Ctrl+Enter, Ctrl+S). */
  readonly inFields?: boolean;
}

const mod = (e: KeyboardEvent): boolean => e.ctrlKey || e.metaKey;

/** `key` with Ctrl/Cmd when `withMod`, and without it otherwise. */
export function keyIs(key: string, withMod = false, shift?: boolean): (e: KeyboardEvent) => boolean {
  return (e) => e.key.toLowerCase() === key.toLowerCase() && mod(e) === withMod && (shift === undefined || e.shiftKey === shift) && !e.altKey;
}

/** Listens on the window; the first matching shortcut runs and the browser's default is prevented. */
export function installShortcuts(shortcuts: readonly Shortcut[]): void {
  window.addEventListener('keydown', (e) => {
    const typing = isTyping(e.target);
    for (const s of shortcuts) {
      if ((typing && s.inFields !== true) || !s.match(e)) continue;
      e.preventDefault();
      s.run(e);
      return;
    }
  });
}
