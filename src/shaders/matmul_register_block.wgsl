// The 8×8 register block of the tiled matmul kernels (matmul_forward, matmul_backward_input,
// matmul_backward_weight, matmul_forward_quant, matmul_backward_input_quant), spliced in by their launchers.
// A thread owns an 8×8 block of its workgroup's output tile, rows 8·ty .. 8·ty+7 and columns 8·tx .. 8·tx+7,
// held in sixteen vec4 accumulators (named, not an array, so no compiler can spill them to indexed memory).
// Per reduction step it reads two vec4 of a_tile and two of b_tile for 64 multiply-adds.
//
// Contract with the kernel:
//   - it declares TK (reduction steps staged per barrier) and TILE_M, TILE_N (the output tile's rows, columns);
//   - it stages reduction steps into a_tile[step][row] and b_tile[step][col] (four rows/cols per vec4);
//   - it defines store_one(row, col, acc): writes one output, and nothing for (row, col) outside the output.

const THREAD_ROWS = 8u;
const THREAD_COLS = 8u;

var<workgroup> a_tile: array<vec4<f32>, TK * TILE_M / 4u>;
var<workgroup> b_tile: array<vec4<f32>, TK * TILE_N / 4u>;

var<private> c00: vec4<f32>; var<private> c01: vec4<f32>;
var<private> c10: vec4<f32>; var<private> c11: vec4<f32>;
var<private> c20: vec4<f32>; var<private> c21: vec4<f32>;
var<private> c30: vec4<f32>; var<private> c31: vec4<f32>;
var<private> c40: vec4<f32>; var<private> c41: vec4<f32>;
var<private> c50: vec4<f32>; var<private> c51: vec4<f32>;
var<private> c60: vec4<f32>; var<private> c61: vec4<f32>;
var<private> c70: vec4<f32>; var<private> c71: vec4<f32>;

// Adds the first `steps` staged reduction steps to thread (tx, ty)'s block.
fn multiply_tile(tx: u32, ty: u32, steps: u32) {
  let m4 = TILE_M / 4u;
  let n4 = TILE_N / 4u;
  var ai = ty * 2u;
  var bi = tx * 2u;
  for (var step = 0u; step < steps; step++) {
    let a0 = a_tile[ai];
    let a1 = a_tile[ai + 1u];
    let b0 = b_tile[bi];
    let b1 = b_tile[bi + 1u];
    c00 += a0.x * b0; c01 += a0.x * b1;
    c10 += a0.y * b0; c11 += a0.y * b1;
    c20 += a0.z * b0; c21 += a0.z * b1;
    c30 += a0.w * b0; c31 += a0.w * b1;
    c40 += a1.x * b0; c41 += a1.x * b1;
    c50 += a1.y * b0; c51 += a1.y * b1;
    c60 += a1.z * b0; c61 += a1.z * b1;
    c70 += a1.w * b0; c71 += a1.w * b1;
    ai += m4;
    bi += n4;
  }
}

// Called by every thread once it has staged its share of the tiles: waits for the others, multiplies, and
// waits again so that no thread restages the tiles while another still reads them.
fn multiply_staged(tx: u32, ty: u32, steps: u32) {
  workgroupBarrier();
  multiply_tile(tx, ty, steps);
  workgroupBarrier();
}

// Columns col .. col+3 of the block row in lo, col+4 .. col+7 in hi.
fn store_row(row: u32, col: u32, lo: vec4<f32>, hi: vec4<f32>) {
  store_one(row, col, lo.x);
  store_one(row, col + 1u, lo.y);
  store_one(row, col + 2u, lo.z);
  store_one(row, col + 3u, lo.w);
  store_one(row, col + 4u, hi.x);
  store_one(row, col + 5u, hi.y);
  store_one(row, col + 6u, hi.z);
  store_one(row, col + 7u, hi.w);
}

// Writes thread (tx, ty)'s block of the tile whose first output is (row0, col0).
fn store_block(tx: u32, ty: u32, row0: u32, col0: u32) {
  let row = row0 + ty * THREAD_ROWS;
  let col = col0 + tx * THREAD_COLS;
  store_row(row, col, c00, c01);
  store_row(row + 1u, col, c10, c11);
  store_row(row + 2u, col, c20, c21);
  store_row(row + 3u, col, c30, c31);
  store_row(row + 4u, col, c40, c41);
  store_row(row + 5u, col, c50, c51);
  store_row(row + 6u, col, c60, c61);
  store_row(row + 7u, col, c70, c71);
}
