/** The Train view (placeholder until its work lands). */
export function Train() {
  return (
    <div className="page-intro" id="train">
      <h2>Train</h2>
    </div>
  );
}
