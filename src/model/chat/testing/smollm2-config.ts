/**
 * The parts of SmolLM2-135M-Instruct's tokenizer_config.json that shared/models lacks: special-token strings and
 * the chat template (ChatML that adds a default system message when the conversation has none).
 *
 * Source of the template text: HuggingFaceTB/SmolLM2-*-Instruct `chat_template`, as quoted verbatim from a
 * SmolLM2 GGUF's `tokenizer.chat_template` in public code found with the search tool (a Rust test constant
 * `SMOLLM2_TEMPLATE`), and consistent with the rendered prompts shown in Hugging Face's smol-course / agents course
 * ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n…").
 */
export const SMOLLM2_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
  "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}" +
  "{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const SMOLLM2_TOKENIZER_CONFIG = {
  add_prefix_space: false,
  bos_token: '<|im_start|>',
  eos_token: '<|im_end|>',
  pad_token: '<|im_end|>',
  unk_token: '<|endoftext|>',
  clean_up_tokenization_spaces: false,
  model_max_length: 8192,
  tokenizer_class: 'GPT2Tokenizer',
  chat_template: SMOLLM2_CHAT_TEMPLATE,
};
