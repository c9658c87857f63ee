#!/usr/bin/env bash
# Build faceapp's one-folder app with PyInstaller, then prove it: --version and
# --self-test on generated weights.  Run it in an environment made with
#   pip install ".[build]"
# Options: --bundle-models DIR  bundle a folder of rcmalli_vggface_* files for offline installs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--bundle-models" ]; then
  export FACEAPP_BUNDLE_MODELS="$(cd "$2" && pwd)"
fi
dist="${DISTPATH:-dist}"
python -m PyInstaller faceapp.spec --noconfirm --clean --distpath "$dist" --workpath "${WORKPATH:-build}"
app="$dist/faceapp/faceapp"
"$app" --version
models="$(mktemp -d)"
trap 'rm -rf "$models"' EXIT
python -c "import sys; from faceapp.core.vggface.synthetic import write_synthetic_model_files as w; w(sys.argv[1], 'resnet50')" "$models"
"$app" --self-test --models-dir "$models"
du -sh "$dist/faceapp"
