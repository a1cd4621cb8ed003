/** The top of each view: its heading (the section's anchor) and a line on what the view is for. */
import type { ReactNode } from 'react';

export function PageIntro({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <div className="page-intro" id={id}>
      <h2>{title}</h2>
      <p className="muted">{children}</p>
    </div>
  );
}
