"""Writes each job's shell of a .gitlab-ci.yml (before_script + script, as GitLab runs them)
to DIR/JOB.sh, for shellcheck: actionlint does this for GitHub's `run:` steps, nothing does it
for GitLab. Usage: python gitlab-scripts.py FILE DIR"""

import sys
from pathlib import Path

from ruamel.yaml import YAML

KEYWORDS = {"workflow", "stages", "variables", "default", "include", "image", "services", "cache"}


def lines(value):
    return [value] if isinstance(value, str) else list(value or [])


def main(path, out):
    config = YAML(typ="safe").load(Path(path).read_text())
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, job in config.items():
        if name in KEYWORDS or not isinstance(job, dict):
            continue
        base = config.get(job.get("extends"), {}) if isinstance(job.get("extends"), str) else {}
        parts = lines(job.get("before_script", base.get("before_script"))) + lines(job.get("script"))
        if not parts:
            continue
        # GitLab's shell runs the lines in one bash with `set -eo pipefail`.
        body = "\n".join(parts)
        (out / f"{name.lstrip('.')}.sh").write_text(f"#!/usr/bin/env bash\nset -eo pipefail\n{body}\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
