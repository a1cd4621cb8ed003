// Head rows of the attention kernels (attention_forward, attention_backward_q, attention_backward_kv), spliced in
// by attention.ts: q [T, Hq, D] and k, v [Tk, Hkv, D] at bindings 1, 2, 3, each row of D = HEAD_DIM values read
// as HEAD_VECS vec4s, zero-padded past HEAD_DIM, so any D ≤ 4·MAX_HEAD_VECS works.
// A row starts at element `base`; readQ/readK/readV(base, c) is its vec4 c.
//
// Contract with the kernel: it leaves bindings 1 to 3 to this piece, and passes HEAD_DIM (the head dim D).

override HEAD_DIM: u32 = 64u;
override HEAD_VECS: u32 = (HEAD_DIM + 3u) / 4u;
const MAX_HEAD_VECS: u32 = 64u;

@group(0) @binding(1) var<storage, read> q: array<f32>; // [T, Hq, D]
@group(0) @binding(2) var<storage, read> k: array<f32>; // [Tk, Hkv, D]
@group(0) @binding(3) var<storage, read> v: array<f32>; // [Tk, Hkv, D]

// The elements of vec4 c of the row at base, clamped into the row: the lanes past HEAD_DIM read its last element,
// and head_vec zeroes them.
fn head_at(base: u32, c: u32) -> vec4<u32> {
  return base + min(4u * c + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(HEAD_DIM - 1u));
}

fn head_vec(c: u32, x: vec4<f32>) -> vec4<f32> {
  return select(vec4<f32>(0.0), x, 4u * c + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(HEAD_DIM));
}

fn readQ(base: u32, c: u32) -> vec4<f32> { let i = head_at(base, c); return head_vec(c, vec4(q[i.x], q[i.y], q[i.z], q[i.w])); }
fn readK(base: u32, c: u32) -> vec4<f32> { let i = head_at(base, c); return head_vec(c, vec4(k[i.x], k[i.y], k[i.z], k[i.w])); }
fn readV(base: u32, c: u32) -> vec4<f32> { let i = head_at(base, c); return head_vec(c, vec4(v[i.x], v[i.y], v[i.z], v[i.w])); }
