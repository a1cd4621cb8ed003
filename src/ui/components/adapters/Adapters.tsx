/** The Adapters view (placeholder until its work lands). */
export function Adapters() {
  return (
    <div className="page-intro" id="adapters">
      <h2>Adapters</h2>
    </div>
  );
}
