/**
 * How the e2e tests and the UI benchmark start the browser: Debian's chromium (never a downloaded browser), quiet
 * and offline, runnable as root in a container, with WebGPU on SwiftShader (Chromium's CPU Vulkan driver) or with
 * no way to reach a GPU at all.
 */

import { SWIFTSHADER_DAWN_FLAGS } from '../../src/gpu/device-node';

/** Debian's chromium, never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Quiet, offline, and runnable as root in a container. */
export const QUIET = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** WebGPU on SwiftShader, Chromium's CPU Vulkan driver: works on any machine, GPU or not. */
export const SWIFTSHADER_WEBGPU = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  // The Dawn switches the engine's Node device takes on SwiftShader (fast pipeline creation; see device-node.ts).
  ...SWIFTSHADER_DAWN_FLAGS.map((flag) => `--${flag}`),
];

/**
 * A browser with no way to reach a GPU: hardware acceleration off (as in the browser's settings) and no SwiftShader
 * opt-in, so WebGPU exists but offers no adapter. (e2e/no-webgpu.spec.ts also opens the studio from a non-secure
 * origin, where browsers hide navigator.gpu altogether.)
 */
export const NO_WEBGPU = ['--disable-gpu'];
