"""The compiled part of `models.contributions`: exact path-wise TreeSHAP in numba.

Why another TreeSHAP: LightGBM's `pred_contrib` recurses through every tree for every row,
re-deriving the same polynomial weights each time (O(trees x leaves x depth^2) per row). The
SHAP value a leaf adds to a feature depends only on which of the features on its root-to-leaf
path the row satisfies (its "hot" set: one fraction 1, else 0) and on the path's cover ratios
(zero fractions), both fixed by the model. So each leaf path gets a table, one row of
contributions per hot set, computed once per booster with LightGBM's own EXTEND/UNWIND
arithmetic (`tree.cpp`: `ExtendPath`, `UnwoundPathSum`); a row then costs one decision per
node and one table lookup per leaf. Paths with more distinct features than
`models.tree_paths.TABLE_MAX_FEATURES` (a 2^d table would be too big) run the same arithmetic
per row instead.

Decisions follow LightGBM's `NumericalDecision` and `CategoricalDecision` (tree.h) exactly:
missing types None/Zero/NaN with the default direction; categories truncated to int, NaN,
negatives and categories outside the bitset go right.

This module imports numba, so `models.contributions` imports it only on first use.
"""

from __future__ import annotations

import numba
import numpy as np

KIND_NUMERICAL, KIND_CATEGORICAL = 0, 1
MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2
ZERO_THRESHOLD = float(np.float32(1e-35))
"""LightGBM's kZeroThreshold (a float literal widened to double)."""
INT_LIMIT = 2.0**31


@numba.njit(cache=True, nogil=True)
def _path_weights(
    zeros: np.ndarray, ones: np.ndarray, leaf_value: float, weights: np.ndarray, out: np.ndarray
) -> None:
    """LightGBM's ExtendPath over a whole unique path, then UnwoundPathSum for each feature.

    `out[k]` receives leaf_value * w_k * (one_k - zero_k), what `TreeSHAP` adds to the
    k-th feature of the path at the leaf. Element 0 of LightGBM's path (the root, zero and one
    fraction 1) is implicit here; `weights` is scratch space of at least d + 1 doubles.
    """
    depth = zeros.shape[0]
    weights[0] = 1.0
    for unique_depth in range(1, depth + 1):
        zero = zeros[unique_depth - 1]
        one = ones[unique_depth - 1]
        weights[unique_depth] = 0.0
        for i in range(unique_depth - 1, -1, -1):
            weights[i + 1] += one * weights[i] * (i + 1) / (unique_depth + 1)
            weights[i] = zero * weights[i] * (unique_depth - i) / (unique_depth + 1)
    for k in range(depth):
        one = ones[k]
        zero = zeros[k]
        next_one_portion = weights[depth]
        total = 0.0
        for i in range(depth - 1, -1, -1):
            if one != 0:
                tmp = next_one_portion * (depth + 1) / ((i + 1) * one)
                total += tmp
                next_one_portion = weights[i] - tmp * zero * ((depth - i) / (depth + 1))
            elif zero != 0:
                total += (weights[i] / zero) / ((depth - i) / (depth + 1))
        out[k] = total * (one - zero) * leaf_value


@numba.njit(cache=True, nogil=True)
def build_tables(
    path_depth: np.ndarray,
    path_zero_start: np.ndarray,
    zeros: np.ndarray,
    leaf_values: np.ndarray,
    table_start: np.ndarray,
    table_size: int,
) -> np.ndarray:
    """Every tabled path's contributions for each of its 2^d hot sets (bit k: feature k hot)."""
    table = np.empty(table_size)
    for p in range(path_depth.shape[0]):
        start = table_start[p]
        if start < 0:
            continue
        depth = path_depth[p]
        path_zeros = zeros[path_zero_start[p] : path_zero_start[p] + depth]
        ones = np.empty(depth)
        weights = np.empty(depth + 1)
        for mask in range(1 << depth):
            for k in range(depth):
                ones[k] = 1.0 if (mask >> k) & 1 else 0.0
            offset = start + mask * depth
            _path_weights(path_zeros, ones, leaf_values[p], weights, table[offset : offset + depth])
    return table


@numba.njit(cache=True, nogil=True, inline="always")
def _goes_left(
    value: float, kind: int, missing: int, default_left: bool, threshold: float,
    cat_bits: np.ndarray, cat_start: int, cat_words: int,
) -> bool:  # fmt: skip
    """LightGBM's decision at one node for one feature value (see the module docstring)."""
    if kind == KIND_CATEGORICAL:
        if np.isnan(value) or value <= -INT_LIMIT or value >= INT_LIMIT:
            return False
        category = int(value)
        if category < 0 or category // 32 >= cat_words:
            return False
        return (cat_bits[cat_start + category // 32] >> (category % 32)) & 1 == 1
    if np.isnan(value) and missing != MISSING_NAN:
        value = 0.0
    if (missing == MISSING_ZERO and -ZERO_THRESHOLD <= value <= ZERO_THRESHOLD) or (
        missing == MISSING_NAN and np.isnan(value)
    ):
        return default_left
    return value <= threshold


@numba.njit(cache=True, nogil=True)
def _path_weights_fast(
    zeros: np.ndarray, ones: np.ndarray, leaf_value: float, weights: np.ndarray,
    reciprocals: np.ndarray, out: np.ndarray,
) -> None:  # fmt: skip
    """`_path_weights` with its divisions turned into products (`reciprocals[j]` = 1 / j).

    Used per row for the long paths that have no table: the divisions of LightGBM's loops form
    a dependent chain that costs more than the rest. Differs from `_path_weights` by rounding
    only (relative 1e-15).
    """
    depth = zeros.shape[0]
    weights[0] = 1.0
    for unique_depth in range(1, depth + 1):
        zero = zeros[unique_depth - 1]
        one = ones[unique_depth - 1]
        scale = reciprocals[unique_depth + 1]
        weights[unique_depth] = 0.0
        for i in range(unique_depth - 1, -1, -1):
            weights[i + 1] += one * weights[i] * ((i + 1) * scale)
            weights[i] = zero * weights[i] * ((unique_depth - i) * scale)
    scale = reciprocals[depth + 1]
    for k in range(depth):
        zero = zeros[k]
        total = 0.0
        if ones[k] != 0:
            next_one_portion = weights[depth]
            for i in range(depth - 1, -1, -1):
                tmp = next_one_portion * ((depth + 1) * reciprocals[i + 1])
                total += tmp
                next_one_portion = weights[i] - tmp * zero * ((depth - i) * scale)
        elif zero != 0:
            inverse = (depth + 1) / zero
            for i in range(depth - 1, -1, -1):
                total += weights[i] * inverse * reciprocals[depth - i]
        out[k] = total * (ones[k] - zero) * leaf_value


@numba.njit(cache=True, nogil=True, parallel=True)
def add_contributions(
    matrix: np.ndarray, out: np.ndarray, block: int,
    tree_node_start: np.ndarray, tree_path_start: np.ndarray,
    node_feature: np.ndarray, node_kind: np.ndarray, node_missing: np.ndarray,
    node_default_left: np.ndarray, node_threshold: np.ndarray,
    node_cat_start: np.ndarray, node_cat_words: np.ndarray, cat_bits: np.ndarray,
    path_depth: np.ndarray, path_start: np.ndarray, path_features: np.ndarray,
    zeros: np.ndarray, leaf_values: np.ndarray, table_start: np.ndarray, table: np.ndarray,
    edge_start: np.ndarray, edge_node: np.ndarray, edge_left: np.ndarray, edge_slot: np.ndarray,
) -> None:  # fmt: skip
    """Add every tree's SHAP contributions of each row of `matrix` to `out` (rows x features).

    Blocks of `block` rows run in parallel. Inside a block, per tree: first each row's hot set
    on every leaf path (bit k set when every split of the path on its k-th feature agrees with
    the row), from one decision per internal node; then path by path over the block's rows, so
    that one path's table stays in cache while the rows read it (tables are too big for the
    cache taken all at once). Long paths without a table run `_path_weights_fast` per row.

    Long because it is one numba kernel: its loops share scratch arrays allocated once per
    block, and splitting them into functions would pass a dozen arrays per call in the hot loop.
    """
    rows = matrix.shape[0]
    trees = tree_node_start.shape[0] - 1
    max_nodes = max(1, np.max(tree_node_start[1:] - tree_node_start[:-1]))
    max_paths = max(1, np.max(tree_path_start[1:] - tree_path_start[:-1]))
    max_depth = max(1, np.max(path_depth)) if path_depth.shape[0] else 1
    reciprocals = np.zeros(max_depth + 2)
    for j in range(1, max_depth + 2):
        reciprocals[j] = 1.0 / j
    for b in numba.prange((rows + block - 1) // block):
        low, high = b * block, min(rows, (b + 1) * block)
        decisions = np.empty(max_nodes, dtype=np.bool_)
        masks = np.empty((high - low, max_paths), dtype=np.int64)
        ones = np.empty(max_depth)
        scratch = np.empty(max_depth)
        weights = np.empty(max_depth + 1)
        for t in range(trees):
            first, first_path = tree_node_start[t], tree_path_start[t]
            for r in range(low, high):
                for j in range(first, tree_node_start[t + 1]):
                    decisions[j - first] = _goes_left(
                        matrix[r, node_feature[j]], node_kind[j], node_missing[j],
                        node_default_left[j], node_threshold[j],
                        cat_bits, node_cat_start[j], node_cat_words[j],
                    )  # fmt: skip
                for p in range(first_path, tree_path_start[t + 1]):
                    mask = (1 << path_depth[p]) - 1
                    for e in range(edge_start[p], edge_start[p + 1]):
                        if decisions[edge_node[e]] != edge_left[e]:
                            mask &= ~(1 << edge_slot[e])
                    masks[r - low, p - first_path] = mask
            for p in range(first_path, tree_path_start[t + 1]):
                depth = path_depth[p]
                features = path_features[path_start[p] : path_start[p] + depth]
                if table_start[p] >= 0:
                    for r in range(low, high):
                        base = table_start[p] + masks[r - low, p - first_path] * depth
                        for k in range(depth):
                            out[r, features[k]] += table[base + k]
                    continue
                path_zeros = zeros[path_start[p] : path_start[p] + depth]
                for r in range(low, high):
                    mask = masks[r - low, p - first_path]
                    for k in range(depth):
                        ones[k] = 1.0 if (mask >> k) & 1 else 0.0
                    _path_weights_fast(
                        path_zeros, ones[:depth], leaf_values[p], weights, reciprocals,
                        scratch[:depth],
                    )  # fmt: skip
                    for k in range(depth):
                        out[r, features[k]] += scratch[k]
