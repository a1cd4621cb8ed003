/** Facts as term–value pairs in a definition list, each pair in its own div so the styles can lay them out. */
interface Props {
  facts: readonly (readonly [term: string, value: string])[];
  className: string;
  label?: string;
}

export function FactList({ facts, className, label }: Props) {
  return (
    <dl className={className} aria-label={label}>
      {facts.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
