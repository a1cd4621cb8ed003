import { describe, expect, it } from 'vitest';
import { GpuContext } from './context';
import { residualAccumulate, residualForward } from './kernels/residual';
import { Tensor } from './tensor';
import { KernelCompileError } from './registry';
import { testContext } from './testing/gpu';
import { Params } from './uniforms';

describe('device acquisition', () => {
  it('reports the adapter, the optional features it got, and raised limits', async () => {
    const ctx = await testContext();
    const r = ctx.report;
    expect(r.vendor.length).toBeGreaterThan(0);
    expect(r.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    // Raised to the adapter's maximum, not left at WebGPU's default of 128 MiB.
    expect(r.limits.maxBufferSize).toBe(ctx.device.limits.maxBufferSize);
    expect(r.limits.maxBufferSize).toBeGreaterThan(256 * 1024 * 1024);
    for (const f of r.features) expect(ctx.device.features.has(f)).toBe(true);
    expect(r.adapterFeatures.length).toBeGreaterThan(0);
  });
});

describe('buffer arena', () => {
  it('close frees every buffer of a context, in use or parked, and leaves the device working', async () => {
    const { device, report } = await testContext();
    const ctx = new GpuContext(device, report);
    const kept = ctx.tensor([1000], 'f32', 'kept');
    ctx.release(ctx.tensor([64], 'f32', 'parked'));
    expect(ctx.memory.buffers).toBe(2);
    await ctx.close();
    expect(ctx.memory).toEqual({ reservedBytes: 0, inUseBytes: 0, peakBytes: ctx.memory.peakBytes, buffers: 0 });
    const next = new GpuContext(device, report);
    const t = next.tensor([4], 'f32', 't', new Float32Array([1, 2, 3, 4]));
    expect([...(await next.readF32(t))]).toEqual([1, 2, 3, 4]);
    await next.close();
  });

  it('counts every byte allocated, reused and freed, and keeps the peak', async () => {
    const { device, report } = await testContext();
    const ctx = new GpuContext(device, report); // a fresh arena on the shared device
    const base = ctx.memory.reservedBytes;
    const a = ctx.tensor([1000], 'f32', 'a'); // 4000 B → rounded to 4096
    const b = ctx.tensor([10], 'u32', 'b'); // 40 B → 256
    expect(ctx.memory.reservedBytes - base).toBe(4096 + 256);
    expect(ctx.memory.inUseBytes).toBe(4096 + 256);
    ctx.release(a);
    expect(ctx.memory.inUseBytes).toBe(256);
    const c = ctx.tensor([1024], 'f32', 'c'); // same rounded size: reuses a's buffer
    expect(c.buffer).toBe(a.buffer);
    expect(ctx.memory.reservedBytes - base).toBe(4096 + 256);
    ctx.arena.destroy(c.buffer);
    ctx.arena.destroy(b.buffer);
    expect(ctx.memory.reservedBytes).toBe(base);
    expect(ctx.memory.peakBytes - base).toBe(4096 + 256);
    ctx.arena.resetPeak();
    expect(ctx.memory.peakBytes).toBe(ctx.memory.reservedBytes);
  });

  it('hands out reused buffers zeroed', async () => {
    const ctx = await testContext();
    const a = ctx.tensor([64], 'f32', 'dirty', new Float32Array(64).fill(7));
    ctx.release(a);
    const b = ctx.tensor([64], 'f32', 'clean');
    expect(b.buffer).toBe(a.buffer);
    expect([...(await ctx.read(b))].every((v) => v === 0)).toBe(true);
    ctx.release(b);
  });

  it('refuses a buffer beyond maxBufferSize, naming it', async () => {
    const ctx = await testContext();
    expect(() => ctx.tensor([ctx.device.limits.maxBufferSize], 'f32', 'huge')).toThrow(/'huge'.*maxBufferSize/);
  });
});

describe('recorder', () => {
  it('encodes many dispatches with distinct params into one submit', async () => {
    const { device, report } = await testContext();
    const ctx = new GpuContext(device, report);
    // 1,000 dispatches use more than one 64 KiB uniform slab (256-byte slots), so slab rollover is covered.
    const n = 1000;
    const acc = ctx.tensor([n], 'f32', 'acc');
    const ones = ctx.tensor([n], 'f32', 'ones', new Float32Array(n).fill(1));
    const tmp = ctx.tensor([n], 'f32', 'tmp');
    ctx.flush();
    const submitsBefore = ctx.submits;
    for (let i = 0; i < n; i++) {
      // acc ← acc + 1, then tmp ← acc, alternating buffers so each dispatch depends on the one before.
      residualForward(ctx, i % 2 ? tmp : acc, ones, i % 2 ? acc : tmp);
    }
    ctx.flush();
    expect(ctx.submits - submitsBefore).toBe(1);
    const out = await ctx.read(acc);
    expect(out[0]).toBe(n);
    expect(out[n - 1]).toBe(n);
    expect(ctx.kernels.size).toBe(1); // compiled once, used 1,000 times
  });

  it('refuses dispatches beyond the workgroup-count limit, naming the kernel', async () => {
    const ctx = await testContext();
    const kernel = ctx.kernel({
      name: 'noop_forward',
      code: '@compute @workgroup_size(1) fn main() {}',
    });
    expect(() => ctx.dispatch(kernel, null, [], [70000, 70000])).toThrow(/noop_forward.*maxComputeWorkgroupsPerDimension/);
  });

  it('refuses a tensor larger than one binding, naming the kernel and the tensor', async () => {
    const ctx = await testContext();
    const limit = ctx.maxBindingBytes;
    if (limit >= ctx.device.limits.maxBufferSize) {
      // SwiftShader: binding limit == buffer limit, so emulate an oversized binding with a fake tensor shape.
      const t = ctx.tensor([4], 'f32', 'small');
      const fake = Object.create(t, { shape: { value: [limit / 4 + 1] } });
      const kernel = ctx.kernel({
        name: 'read_forward',
        code: '@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n@compute @workgroup_size(1) fn main() { a[0] = 1.0; }',
      });
      expect(() => ctx.dispatch(kernel, null, [fake], [1])).toThrow(/read_forward.*small.*maxStorageBufferBindingSize/);
      ctx.release(t);
    }
  });
});

describe('tensor views', () => {
  it('write, read, zero and dispatch touch only the view\'s own bytes', async () => {
    const ctx = await testContext();
    // One buffer holding two 64-float tensors at a 256-byte-aligned offset, as the LoRA parameter block does.
    const whole = ctx.tensor([128], 'f32', 'block', new Float32Array(128).fill(5));
    const first = new Tensor(whole.buffer, [64], 'f32', 'first', 0);
    const second = new Tensor(whole.buffer, [64], 'f32', 'second', 256);
    ctx.write(second, new Float32Array(64).fill(2));
    expect([...(await ctx.read(first))].every((v) => v === 5)).toBe(true);
    expect([...(await ctx.read(second))].every((v) => v === 2)).toBe(true);
    // WebGPU forbids one buffer bound writable and readable in one dispatch even at disjoint ranges, so the
    // addend lives elsewhere; the view is bound at offset 256.
    const ones = ctx.tensor([64], 'f32', 'ones', new Float32Array(64).fill(1));
    residualAccumulate(ctx, second, ones);
    expect((await ctx.read(second))[63]).toBe(3);
    expect((await ctx.read(first))[63]).toBe(5);
    ctx.release(ones);
    ctx.zero(second);
    const all = await ctx.read(whole);
    expect(all[0]).toBe(5);
    expect(all[63]).toBe(5);
    expect(all[64]).toBe(0);
    expect(all[127]).toBe(0);
    expect(second.view([8, 8]).byteOffset).toBe(256);
    expect(() => second.view([65])).toThrow(/larger/);
    ctx.release(whole);
  });
});

describe('kernel registry', () => {
  it('names the kernel and shows the WGSL message on a compile error', async () => {
    const { device, report } = await testContext();
    const ctx = new GpuContext(device, report);
    ctx.kernel({ name: 'broken_forward', code: '@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }' });
    const error = await ctx.kernels.ready().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelCompileError);
    expect((error as Error).message).toMatch(/broken_forward/);
    expect((error as Error).message).toMatch(/broken_forward\.wgsl:1:/);
  });

  it('caches one pipeline per specialization', async () => {
    const ctx = await testContext();
    const code = 'override K: u32 = 1u;\n@compute @workgroup_size(1) fn main() { _ = K; }';
    const a = ctx.kernel({ name: 'spec_forward', code, constants: { K: 2 } });
    const b = ctx.kernel({ name: 'spec_forward', code, constants: { K: 2 } });
    const c = ctx.kernel({ name: 'spec_forward', code, constants: { K: 3 } });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    await ctx.kernels.ready();
  });

  it('keeps compiled pipelines per device: another context takes them, other code under the same name compiles its own', async () => {
    const { device, report } = await testContext();
    const code = '@compute @workgroup_size(1) fn main() {}';
    const first = new GpuContext(device, report);
    const made = first.kernel({ name: 'shared_forward', code });
    await first.kernels.ready();
    const second = new GpuContext(device, report);
    expect(second.kernels.size).toBe(0);
    expect(second.kernel({ name: 'shared_forward', code }).pipeline).toBe(made.pipeline);
    expect(second.kernels.size).toBe(1);
    // Ahead of time (prepare) too.
    const third = new GpuContext(device, report);
    await third.prepareKernels(() => void third.kernel({ name: 'shared_forward', code }));
    expect(third.kernel({ name: 'shared_forward', code }).pipeline).toBe(made.pipeline);
    const other = new GpuContext(device, report).kernel({ name: 'shared_forward', code: '@compute @workgroup_size(2) fn main() {}' });
    expect(other.pipeline).not.toBe(made.pipeline);
    // A kernel that failed is not kept: the next context reports it again.
    const broken = '@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }';
    const failing = new GpuContext(device, report);
    failing.kernel({ name: 'broken_forward', code: broken });
    await expect(failing.kernels.ready()).rejects.toThrow(KernelCompileError);
    const again = new GpuContext(device, report);
    again.kernel({ name: 'broken_forward', code: broken });
    await expect(again.kernels.ready()).rejects.toThrow(KernelCompileError);
  });
});

describe('Params', () => {
  it('packs u32, i32 and f32 little-endian, padded to 16 bytes', () => {
    const p = new Params().u32(7).i32(-2).f32(0.5);
    expect(p.byteLength).toBe(16);
    const view = new DataView(new ArrayBuffer(16));
    p.writeTo(view, 0);
    expect(view.getUint32(0, true)).toBe(7);
    expect(view.getInt32(4, true)).toBe(-2);
    expect(view.getFloat32(8, true)).toBe(0.5);
    expect(() => new Params().u32(-1)).toThrow(/out of range/);
  });
});
