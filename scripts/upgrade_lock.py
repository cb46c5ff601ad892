"""`make upgrade`: re-resolve requirements/run.txt and dev.txt to the newest releases pyproject.toml
allows, and keep them only if the whole suite passes with them.

    .venv/bin/python scripts/upgrade_lock.py [pytest args]

The candidates are written to var/upgrade/, installed into a scratch virtual environment there
(this checkout on its path), and the suite runs in it with `playground.launcher test`. On success
they replace the lock files and the stamps are dropped, so the next `make` installs them into .venv;
on failure the lock files are left as they were and the candidates stay in var/upgrade/ to look at.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
WORK = ROOT / "var" / "upgrade"
UV = Path(sys.executable).parent / "uv"
COMPILE = ["pip", "compile", "--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]
COMPILE += ["--generate-hashes", "--no-header", "--annotation-style", "line", "--no-strip-extras", "--quiet"]


def run(*args: str | Path, cwd: Path = ROOT) -> None:
    print("+", " ".join(str(arg) for arg in args), flush=True)
    subprocess.run([str(arg) for arg in args], check=True, cwd=cwd)


def main(pytest_args: list[str]) -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    run(UV, *COMPILE, "--upgrade", "--extra", "dev", "-o", WORK / "dev.txt", ROOT / "pyproject.toml")
    run(UV, *COMPILE, "-c", WORK / "dev.txt", "-o", WORK / "run.txt", ROOT / "pyproject.toml")
    changed = [name for name in ("run.txt", "dev.txt") if (WORK / name).read_text() != (LOCKS / name).read_text()]
    if not changed:
        print("The lock files are already the newest pyproject.toml allows.")
        return 0
    env_dir = WORK / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", WORK / "dev.txt")
    run(python, ROOT / "scripts" / "link_checkout.py")
    suite = subprocess.run([str(python), "-m", "playground.launcher", "test", *pytest_args], cwd=ROOT)
    if suite.returncode != 0:
        print(f"The suite failed with the upgraded packages: the lock is unchanged. Candidates: {WORK}")
        return suite.returncode
    for name in changed:
        shutil.copyfile(WORK / name, LOCKS / name)
    for stamp in (ROOT / ".venv").glob(".stamp-*"):
        stamp.unlink()
    print(f"Upgraded {', '.join(changed)}; run `make test` to install them into .venv.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
