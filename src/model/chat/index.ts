/** Chat templates and the assistant spans fine-tuning trains on. */
export {
  CHATML_TEMPLATE,
  ChatTemplate,
  ChatTemplateError,
  chatPrompt,
  chatPromptBos,
  chatTemplateFor,
  PLAIN_TEMPLATE,
  type ChatMessage,
  type ChatTemplateKind,
  type ChatTemplateSpecials,
  type RenderOptions,
} from './template';
export {
  renderWithAssistantSpans,
  tokenizeConversation,
  type AssistantSpan,
  type RenderedConversation,
  type TokenizedConversation,
} from './assistant-spans';
