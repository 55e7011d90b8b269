#!/usr/bin/env bash
# The tests exactly as CI runs them (.ci/run calls this): the set-up of scripts/setup.sh without the main job, then
# lint, layout, the layers and the default test suite. Arguments go to pytest (`scripts/test.sh -m slow`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-run
# shellcheck disable=SC1091
. .venv/bin/activate
ruff check .
ruff format --check .
lint-imports # the layers in pyproject.toml ([tool.importlinter])
python -m pytest -q "$@"
