// The logistic sigmoid 1 / (1 + e^−g), for swiglu_forward and swiglu_backward (spliced in by swiglu.ts).
// exp of −|g| only, so no overflow: WGSL leaves exp's result indeterminate past the f32 range.
// Contract with the kernel: none beyond not declaring a sigmoid of its own.
fn sigmoid(g: f32) -> f32 {
  let e = exp(-abs(g));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), g >= 0.0);
}
