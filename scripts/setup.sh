#!/usr/bin/env bash
# Set up resnet-repro and run its main job, in one command from a fresh clone:
#   a virtual environment in .venv; a torch/torchvision pair that works on this machine (the CPU-only build where
#   there is no NVIDIA GPU, so that 4 GB of CUDA libraries are not installed for nothing); the project; a check
#   that the pair really runs; Fashion-MNIST; then `resnet-repro run fig6 --profile cpu`.
# `scripts/setup.sh --no-run` stops before the data and the main job (scripts/test.sh, and so CI, install this way).
# Running it again is quick: what is already there and works is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

run_main_job=1
case "${1:-}" in
  "") ;;
  --no-run) run_main_job=0 ;;
  *) echo "usage: scripts/setup.sh [--no-run]" >&2; exit 2 ;;
esac

CPU_INDEX="https://download.pytorch.org/whl/cpu"
say() { echo "setup: $*"; }
fail() { echo "setup: $*" >&2; exit 1; }

python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null ||
  fail "resnet-repro needs Python 3.10 or newer (python3 here: $(python3 -V 2>&1)). Fix: install it, then run this again"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv >/dev/null 2>&1 ||
    fail "python3 cannot create a virtual environment. Fix (Debian/Ubuntu): apt-get install python3-venv, then run this again"
  say "created the virtual environment .venv"
fi
# shellcheck disable=SC1091
. .venv/bin/activate
# pip's own progress is kept quiet; a pip set up to read local package folders that are absent warns once per
# package about each, which says nothing about this install, so those lines are left out too.
install() {
  python -m pip install -q --disable-pip-version-check "$@" 2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
}

# torch and torchvision first, as one pair from one index: the project's install below then keeps them.
if ! python -c 'import torch, torchvision' >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    say "an NVIDIA GPU is here: installing torch and torchvision with CUDA (.venv about 6 GB in all)"
    install torch torchvision
  elif [ "$(uname -s)" != Linux ]; then
    say "installing torch and torchvision (this system's default build is CPU-only)"
    install torch torchvision
  elif python -c "import urllib.request as u; u.urlopen('$CPU_INDEX/', timeout=5)" >/dev/null 2>&1 &&
    install torch torchvision --index-url "$CPU_INDEX"; then
    say "no NVIDIA GPU: installed the CPU-only torch and torchvision from $CPU_INDEX (no CUDA libraries)"
  else
    say "no NVIDIA GPU, but $CPU_INDEX cannot be reached or serve a matching pair: installing torch and torchvision from the default index (it may include CUDA libraries: .venv about 6 GB in all)"
    install torch torchvision
  fi
fi
install -e '.[dev]'

# The pair must run together before anything trains: a torchvision built for another torch fails only when its
# operators are first used ("operator torchvision::nms does not exist").
python scripts/check_torch_pair.py || exit 1

if [ "$run_main_job" = 0 ]; then
  say "ready: . .venv/bin/activate, then resnet-repro --help"
  exit 0
fi

# Fashion-MNIST: Debian's package where this is a Debian/Ubuntu machine run as root (offline-friendly, 31 MB);
# anywhere else the main job fetches it into ./data itself and checks its digests.
if [ ! -d /usr/share/datasets/fashion-mnist ] && [ ! -d data/fashion-mnist ] && [ "$(id -u)" = 0 ] &&
  command -v apt-get >/dev/null 2>&1; then
  if (apt-get install -y -qq dataset-fashion-mnist || (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist)) >/dev/null 2>&1; then
    say "installed Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)"
  else
    say "apt-get could not install dataset-fashion-mnist; the main job fetches Fashion-MNIST itself"
  fi
fi

say "running the main job: resnet-repro run fig6 --profile cpu (15-36 min on 2 idle cores, longer on a busy machine; Ctrl-C stops it, the same command resumes)"
resnet-repro run fig6 --profile cpu
say "done: the figure is results/fig6/cpu/fig6.png, the report results/REPORT.html"
