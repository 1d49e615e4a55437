#!/usr/bin/env bash
# Print the path of a Python >= 3.12, preferring the newest. Looks on PATH first, then in
# pyenv's versions folder (where a pyenv shim may fail unless a version is selected).
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
for name in python3.14 python3.13 python3.12 python3; do
  path=$(command -v "$name" 2>/dev/null) && candidates+=("$path")
done
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for dir in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -V -r); do
  candidates+=("$dir/bin/python3")
done
for candidate in "${candidates[@]}"; do
  if ok "$candidate"; then
    # Resolve to the real interpreter so the venv does not depend on a shim's selection.
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "No Python 3.12 or newer found. Install one (e.g. 'pyenv install 3.13') and retry." >&2
exit 1
