/**
 * The playground: load a model (bundled, or the user's own files), see what it is, and generate from a prompt with
 * the same engine the trainer uses. Each part selects only the store slices it shows.
 */
import { GenerateForm } from './GenerateForm';
import { GenerationOutput } from './GenerationOutput';
import { ModelPanel } from './ModelPanel';
import { PageIntro } from '../PageIntro';

export function Playground() {
  return (
    <>
      <PageIntro id="playground" title="Playground">
        Continue a prompt with a model running on this machine’s GPU: the bundled one, or your own files.
      </PageIntro>
      <div className="playground">
        <ModelPanel />
        <div className="playground-work">
          <GenerateForm />
          <GenerationOutput />
        </div>
      </div>
    </>
  );
}
