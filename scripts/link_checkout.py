"""Put this checkout on the virtual environment's import path (what an editable install does,
without building the project): `playground`, `services`, `tests` and `bench` import from here, in
every process the environment runs (Daphne, Celery, pytest, manage.py).

    .venv/bin/python scripts/link_checkout.py
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    site_packages = Path(sysconfig.get_paths()["purelib"])
    (site_packages / "playground-checkout.pth").write_text(f"{ROOT}\n")


if __name__ == "__main__":
    main()
