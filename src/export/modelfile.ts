/**
 * Ollama Modelfiles for what the studio exports: a merged GGUF (`FROM` the file), or the base's GGUF with the GGUF
 * LoRA on top (`FROM` the base, `ADAPTER` the LoRA). Ollama reads the chat template and stop tokens from the GGUF's
 * own metadata, so neither is repeated here. Paths are relative to the Modelfile: `ollama create NAME -f Modelfile`
 * is run in the folder that holds the files.
 */

const local = (file: string): string => (/\s/.test(file) ? JSON.stringify(`./${file}`) : `./${file}`);

export function mergedModelfile(ggufFile: string, about: string): string {
  return `# ${about}\n# ollama create <name> -f Modelfile\nFROM ${local(ggufFile)}\n`;
}

export function adapterModelfile(baseGguf: string, adapterGguf: string, about: string): string {
  return `# ${about}\n# Put the base model's GGUF beside this file, then: ollama create <name> -f Modelfile\nFROM ${local(baseGguf)}\nADAPTER ${local(adapterGguf)}\n`;
}
