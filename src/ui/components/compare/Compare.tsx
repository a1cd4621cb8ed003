/** The Compare view (placeholder until its work lands). */
export function Compare() {
  return (
    <div className="page-intro" id="compare">
      <h2>Compare</h2>
    </div>
  );
}
