/** The colour theme: 'system' follows prefers-color-scheme; the toggle pins light or dark. */
import type { StateCreator } from 'zustand';

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface ThemeSlice {
  theme: ThemeChoice;
  setTheme(theme: ThemeChoice): void;
}

export const createThemeSlice: StateCreator<ThemeSlice, [], [], ThemeSlice> = (set) => ({
  theme: 'system',
  setTheme: (theme) => set({ theme }),
});
