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
        <p
          className="privacy-badge"
          title="Models, datasets and training run in this browser tab on this machine's GPU. Nothing is uploaded."
        >
          <ShieldIcon />
          Training stays on this device
        </p>
        <ThemeToggle />
      </div>
    </header>
  );
}
