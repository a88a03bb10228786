"""Audit of the package's loaders of untrusted files: YAML only through safe loaders, checkpoints
only through ``torch.load(..., weights_only=True)``, and no unpickling at all (``pickle``,
``joblib``, ``np.load(..., allow_pickle=True)``) (issue 10, section 6).

The scan reads the source (AST), so it also covers modules whose imports are expensive. Any
unsafe call fails here; there are no exceptions.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCANNED = ["espnet_ext", "bench"]
SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}
SAFE_YAML_CALLS = {"safe_load", "safe_load_all"}


def _safe_loader_names(tree: ast.Module) -> set[str]:
    """Module-level names bound to a safe loader (``_L = getattr(yaml, "CSafeLoader", ...)``)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            loaders = {
                n.value if isinstance(n, ast.Constant) else getattr(n, "attr", None)
                for n in ast.walk(node.value)
                if isinstance(n, ast.Constant | ast.Attribute)
            } - {None, "yaml"}
            if isinstance(target, ast.Name) and loaders and loaders <= SAFE_LOADERS:
                names.add(target.id)
    return names


def _loader_is_safe(expr: ast.expr, safe_names: set[str]) -> bool:
    if isinstance(expr, ast.Attribute):
        return expr.attr in SAFE_LOADERS
    return isinstance(expr, ast.Name) and (expr.id in SAFE_LOADERS or expr.id in safe_names)


def unsafe_calls(source: str, path: str = "<string>") -> list[str]:
    """``path:line: call`` for each unsafe YAML load and non-weights-only ``torch.load``."""
    tree = ast.parse(source, filename=path)
    safe_names = _safe_loader_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        module = owner.id if isinstance(owner, ast.Name) else None
        name = node.func.attr
        keywords = {k.arg: k.value for k in node.keywords}
        where = f"{path}:{node.lineno}: {ast.unparse(node)[:80]}"
        if module == "yaml" and "load" in name and name not in SAFE_YAML_CALLS:
            loader = keywords.get("Loader", node.args[1] if len(node.args) > 1 else None)
            if loader is None or not _loader_is_safe(loader, safe_names):
                found.append(where)
        if module == "torch" and name == "load":
            weights_only = keywords.get("weights_only")
            if not (isinstance(weights_only, ast.Constant) and weights_only.value is True):
                found.append(where)
    return found


def test_checker_flags_unsafe_calls():
    source = """
import yaml, torch
_OK = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BAD = yaml.FullLoader
yaml.safe_load(a)
yaml.load(a, Loader=_OK)
yaml.load(a, Loader=yaml.CSafeLoader)
torch.load(f, weights_only=True)
yaml.load(a)
yaml.load(a, Loader=yaml.Loader)
yaml.load(a, Loader=_BAD)
yaml.unsafe_load(a)
yaml.full_load(a)
torch.load(f)
torch.load(f, weights_only=False)
"""
    flagged = [line.split(": ", 1)[1] for line in unsafe_calls(source)]
    assert flagged == [
        "yaml.load(a)",
        "yaml.load(a, Loader=yaml.Loader)",
        "yaml.load(a, Loader=_BAD)",
        "yaml.unsafe_load(a)",
        "yaml.full_load(a)",
        "torch.load(f)",
        "torch.load(f, weights_only=False)",
    ]


def test_package_loads_yaml_safely_and_checkpoints_weights_only():
    found = []
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            found += unsafe_calls(path.read_text(encoding="utf-8"), rel)
    assert not found, "unsafe loads (use yaml.safe_load / torch.load(weights_only=True)):\n" + (
        "\n".join(found)
    )


# modules whose load functions unpickle (joblib files are pickles), and those functions
UNPICKLING_MODULES = {"pickle", "_pickle", "cPickle", "joblib", "dill", "cloudpickle"}
UNPICKLING_FUNCTIONS = {"load", "loads", "Unpickler"}


def unpickling_calls(source: str, path: str = "<string>") -> list[str]:
    """``path:line: call`` for each call that unpickles: ``pickle.load``/``loads``/``Unpickler``,
    ``joblib.load`` (also under an ``import ... as`` name or imported by name), pandas
    ``read_pickle``, and ``np.load`` unless ``allow_pickle`` is left out or ``False``."""
    tree = ast.parse(source, filename=path)
    modules, functions = set(UNPICKLING_MODULES), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in UNPICKLING_MODULES:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in UNPICKLING_MODULES:
                functions |= {
                    a.asname or a.name for a in node.names if a.name in UNPICKLING_FUNCTIONS
                }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        where = f"{path}:{node.lineno}: {ast.unparse(node)[:80]}"
        if isinstance(func, ast.Name):
            if func.id in functions:
                found.append(where)
            continue
        if not isinstance(func, ast.Attribute):
            continue
        owner = ast.unparse(func.value)
        if owner in modules and func.attr in UNPICKLING_FUNCTIONS or func.attr == "read_pickle":
            found.append(where)
        elif owner in ("np", "numpy") and func.attr == "load":
            allow = {k.arg: k.value for k in node.keywords}.get("allow_pickle")
            if allow is not None and not (
                isinstance(allow, ast.Constant) and allow.value is False
            ):
                found.append(where)
    return found


def test_checker_flags_unpickling_calls():
    source = """
import pickle, joblib
import numpy as np
import joblib as jl
from joblib import load as jload
np.load(f)
np.load(f, allow_pickle=False, mmap_mode="r")
pickle.dumps(x)
pickle.UnpicklingError
joblib.dump(m, f)
json.load(f)
joblib.load(f)
jl.load(f)
jload(f)
pickle.load(f)
pickle.loads(b)
pickle.Unpickler(f).load()
np.load(f, allow_pickle=True)
np.load(f, allow_pickle=flag)
pd.read_pickle(f)
"""
    flagged = [line.split(": ", 1)[1] for line in unpickling_calls(source)]
    assert sorted(flagged) == sorted(
        [
            "joblib.load(f)",
            "jl.load(f)",
            "jload(f)",
            "pickle.load(f)",
            "pickle.loads(b)",
            "pickle.Unpickler(f)",
            "np.load(f, allow_pickle=True)",
            "np.load(f, allow_pickle=flag)",
            "pd.read_pickle(f)",
        ]
    )


def test_package_never_unpickles():
    """No pickle in the package's loaders: the k-means codebook is ``kmeans.npz`` (issue 10)."""
    found = []
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            found += unpickling_calls(path.read_text(encoding="utf-8"), rel)
    assert not found, "calls that unpickle (store arrays with np.save/np.savez):\n" + (
        "\n".join(found)
    )
