#!/usr/bin/env bash
# Packs scripts/device-webgpu.ts for the GPU machine, which has no Node: one bundle, onnxruntime-node's linux-x64
# files, this machine's node binary (xz), and Debian's Vulkan loader + libglvnd, into .device/ (git-ignored, < 64 MiB),
# which the device tool carries. Run there: bash .device/run.sh (a copy of scripts/device-run.sh).
# Measured 2026-11-25 on the lent H100 machine: WebGPU found no adapter (the NVIDIA Vulkan ICD there does not create
# an instance: no graphics driver capability in that container), so only the CPU rows ran.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .device && mkdir -p .device/node_modules/onnxruntime-node/bin/napi-v6/linux
npx esbuild scripts/device-webgpu.ts --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --outfile=.device/bench.mjs --log-level=warning \
  --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"
cp src/engine/onnx.proto .device/onnx.proto
ort=node_modules/onnxruntime-node
cp -r $ort/package.json $ort/dist $ort/lib .device/node_modules/onnxruntime-node/ 2>/dev/null || true
cp -r $ort/bin/napi-v6/linux/x64 .device/node_modules/onnxruntime-node/bin/napi-v6/linux/
cp -r node_modules/onnxruntime-common .device/node_modules/
xz -T0 -6 -c .device/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 > .device/libonnxruntime.so.1.xz
rm .device/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > .device/node.xz
mkdir -p .device/lib && tmp=$(mktemp -d) && (cd "$tmp" && apt-get download libvulkan1 libglvnd0 libglx0 >/dev/null && for d in *.deb; do dpkg-deb -x "$d" x; done)
cp -L "$tmp"/x/usr/lib/x86_64-linux-gnu/{libvulkan.so.1,libGLdispatch.so.0,libGLX.so.0} .device/lib/
cp scripts/device-run.sh .device/run.sh
du -sh .device
