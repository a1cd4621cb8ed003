/**
 * The Compare view: the loaded base and up to four library adapters side by side. One prompt streams into every
 * column with the same seed and sampling settings; an evaluation table gives each column's validation loss and
 * perplexity on a dataset, and a compression table each GGUF export's size, speed and loss; finished comparisons are kept in a history that can be reopened or deleted.
 */
import { useEffect } from 'react';
import { refreshCompareHistory, refreshCompareLibrary } from '../../compare/compare-bridge';
import { CompareHistoryPanel } from './CompareHistoryPanel';
import { CompareCompression } from './CompareCompression';
import { CompareEvaluation } from './CompareEvaluation';
import { ComparePicker } from './ComparePicker';
import { ComparePromptForm } from './ComparePromptForm';
import { CompareRunColumns } from './CompareRunColumns';
import { PageIntro } from '../PageIntro';

export function Compare() {
  useEffect(() => {
    // The library changes in other views (training, imports); read it afresh whenever this view opens.
    void refreshCompareLibrary();
    void refreshCompareHistory();
  }, []);
  return (
    <>
      <PageIntro id="compare" title="Compare">
        The same prompt, seed and settings through the base model and your adapters, side by side, and how well
        each fits a dataset.
      </PageIntro>
      <div className="compare">
        <div className="compare-setup">
          <ComparePicker />
          <ComparePromptForm />
        </div>
        <CompareRunColumns />
        <CompareEvaluation />
        <CompareCompression />
        <CompareHistoryPanel />
      </div>
    </>
  );
}
