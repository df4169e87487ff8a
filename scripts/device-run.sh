#!/usr/bin/env bash
set -e
cd "$(dirname "$0")"
xz -d -T0 -c libonnxruntime.so.1.xz > node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
xz -d -T0 -c node.xz > node && chmod +x node
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null || true
export LD_LIBRARY_PATH="$PWD/lib:${LD_LIBRARY_PATH:-}"
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
cat $ICD; export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:/usr/local/nvidia/lib64:/usr/local/nvidia/lib"
ls /usr/local/nvidia/lib64 2>/dev/null | grep -i "glx\|vulkan\|libnvidia-gl" | head
if [ -z "$ICD" ]; then
  GLX=$(find / -name 'libGLX_nvidia.so.0' -not -path '/proc/*' 2>/dev/null | head -1)
  echo "no ICD json; libGLX_nvidia: ${GLX:-none}"
  if [ -n "$GLX" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}' "$GLX" > nvidia_icd.json
    ICD=$PWD/nvidia_icd.json
  fi
fi
[ -n "$ICD" ] && export VK_ICD_FILENAMES="$ICD"
./node bench.mjs
