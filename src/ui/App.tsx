import { lazy, Suspense, useEffect, useRef } from 'react';
import { AdapterPanel } from './components/AdapterPanel';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Header } from './components/Header';
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
  switch (section) {
    case 'playground':
      return <Playground />;
    case 'datasets':
      return <Datasets />;
    case 'train':
      return <Train />;
    case 'adapters':
      return <Adapters />;
    case 'compare':
      return <Compare />;
    case 'device':
      return <DeviceView />;
  }
}

function SectionLoading() {
  return <p className="loading-line">Loading…</p>;
}

function DeviceView() {
  return (
    <>
      <div className="page-intro" id="device">
        <h2>Device</h2>
        <p className="muted">
          The GPU that webtune’s engine got from your browser, queried from a background worker on this machine.
        </p>
      </div>
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
