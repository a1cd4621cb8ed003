/** The studio's sections: the ready ones are links to their view; the rest are placeholders for upcoming work. */
import { SECTIONS, useSection } from '../sections';

export function SectionNav() {
  const active = useSection();
  return (
    <nav className="section-nav" aria-label="Sections">
      <ul>
        {SECTIONS.map((section) =>
          section.ready ? (
            <li key={section.id}>
              <a href={`#${section.id}`} aria-current={section.id === active ? 'page' : undefined}>
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
