/**
 * The studio's one bound store, combined from per-domain slices (later: datasets, runs, adapters, compare).
 * Middleware sits here only: the theme choice persists across visits; device and playground state never do (a
 * prompt is the user's text, and the studio stores nothing but the theme).
 */
import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createAdaptersSlice, type AdaptersSlice } from './adaptersSlice';
import { createCompareSlice, type CompareSlice } from './compareSlice';
import { createDatasetsSlice, type DatasetsSlice } from './datasetsSlice';
import { createDeviceSlice, type DeviceSlice } from './deviceSlice';
import { createHubSlice, type HubSlice } from './hubSlice';
import { createPlaygroundSlice, type PlaygroundSlice } from './playgroundSlice';
import { createThemeSlice, type ThemeSlice } from './themeSlice';
import { createTrainSlice, type TrainSlice } from './trainSlice';

export type StudioState = DeviceSlice & PlaygroundSlice & ThemeSlice & DatasetsSlice & AdaptersSlice & CompareSlice & TrainSlice & HubSlice;

export const useStudio = create<StudioState>()(
  persist(
    (...args) => ({
      ...createDeviceSlice(...args),
      ...createPlaygroundSlice(...args),
      ...createThemeSlice(...args),
      ...createDatasetsSlice(...args),
      ...createTrainSlice(...args),
      ...createCompareSlice(...args),
      ...createAdaptersSlice(...args),
      ...createHubSlice(...args),
    }),
    {
      name: 'webtune.studio',
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (state) => ({ theme: state.theme }),
    },
  ),
);

/**
 * Resolves once `pending` is false of the store's state (at once when it already is): an action pressed while the
 * device is still probed or a base still read waits for it instead of being refused.
 */
export function whenSettled(pending: (state: StudioState) => boolean): Promise<void> {
  if (!pending(useStudio.getState())) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = useStudio.subscribe((state) => {
      if (pending(state)) return;
      unsubscribe();
      resolve();
    });
  });
}
