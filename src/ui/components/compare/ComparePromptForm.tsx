/**
 * The prompt and sampling settings every column uses: the Playground's PromptForm, bound to Compare's own values.
 * Stop ends the column in progress after its token and skips the rest.
 */
import { startComparison, stopComparison } from '../../compare/compare-bridge';
import { PromptForm } from '../playground/PromptForm';

export function ComparePromptForm() {
  return (
    <PromptForm
      ids={{ title: 'compare-prompt-title', prompt: 'compare-prompt', setting: 'compare' }}
      title="Prompt"
      prompt={{ label: 'Comparison prompt', hiddenLabel: true, rows: 2 }}
      hints={{ maxTokens: 'Per column.', seed: 'The same in every column.' }}
      action={{ label: 'Compare', shortcut: 'compares' }}
      status={{ running: 'Comparing…', idle: () => 'The base and LoRA adapters generate together in one batch; DoRA, IA³ and prompt-tuning columns run in a pass of their own.' }}
      bind={(s) => ({ form: s.compareForm, errors: s.compareFieldErrors, edit: s.editCompareForm, run: s.compareRun })}
      start={() => void startComparison()}
      stop={stopComparison}
    />
  );
}
