"""The README's layer diagram is the code's: the same layers, in the same order as the import contract."""

import re
import tomllib

from conftest import ROOT

PACKAGE = ROOT / "sapa_model"


def _diagram() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Architecture", 1)[1].split("```", 2)[1]
    return [line.split()[0] for line in block.strip().splitlines() if line.strip()]


def test_the_readme_diagram_lists_every_folder_and_module_of_the_package_in_contract_order():
    shown = [name.rstrip("/").removesuffix(".py") for name in _diagram()[:-1]]  # the last line is the base
    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    contract = [re.split(r"[ |]", layer)[0].removeprefix("sapa_model.") for layer in layers]
    assert shown == contract[:-1]
    modules = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
               if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.name != "__init__.py")}
    named = set(shown) | {m.removeprefix("sapa_model.") for m in layers[-1].replace(" ", "").split("|")}
    assert modules == named
