#!/usr/bin/env bash
# Packs scripts/device-webgpu.ts for the GPU machine: one bundle + onnxruntime-node's linux-x64 files (< 64 MiB),
# into .device/ (git-ignored), which the device tool carries. Run there: node .device/bench.mjs
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
du -sh .device
