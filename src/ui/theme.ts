/** Resolves the theme choice against the system preference and applies it to <html data-theme>. */
import { useLayoutEffect, useSyncExternalStore } from 'react';
import { useStudio } from './stores/studio';
import type { ThemeChoice } from './stores/themeSlice';

export type Theme = 'light' | 'dark';

const DARK_QUERY = '(prefers-color-scheme: dark)';

function subscribe(onChange: () => void): () => void {
  const query = window.matchMedia(DARK_QUERY);
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}

export function useSystemTheme(): Theme {
  return useSyncExternalStore(subscribe, () => (window.matchMedia(DARK_QUERY).matches ? 'dark' : 'light'));
}

export function resolveTheme(choice: ThemeChoice, system: Theme): Theme {
  return choice === 'system' ? system : choice;
}

/** Keeps the document's theme attribute in step with the store; CSS does the rest. */
export function useAppliedTheme(): void {
  const choice = useStudio((state) => state.theme);
  // Before paint, so a pinned theme never flashes the system one first.
  useLayoutEffect(() => {
    const root = document.documentElement;
    if (choice === 'system') delete root.dataset.theme;
    else root.dataset.theme = choice;
  }, [choice]);
}
