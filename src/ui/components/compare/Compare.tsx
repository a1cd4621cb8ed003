/**
 * The Compare view: the loaded base and up to four library adapters side by side. One prompt streams into every
 * column with the same seed and sampling settings; an evaluation table gives each column's validation loss and
 * perplexity on a dataset; finished comparisons are kept in a history that can be reopened or deleted.
 */
import { useEffect } from 'react';
import { refreshCompareHistory, refreshCompareLibrary } from '../../compare/compare-bridge';
import { CompareHistoryPanel } from './CompareHistoryPanel';
import { CompareEvaluation } from './CompareEvaluation';
import { ComparePicker } from './ComparePicker';
import { ComparePromptForm } from './ComparePromptForm';
import { CompareRunColumns } from './CompareRunColumns';

export function Compare() {
  useEffect(() => {
    // The library changes in other views (training, imports); read it afresh whenever this view opens.
    void refreshCompareLibrary();
    void refreshCompareHistory();
  }, []);
  return (
    <>
      <div className="page-intro" id="compare">
        <h2>Compare</h2>
        <p className="muted">
          The same prompt, seed and settings through the base model and your adapters, side by side, and how well
          each fits a dataset.
        </p>
      </div>
      <div className="compare">
        <div className="compare-setup">
          <ComparePicker />
          <ComparePromptForm />
        </div>
        <CompareRunColumns />
        <CompareEvaluation />
        <CompareHistoryPanel />
      </div>
    </>
  );
}
