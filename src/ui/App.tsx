import { lazy, Suspense, useEffect, useRef } from 'react';
import { AdapterPanel } from './components/AdapterPanel';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Header } from './components/Header';
import { Playground } from './components/playground/Playground';
import { SectionNav } from './components/SectionNav';
import { useSection } from './sections';
import { useAppliedTheme } from './theme';

/** Loaded on first visit: the charts library stays out of the first page load. */
const Datasets = lazy(() => import('./components/datasets/Datasets').then((m) => ({ default: m.Datasets })));

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
              {section === 'playground' ? <Playground /> : section === 'datasets' ? <Datasets /> : <DeviceView />}
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
