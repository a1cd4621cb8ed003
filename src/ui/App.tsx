import { type ComponentType, lazy, Suspense, useEffect, useRef } from 'react';
import { AdapterPanel } from './components/AdapterPanel';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Header } from './components/Header';
import { PageIntro } from './components/PageIntro';
import { Playground } from './components/playground/Playground';
import { SectionNav } from './components/SectionNav';
import { type SectionId, useSection } from './sections';
import { useAppliedTheme } from './theme';

/** Loaded on first visit: the charts library stays out of the first page load. */
const Datasets = lazy(() => import('./components/datasets/Datasets').then((m) => ({ default: m.Datasets })));
const Train = lazy(() => import('./components/train/Train').then((m) => ({ default: m.Train })));
const Adapters = lazy(() => import('./components/adapters/Adapters').then((m) => ({ default: m.Adapters })));
const Compare = lazy(() => import('./components/compare/Compare').then((m) => ({ default: m.Compare })));

function SectionView({ section }: { section: SectionId }) {
  const View = SECTION_VIEWS[section];
  return <View />;
}

const SECTION_VIEWS: Record<SectionId, ComponentType> = {
  playground: Playground,
  datasets: Datasets,
  train: Train,
  adapters: Adapters,
  compare: Compare,
  device: DeviceView,
};

function SectionLoading() {
  return <p className="loading-line">Loading…</p>;
}

function DeviceView() {
  return (
    <>
      <PageIntro id="device" title="Device">
        The GPU that webtune’s engine got from your browser, queried from a background worker on this machine.
      </PageIntro>
      <AdapterPanel />
    </>
  );
}

export function App() {
  useAppliedTheme();
  const section = useSection();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After a switch from the nav, start reading (and tabbing) at the new view, as a page load would.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [section]);
  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          // The hash names the section; following #main would leave the current one.
          event.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <Header />
      <div className="app-body">
        <SectionNav />
        <main id="main" tabIndex={-1} ref={main}>
          <ErrorBoundary key={section}>
            <Suspense fallback={<SectionLoading />}>
              <SectionView section={section} />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
