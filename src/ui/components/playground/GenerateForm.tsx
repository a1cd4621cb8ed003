/** The Playground's prompt form: the shared PromptForm bound to the playground's form and generation. */
import { startGeneration, stopGeneration } from '../../engineBridge';
import { PromptForm } from './PromptForm';

export function GenerateForm() {
  return (
    <PromptForm
      ids={{ title: 'prompt-title', prompt: 'prompt', setting: 'setting', status: 'generate-hint' }}
      title="Generate"
      prompt={{ label: 'Prompt', hiddenLabel: false, rows: 3 }}
      hints={{ maxTokens: 'New tokens at most.', seed: 'Same seed, same text.' }}
      action={{ label: 'Generate', shortcut: 'generates' }}
      status={{
        running: 'Generating…',
        idle: (form) => (form.greedy ? 'Greedy: always the likeliest token.' : 'Sampling with the settings above.'),
      }}
      bind={(state) => ({ form: state.form, errors: state.fieldErrors, edit: state.editForm, run: state.generation })}
      start={() => void startGeneration()}
      stop={stopGeneration}
    />
  );
}
