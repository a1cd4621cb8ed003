// Prompt tuning's virtual tokens (Lester et al. 2021; PEFT's PROMPT_TUNING): each sequence of a packed batch starts
// with P virtual slots, the slots whose position within their sequence is below P, and their embeddings are the
// learned prompt's rows instead of the token table's:
//   x[t, c] = prompt[positions[t], c]   where positions[t] < P; every other row of x is left as it is.
// positions [T] u32, prompt [P, C], x [T, C] (the token embedding, already gathered).
// The backward is embedding_backward with the positions as ids and P as the vocabulary (positions ≥ P are skipped).

struct Params {
  tokens: u32,
  channels: u32,
  virtual_tokens: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> positions: array<u32>; // [T]
@group(0) @binding(2) var<storage, read> prompt: array<f32>; // [P, C]
@group(0) @binding(3) var<storage, read_write> x: array<f32>; // [T, C]

// One thread per value of x, started by linear_grid.wgsl's entry point.
fn element_count() -> u32 {
  return params.tokens * params.channels;
}

fn element(i: u32) {
  let t = i / params.channels;
  let c = i - t * params.channels;
  let p = positions[t];
  if (p < params.virtual_tokens) {
    x[i] = prompt[p * params.channels + c];
  }
}
