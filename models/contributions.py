"""Exact SHAP contributions of a LightGBM booster, several times faster than `pred_contrib`.

`tree_contributions(booster, matrix)` returns what `booster.predict(matrix,
pred_contrib=True)` returns (rows x (features + 1), the last column the expected value) to
within floating-point rounding (tests/model/test_contributions.py holds it to 1e-9 on every
model kind the bundle holds), computed by the table-driven TreeSHAP of
`models.treeshap_kernel` on both cores. The booster's trees are read once (`dump_model`) and
kept with the booster for as long as it lives.

Boosters the kernel does not cover go to `pred_contrib` itself, explicitly: several models
per iteration (multiclass: another output layout) and linear trees (leaf values depend on the
row). `uses_pred_contrib` says which path a booster takes.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np

BLOCK_ROWS = 64
"""Rows per parallel block: one block's output (64 x 99 doubles) stays in L1/L2 per tree."""


@dataclass(frozen=True)
class CompiledTrees:
    """A booster's trees as flat arrays for the kernel (see `add_contributions`)."""

    arrays: tuple[np.ndarray, ...]
    expected_value: float
    features: int
    iteration: int


_KERNEL_LOCK = threading.Lock()
"""One kernel call at a time: numba's fallback `workqueue` threading layer (used where OpenMP
is missing) aborts on concurrent parallel calls, and serving explains from a thread pool. Each
call already uses every core."""
_COMPILED: weakref.WeakKeyDictionary[lgb.Booster, CompiledTrees] = weakref.WeakKeyDictionary()


def uses_pred_contrib(booster: lgb.Booster) -> bool:
    """True when `tree_contributions` falls back to LightGBM's `pred_contrib` for `booster`."""
    if booster.num_model_per_iteration() != 1:
        return True
    return _compiled(booster) is None


def tree_contributions(booster: lgb.Booster, matrix: np.ndarray) -> np.ndarray:
    """SHAP contributions per row: `pred_contrib`'s layout, n x (features + 1), float64.

    Args:
        booster: a LightGBM booster; its `best_iteration` applies as in `predict`.
        matrix: rows x features, the booster's feature order (the bundle's encoded matrix).
    """
    if booster.num_model_per_iteration() != 1:
        return np.asarray(booster.predict(matrix, pred_contrib=True))
    compiled = _compiled(booster)
    if compiled is None:
        return np.asarray(booster.predict(matrix, pred_contrib=True))
    from models.treeshap_kernel import add_contributions

    values = np.ascontiguousarray(matrix, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != compiled.features:
        raise ValueError(
            f"matrix has shape {values.shape}; the booster expects {compiled.features} features"
        )
    out = np.zeros((values.shape[0], compiled.features + 1))
    with _KERNEL_LOCK:
        add_contributions(values, out, BLOCK_ROWS, *compiled.arrays)
    out[:, compiled.features] = compiled.expected_value
    return out


def _compiled(booster: lgb.Booster) -> CompiledTrees | None:
    """The booster's `CompiledTrees`, built on first use; None for linear trees.

    Two threads meeting an uncompiled booster may both build it; the results are equal.
    """
    iteration = booster.best_iteration
    cached = _COMPILED.get(booster)
    if cached is not None and cached.iteration == iteration:
        return cached
    model = booster.dump_model(num_iteration=None)
    if any(_is_linear(tree["tree_structure"]) for tree in model["tree_info"]):
        return None
    compiled = _compile(model, iteration)
    _COMPILED[booster] = compiled
    return compiled


def _is_linear(node: dict[str, Any]) -> bool:
    if "split_index" not in node:
        return "leaf_coeff" in node
    return _is_linear(node["left_child"]) or _is_linear(node["right_child"])


KERNEL_ARRAYS = (
    "tree_node_start", "tree_path_start", "node_feature", "node_kind", "node_missing",
    "node_default_left", "node_threshold", "node_cat_start", "node_cat_words", "cat_bits",
    "path_depth", "path_start", "path_features", "zeros", "leaf_values", "table_start",
    "table", "edge_start", "edge_node", "edge_left", "edge_slot",
)  # fmt: skip
"""The arguments of `add_contributions` after (matrix, out, block), in its order."""


def _compile(model: dict[str, Any], iteration: int) -> CompiledTrees:
    """Flatten `dump_model` output into the kernel's arrays and fill the path tables."""
    from models.tree_paths import flatten_trees
    from models.treeshap_kernel import build_tables

    arrays = flatten_trees(model["tree_info"]).as_arrays()
    arrays["table"] = build_tables(
        arrays["path_depth"],
        arrays["path_start"],
        arrays["zeros"],
        arrays["leaf_values"],
        arrays["table_start"],
        arrays["table_size"],
    )
    return CompiledTrees(
        tuple(arrays[name] for name in KERNEL_ARRAYS),
        arrays["expected_value"],
        model["max_feature_idx"] + 1,
        iteration,
    )
