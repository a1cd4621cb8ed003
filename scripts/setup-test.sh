#!/usr/bin/env bash
# Installs the system packages the tests need on Debian (run as root), and nothing when they are already there:
#  - chromium: the browser for the e2e tests, and the SwiftShader Vulkan driver (CPU WebGPU) for every GPU test;
#  - libvulkan1: the Vulkan loader Dawn (the `webgpu` package) needs to run kernel tests in Node.
set -euo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' && ! compgen -G '/usr/lib/*/libvulkan.so.1' >/dev/null; then
  missing+=(libvulkan1)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup:test: missing ${missing[*]}; run as root (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "setup:test: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
echo "setup:test: done"
