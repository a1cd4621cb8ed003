import { LogoMark, ShieldIcon } from './Icons';
import { ThemeToggle } from './ThemeToggle';

export function Header() {
  return (
    <header className="app-header">
      <div className="brand">
        <LogoMark />
        <h1>webtune</h1>
        <span className="tagline">LoRA fine-tuning on your own GPU</span>
      </div>
      <div className="header-actions">
        {/* Focusable so keyboard users reach the explanation that mouse users get on hover. */}
        <div className="privacy-indicator">
          <p className="privacy-badge" tabIndex={0} aria-describedby="privacy-details">
            <ShieldIcon />
            Training stays on this device — nothing is uploaded
          </p>
          <div id="privacy-details" role="tooltip" className="privacy-tooltip">
            Models, datasets, training and adapters stay in this browser tab, on this machine’s GPU and storage. The
            only network use is downloading a model you ask for from the Hugging Face Hub; the page’s
            Content-Security-Policy blocks every other destination.
          </div>
        </div>
        <ThemeToggle />
      </div>
    </header>
  );
}
