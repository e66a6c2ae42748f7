"""Write the pinned runtime requirements of newsbeam's SDK workers (one `name==version` a line).

Why generated: constraints.txt pins the whole closure, test tools included (pytest, duckdb, polars,
ruff...), which a worker never imports. The worker set is the transitive closure of
pyproject.toml's [project].dependencies, walked through the installed distributions' metadata of
the project venv (markers evaluated for this interpreter, no extras), each pinned to its
constraints.txt version. Beam's stager downloads every line of it with `pip download --no-deps`
into the requirements cache and stages those wheels with the job, and boot installs them with
`pip install --no-index --no-deps --find-links <staged>`: so the list must be complete, which the
closure is. apache-beam stays in the list (the stager leaves it out of the cache; boot finds it
already installed from the staged SDK wheel, --sdk_location).

usage: python requirements.py PYPROJECT CONSTRAINTS > requirements.txt
(run with the project venv's python: it reads that venv's installed metadata)
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def main(pyproject: str, constraints: str) -> None:
    with open(pyproject, "rb") as f:
        roots = [Requirement(r) for r in tomllib.load(f)["project"]["dependencies"]]
    pins: dict[str, str] = {}
    with open(constraints) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                req = Requirement(line)
                pins[canonicalize_name(req.name)] = str(req.specifier)
    seen: dict[str, str] = {}
    todo = list(roots)
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        dist = metadata.distribution(req.name)
        seen[name] = dist.version
        todo.extend(Requirement(r) for r in dist.requires or ())
    missing = []
    for name, version in sorted(seen.items()):
        pin = pins.get(name)
        if pin is None:
            missing.append(name)
            pin = f"=={version}"
        elif pin != f"=={version}":
            sys.exit(f"{name}: constraints.txt says {pin}, the project venv has {version}")
        print(f"{name}{pin}")
    if missing:
        print(f"note: not in constraints.txt, pinned to the installed version: {missing}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
