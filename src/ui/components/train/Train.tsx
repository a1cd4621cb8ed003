/**
 * The Train view: a LoRA run's settings on the left (presets, every option behind Advanced, the memory estimate),
 * the run on show on the right (progress, controls, live charts, samples) and the run history below it. Training
 * itself runs in the engine worker; this view only sends settings and draws what comes back.
 */
import { useEffect } from 'react';
import { initTrain } from '../../train/train-bridge';
import { RunHistory } from './RunHistory';
import { preloadCharts, RunPanel } from './RunPanel';
import { TrainSettings } from './TrainSettings';

export function Train() {
  useEffect(() => {
    initTrain();
    preloadCharts();
  }, []);
  return (
    <>
      <div className="page-intro" id="train">
        <h2>Train</h2>
        <p className="muted">
          Fine-tune a LoRA adapter on your GPU. Runs save checkpoints as they go, so a paused, stopped or reloaded run
          continues where it was; finished runs add their adapter to the library.
        </p>
      </div>
      <div className="train">
        <TrainSettings />
        <div className="train-main">
          <RunPanel />
          <RunHistory />
        </div>
      </div>
    </>
  );
}
