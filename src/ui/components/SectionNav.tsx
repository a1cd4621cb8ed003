/** The studio's sections. Only the device view exists so far; the rest are placeholders for upcoming work. */

const SECTIONS = [
  { id: 'device', label: 'Device', ready: true },
  { id: 'datasets', label: 'Datasets', ready: false },
  { id: 'train', label: 'Train', ready: false },
  { id: 'adapters', label: 'Adapters', ready: false },
  { id: 'compare', label: 'Compare', ready: false },
] as const;

export function SectionNav() {
  return (
    <nav className="section-nav" aria-label="Sections">
      <ul>
        {SECTIONS.map((section) =>
          section.ready ? (
            <li key={section.id}>
              <a href={`#${section.id}`} aria-current="page">
                {section.label}
              </a>
            </li>
          ) : (
            <li key={section.id}>
              <span aria-disabled="true">
                {section.label}
                <small className="coming">coming</small>
              </span>
            </li>
          ),
        )}
      </ul>
    </nav>
  );
}
