"""The README's layer diagram is the code's: the same layers, in the same order as the import contract."""

import re
import tomllib

from conftest import ROOT

PACKAGE = ROOT / "sapa_model"


def _diagram() -> list[set[str]]:
    """The README's Architecture block: per line, the modules named before the description ('a/ · b.py')."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Architecture", 1)[1].split("```", 2)[1]
    layers = [re.split(r"\s{2,}", line.strip())[0] for line in block.strip().splitlines() if line.strip()]
    return [{m.strip().rstrip("/").removesuffix(".py") for m in layer.split("·")} for layer in layers]


def test_the_readme_diagram_is_the_import_contract_and_names_every_module():
    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    contract = [{m.strip().removeprefix("sapa_model.") for m in layer.split("|")} for layer in layers]
    assert _diagram() == contract
    modules = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
               if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.name != "__init__.py")}
    assert modules == set().union(*contract)
