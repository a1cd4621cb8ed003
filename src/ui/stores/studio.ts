/**
 * The studio's one bound store, combined from per-domain slices (later: datasets, runs, adapters, compare).
 * Middleware sits here only: the theme choice persists across visits; device state never does.
 */
import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createDeviceSlice, type DeviceSlice } from './deviceSlice';
import { createThemeSlice, type ThemeSlice } from './themeSlice';

export type StudioState = DeviceSlice & ThemeSlice;

export const useStudio = create<StudioState>()(
  persist(
    (...args) => ({
      ...createDeviceSlice(...args),
      ...createThemeSlice(...args),
    }),
    {
      name: 'webtune.studio',
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (state) => ({ theme: state.theme }),
    },
  ),
);
