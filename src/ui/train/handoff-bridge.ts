/**
 * The Train view's hand-off: the run the form describes, written as the folder that continues it on a cluster
 * (an Axolotl config, a TRL script and the run's split of the dataset, export/handoff.ts) and saved as one .zip.
 * Nothing is trained; a setting the form refuses is marked as Start would mark it.
 */
import { engineProblem } from '../../worker/client';
import { datasetSourceName } from '../../data';
import { downloadBlob } from '../adapters/download';
import { fileStem } from '../adapters/file-names';
import { engineClient } from '../engineBridge';
import { errorText } from '../format';
import { useStudio } from '../stores/studio';
import { currentModelSource } from './train-base';
import { nextDataSource, runDatasetSettings } from './train-bridge';
import { parseTrainForm } from './train-form';

export async function handOffTraining(): Promise<void> {
  const state = useStudio.getState();
  const model = state.trainModel.status === 'ready' ? state.trainModel.info : null;
  const parsed = parseTrainForm(state.trainForm, model?.config ?? null);
  if (!parsed.ok) {
    state.trainFormRejected(parsed.errors, { title: 'Some settings cannot be used', message: 'Fix the marked fields, then hand the run off again.' });
    return;
  }
  const client = engineClient();
  if (!client || !model) {
    state.trainRefused({ title: 'The base model is not ready', message: 'The hand-off reads the base’s tokenizer: wait for it to load.' });
    return;
  }
  const data = nextDataSource();
  const runName = `${fileStem(datasetSourceName(data).replace(/\.[^.]+$/, ''))}-${fileStem(model.name.replace(/\.gguf$/, ''))}`;
  state.trainRefused(null);
  try {
    const zip = await client.call('train-handoff', { runName, model: currentModelSource(), data, dataset: runDatasetSettings(data), config: parsed.parsed.config });
    downloadBlob(zip, `${runName}-handoff.zip`);
  } catch (error) {
    const problem = engineProblem(error, 'train');
    useStudio.getState().trainRefused({ title: 'The hand-off failed', message: problem?.message ?? errorText(error) });
  }
}
