"""A LightGBM booster's trees as root-to-leaf paths in flat arrays, for `models.treeshap_kernel`.

Read from `Booster.dump_model()` (thresholds and leaf values printed with 17 significant
digits, so they round-trip exactly). Per tree: its internal nodes (feature, decision kind,
missing type, default direction, threshold or category bitset) and one path per leaf: the
distinct features split on along it, each with its zero fraction (the product of the cover
ratios child count / parent count of its splits, as LightGBM's `TreeSHAP` merges a feature
met twice) and the edges (node, went left, feature slot) that decide whether a row is "hot"
on that feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

TABLE_MAX_FEATURES = 10
"""Paths with at most this many distinct features get a table of 2^d x d doubles (80 KiB)."""
MISSING_TYPES = {"None": 0, "Zero": 1, "NaN": 2}


@dataclass
class FlatTrees:
    """Arrays indexed by tree, node (internal, per tree from 0), path (leaf) and edge."""

    tree_node_start: list[int] = field(default_factory=lambda: [0])
    tree_path_start: list[int] = field(default_factory=lambda: [0])
    node_feature: list[int] = field(default_factory=list)
    node_kind: list[int] = field(default_factory=list)
    node_missing: list[int] = field(default_factory=list)
    node_default_left: list[bool] = field(default_factory=list)
    node_threshold: list[float] = field(default_factory=list)
    node_cat_start: list[int] = field(default_factory=list)
    node_cat_words: list[int] = field(default_factory=list)
    cat_bits: list[int] = field(default_factory=list)
    path_depth: list[int] = field(default_factory=list)
    path_start: list[int] = field(default_factory=list)
    path_features: list[int] = field(default_factory=list)
    zeros: list[float] = field(default_factory=list)
    leaf_values: list[float] = field(default_factory=list)
    table_start: list[int] = field(default_factory=list)
    table_size: int = 0
    edge_start: list[int] = field(default_factory=lambda: [0])
    edge_node: list[int] = field(default_factory=list)
    edge_left: list[bool] = field(default_factory=list)
    edge_slot: list[int] = field(default_factory=list)
    expected_value: float = 0.0

    def as_arrays(self) -> dict[str, Any]:
        """The lists as typed numpy arrays (what numba compiles against)."""
        types = {bool: np.bool_, float: np.float64, int: np.int64}
        arrays: dict[str, Any] = {}
        for name, value in vars(self).items():
            if isinstance(value, list):
                kind = bool if name.startswith(("node_default", "edge_left")) else int
                if name in ("node_threshold", "zeros", "leaf_values"):
                    kind = float
                arrays[name] = np.asarray(value, dtype=types[kind])
            else:
                arrays[name] = value
        return arrays


def flatten_trees(tree_info: list[dict[str, Any]]) -> FlatTrees:
    """All trees of a `dump_model()["tree_info"]`, in order; see the module docstring."""
    flat = FlatTrees()
    for tree in tree_info:
        root = tree["tree_structure"]
        flat.expected_value += _expected_value(root)
        if "split_index" in root:
            _walk(flat, root, [], len(flat.node_feature))
        flat.tree_node_start.append(len(flat.node_feature))
        flat.tree_path_start.append(len(flat.path_depth))
    return flat


def _expected_value(root: dict[str, Any]) -> float:
    """LightGBM's `Tree::ExpectedValue`: leaves in index order, weighted by their counts."""
    if "split_index" not in root:
        return float(root["leaf_value"])
    leaves: list[dict[str, Any]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            stack += [node["left_child"], node["right_child"]]
        else:
            leaves.append(node)
    total = float(root["internal_count"])
    value = 0.0
    for leaf in sorted(leaves, key=lambda leaf: leaf["leaf_index"]):
        value += (leaf["leaf_count"] / total) * leaf["leaf_value"]
    return value


def _count(node: dict[str, Any]) -> float:
    return float(node["internal_count"] if "split_index" in node else node["leaf_count"])


def _walk(
    flat: FlatTrees, node: dict[str, Any], edges: list[tuple[int, bool, int, float]], first: int
) -> None:
    """Depth first; `edges` holds (node, went left, feature, cover ratio) from the root."""
    if "split_index" not in node:
        _add_path(flat, node, edges)
        return
    index = len(flat.node_feature) - first
    _add_node(flat, node)
    for child, left in ((node["left_child"], True), (node["right_child"], False)):
        ratio = _count(child) / _count(node)
        _walk(flat, child, [*edges, (index, left, int(node["split_feature"]), ratio)], first)


def _add_node(flat: FlatTrees, node: dict[str, Any]) -> None:
    flat.node_feature.append(int(node["split_feature"]))
    flat.node_missing.append(MISSING_TYPES[node["missing_type"]])
    flat.node_default_left.append(bool(node["default_left"]))
    flat.node_cat_start.append(len(flat.cat_bits))
    if node["decision_type"] == "==":
        categories = [int(c) for c in str(node["threshold"]).split("||")]
        words = [0] * (max(categories) // 32 + 1)
        for category in categories:
            words[category // 32] |= 1 << (category % 32)
        flat.node_kind.append(1)
        flat.node_threshold.append(0.0)
        flat.cat_bits += words
        flat.node_cat_words.append(len(words))
    elif node["decision_type"] == "<=":
        flat.node_kind.append(0)
        flat.node_threshold.append(float(node["threshold"]))
        flat.node_cat_words.append(0)
    else:
        raise ValueError(f"unknown LightGBM decision type {node['decision_type']!r}")


def _add_path(
    flat: FlatTrees, leaf: dict[str, Any], edges: list[tuple[int, bool, int, float]]
) -> None:
    slots: dict[int, int] = {}
    zeros: list[float] = []
    for node, left, feature, ratio in edges:
        if feature not in slots:
            slots[feature] = len(zeros)
            zeros.append(1.0)
        slot = slots[feature]
        zeros[slot] = ratio * zeros[slot]
        flat.edge_node.append(node)
        flat.edge_left.append(left)
        flat.edge_slot.append(slot)
    flat.edge_start.append(len(flat.edge_node))
    depth = len(zeros)
    flat.path_depth.append(depth)
    flat.path_start.append(len(flat.path_features))
    flat.path_features += list(slots)
    flat.zeros += zeros
    flat.leaf_values.append(float(leaf["leaf_value"]))
    if depth <= TABLE_MAX_FEATURES:
        flat.table_start.append(flat.table_size)
        flat.table_size += (1 << depth) * depth
    else:
        flat.table_start.append(-1)
