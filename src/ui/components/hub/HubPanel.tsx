/**
 * Models from the Hugging Face Hub: a short list of small instruct models, any repo by id (a GGUF file or a model
 * folder), the download's byte progress, and the models cached in this browser (load without the network, delete).
 */
import { useEffect } from 'react';
import { startHubBridge } from '../../hub/hubBridge';
import { useStudio } from '../../stores/studio';
import { CacheList } from './CacheList';
import { CatalogList } from './CatalogList';
import { DownloadStatus } from './DownloadStatus';
import { HubDownloadForm } from './HubDownloadForm';

export function HubPanel() {
  useEffect(startHubBridge, []);
  const running = useStudio((state) => state.hubDownload.status === 'running');
  return (
    <section className="panel hub-panel" aria-labelledby="hub-title" aria-busy={running}>
      <div className="panel-head">
        <h3 id="hub-title">Hugging Face Hub</h3>
      </div>
      <p className="muted hub-intro">
        Downloaded once into this browser’s storage, then loaded from there without the network.
      </p>
      <CatalogList />
      <HubDownloadForm />
      <DownloadStatus />
      <CacheList />
    </section>
  );
}
