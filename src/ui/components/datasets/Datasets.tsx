/**
 * The Datasets view: open a file (or the sample), correct how its rows are read, and see what training will see:
 * the tokens that are learned from, the length of every example, the split, and the rows that could not be used.
 */
import { useDeferredValue } from 'react';
import { useStudio } from '../../stores/studio';
import { BadRowsTable } from './BadRowsTable';
import { DatasetOpener } from './DatasetOpener';
import { DatasetOverview } from './DatasetOverview';
import { DatasetProblem } from './DatasetProblem';
import { DatasetSettings } from './DatasetSettings';
import { LengthHistogram } from './LengthHistogram';
import { TokenPreview } from './TokenPreview';
import { PageIntro } from '../PageIntro';

function Results() {
  // Deferred: a new summary (preview, histogram, bad rows) renders as background work React splits into short
  // slices, so the page never stalls for the length of one big render when a large file's summary arrives.
  const dataset = useDeferredValue(useStudio((state) => state.dataset));
  if (dataset.status === 'empty') {
    return (
      <p className="empty-state dataset-empty">
        No dataset yet. Drop a file on the left, choose one, or use the sample dataset to see how rows become trained
        tokens.
      </p>
    );
  }
  if (dataset.status === 'failed') return <DatasetProblem failure={dataset.failure} />;
  const summary = dataset.status === 'ready' ? dataset.summary : dataset.summary;
  if (!summary) return <p className="empty-state">Reading {dataset.status === 'loading' ? dataset.file : ''}…</p>;
  const skipped = [...summary.badRows, ...summary.dropped];
  return (
    <div className="dataset-results" aria-busy={dataset.status === 'loading'}>
      <DatasetOverview summary={summary} />
      <TokenPreview rows={summary.preview} unit={summary.rowUnit} />
      <LengthHistogram
        bins={summary.histogram}
        seqLen={summary.seqLen}
        overLength={summary.overLength}
        examples={summary.examples}
        sampling={summary.sampling}
      />
      {skipped.length > 0 && (
        <section className="panel" aria-labelledby="bad-rows-title">
          <div className="panel-head">
            <h3 id="bad-rows-title">Skipped rows</h3>
          </div>
          <BadRowsTable
            rows={skipped}
            total={summary.badRowCount + summary.dropped.length}
            unit={summary.rowUnit}
            caption="Not used for training"
          />
        </section>
      )}
    </div>
  );
}

export function Datasets() {
  return (
    <>
      <PageIntro id="datasets" title="Datasets">
        See exactly what a model will learn from a file: its rows through the chat template, with the trained tokens
        marked. Files are read in a background worker and never leave this machine.
      </PageIntro>
      <div className="datasets">
        <div className="datasets-side">
          <DatasetOpener />
          <DatasetSettings />
        </div>
        <div className="datasets-main">
          <Results />
        </div>
      </div>
    </>
  );
}
