import { useStudio } from '../stores/studio';
import { resolveTheme, useSystemTheme } from '../theme';
import { MoonIcon, SunIcon } from './Icons';

/** Flips between light and dark; landing back on the system's own preference means "follow the system" again. */
export function ThemeToggle() {
  const choice = useStudio((state) => state.theme);
  const setTheme = useStudio((state) => state.setTheme);
  const system = useSystemTheme();
  const current = resolveTheme(choice, system);
  const next = current === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="icon-button"
      onClick={() => setTheme(next === system ? 'system' : next)}
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
    >
      {current === 'dark' ? <SunIcon /> : <MoonIcon />}
    </button>
  );
}
