/**
 * The Adapters view: the library of trained and imported LoRA adapters, kept in this browser (IndexedDB records,
 * PEFT files in OPFS), with import, export (PEFT .zip, GGUF LoRA, merged model), rename and delete.
 */
import { useEffect } from 'react';
import { onLibraryChanged } from '../../../library/adapter-library';
import { refreshAdapters } from '../../adapters/library-actions';
import { AdapterImporter } from './AdapterImporter';
import { AdapterLibrary } from './AdapterLibrary';
import { PageIntro } from '../PageIntro';

export function Adapters() {
  // Training and imports store adapters from the engine worker (and other tabs may change the library): read it
  // when the view opens and again whenever a change is announced.
  useEffect(() => {
    void refreshAdapters();
    return onLibraryChanged(() => void refreshAdapters());
  }, []);
  return (
    <>
      <PageIntro id="adapters" title="Adapters">
        LoRA adapters you trained or imported, stored in this browser only. Export them for PEFT or llama.cpp, or fold
        one into its base model.
      </PageIntro>
      <div className="adapters-view">
        <AdapterImporter />
        <AdapterLibrary />
      </div>
    </>
  );
}
