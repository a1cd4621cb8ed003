/**
 * The studio's sections, addressed by the URL's hash (#device, #playground) so each view can be bookmarked and
 * the browser's back button works, without a router.
 */
import { useSyncExternalStore } from 'react';

export const SECTIONS = [
  { id: 'device', label: 'Device', ready: true },
  { id: 'playground', label: 'Playground', ready: true },
  { id: 'datasets', label: 'Datasets', ready: true },
  { id: 'train', label: 'Train', ready: true },
  { id: 'adapters', label: 'Adapters', ready: true },
  { id: 'compare', label: 'Compare', ready: true },
] as const;

type Section = (typeof SECTIONS)[number];
export type SectionId = Extract<Section, { ready: true }>['id'];

const DEFAULT_SECTION: SectionId = 'device';

function isReadySection(id: string): id is SectionId {
  return SECTIONS.some((s) => s.ready && s.id === id);
}

function currentSection(): SectionId {
  const id = window.location.hash.slice(1);
  return isReadySection(id) ? id : DEFAULT_SECTION;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useSection(): SectionId {
  return useSyncExternalStore(subscribe, currentSection);
}
