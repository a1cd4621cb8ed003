import { AdapterPanel } from './components/AdapterPanel';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Header } from './components/Header';
import { SectionNav } from './components/SectionNav';
import { useAppliedTheme } from './theme';

export function App() {
  useAppliedTheme();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <div className="app-body">
        <SectionNav />
        <main id="main" tabIndex={-1}>
          <ErrorBoundary>
            <div className="page-intro" id="device">
              <h2>Device</h2>
              <p className="muted">
                The GPU that webtune’s engine got from your browser, queried from a background worker on this machine.
              </p>
            </div>
            <AdapterPanel />
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
