"""Assembling the world: blocks of customers drawn from their own random streams, cut into chunks.

A block is the unit of randomness (`RNG_BLOCK_CUSTOMERS` customers, stream = child b of the
seed); a chunk is the unit of memory and writing (`SynthConfig.chunk_customers`). Chunks are
cut from blocks, so any chunk size yields the same rows with the same ids in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import pandas as pd

from features.sources.synth import frames
from features.sources.synth.config import RNG_BLOCK_CUSTOMERS, SynthConfig
from features.sources.synth.credit_notes import draw_credit_notes
from features.sources.synth.customers import credit_limits, draw_customers
from features.sources.synth.deals import draw_deals
from features.sources.synth.frames import Block
from features.sources.synth.health import simulate_health
from features.sources.synth.invoices import draw_invoices
from features.sources.synth.payments import draw_payments
from features.sources.synth.signals import draw_signals
from features.tables import Tables


@dataclass(frozen=True)
class SynthWorld:
    """A synthetic world with its hidden truth, for tests of the story; never written to disk.

    Attributes:
        tables: the canonical tables, as `generate_world` returns them.
        health: latent weekly health over history (customer_id, week_start, health).
        traits: latent per-customer facts (habit, baseline health, crisis and default dates).
    """

    tables: Tables
    health: pd.DataFrame
    traits: pd.DataFrame


@dataclass(frozen=True)
class Chunk:
    """The canonical tables of one chunk of customers, plus its latent traits."""

    tables: Tables
    traits: pd.DataFrame
    health: pd.DataFrame | None


def draw_block(config: SynthConfig, block: int, seed: np.random.SeedSequence) -> Block:
    """Draw every fact of block `block` from its own stream `seed`.

    Credit notes draw from a child stream of `seed`, so adding them left every other draw
    of the world as it was (`features.sources.synth.credit_notes`).
    """
    rng = np.random.default_rng(seed)
    credit_rng = np.random.default_rng(seed.spawn(1)[0])
    first = block * RNG_BLOCK_CUSTOMERS
    numbers = np.arange(first, min(first + RNG_BLOCK_CUSTOMERS, config.customers))
    start, days = config.start_day, config.history_days
    traits = draw_customers(config, numbers, rng)
    health = simulate_health(traits, days, rng)
    onboarding_health = health.at(np.arange(traits.size), np.maximum(traits.onboarding_day, -364))
    invoices = draw_invoices(traits, health, start, config.months, rng)
    payments = draw_payments(traits, health, invoices, start, days, rng)
    signals = draw_signals(traits, health, start, config.months, rng)
    deals = draw_deals(traits, health, start, config.months, rng)
    credits, payments = draw_credit_notes(health, invoices, payments, days, credit_rng)
    return Block(
        traits=traits,
        credit_limit=credit_limits(traits, onboarding_health),
        health=health,
        invoices=invoices,
        payments=payments,
        signals=signals,
        deals=deals,
        credit_notes=credits,
    )


def iter_blocks(config: SynthConfig) -> Iterator[Block]:
    """Every block in order, each drawn once."""
    count = -(-config.customers // RNG_BLOCK_CUSTOMERS)
    for block, seed in enumerate(np.random.SeedSequence(config.seed).spawn(count)):
        yield draw_block(config, block, seed)


def iter_chunks(config: SynthConfig, include_health: bool = False) -> Iterator[Chunk]:
    """Chunks of `config.chunk_customers` customers in id order, with global ids."""
    pieces: list[Chunk] = []
    in_chunk = 0
    next_number = {"invoices": 0, "payments": 0, "deals": 0, "credit_notes": 0}
    for block in iter_blocks(config):
        lo = 0
        while lo < block.traits.size:
            hi = min(block.traits.size, lo + config.chunk_customers - in_chunk)
            pieces.append(_block_slice(config, block, lo, hi, next_number, include_health))
            in_chunk += hi - lo
            lo = hi
            if in_chunk == config.chunk_customers:
                yield _concat(pieces)
                pieces, in_chunk = [], 0
        for name, draws in (("invoices", block.invoices.customer), ("deals", block.deals.customer)):
            next_number[name] += draws.size
        next_number["payments"] += block.payments.invoice.size
        next_number["credit_notes"] += block.credit_notes.invoice.size
    if pieces:
        yield _concat(pieces)


def _block_slice(
    config: SynthConfig,
    block: Block,
    lo: int,
    hi: int,
    first: dict[str, int],
    include_health: bool,
) -> Chunk:
    """Frames of the block's customers [lo, hi); `first` holds the block's first global numbers."""
    start = config.start_day

    def rows(customer: np.ndarray) -> slice:
        return slice(*np.searchsorted(customer, [lo, hi]).tolist())

    inv = rows(block.invoices.customer)
    pay = slice(*np.searchsorted(block.payments.invoice, [inv.start, inv.stop]).tolist())
    credit = slice(*np.searchsorted(block.credit_notes.invoice, [inv.start, inv.stop]).tolist())
    deal = rows(block.deals.customer)
    customers = slice(lo, hi)
    tables = Tables(
        customers=frames.customers_frame(block, customers, start),
        invoices=frames.invoices_frame(block, inv, first["invoices"] + inv.start, start),
        payments=frames.payments_frame(
            block, pay, first["payments"] + pay.start, first["invoices"], start
        ),
        signals=frames.signals_frame(block, rows(block.signals.customer), start),
        deals=frames.deals_frame(block, deal, first["deals"] + deal.start, start),
        credit_notes=frames.credit_notes_frame(
            block, credit, first["credit_notes"] + credit.start, first["invoices"], start
        ),
    )
    health = (
        frames.health_frame(block, customers, start, config.history_days)
        if include_health
        else None
    )
    return Chunk(tables, frames.traits_frame(block, customers, start), health)


def _concat(pieces: list[Chunk]) -> Chunk:
    """One chunk from consecutive block slices."""
    if len(pieces) == 1:
        return pieces[0]
    tables = {
        name: pd.concat([getattr(p.tables, name) for p in pieces], ignore_index=True)
        for name, _ in pieces[0].tables.items()
    }
    health = [p.health for p in pieces if p.health is not None]
    return Chunk(
        tables=Tables(**tables),
        traits=pd.concat([p.traits for p in pieces], ignore_index=True),
        health=pd.concat(health, ignore_index=True) if health else None,
    )


@overload
def generate_world(config: SynthConfig, include_latent: Literal[False] = False) -> Tables: ...
@overload
def generate_world(config: SynthConfig, include_latent: Literal[True]) -> SynthWorld: ...
def generate_world(config: SynthConfig, include_latent: bool = False) -> Tables | SynthWorld:
    """Generate a whole world in memory (tests and small worlds).

    Args:
        config: what world to make.
        include_latent: also return the hidden truth (weekly health, crisis calendar) as a
            `SynthWorld`; the tables are the same either way.
    """
    chunks = list(iter_chunks(config, include_health=include_latent))
    merged = _concat(chunks)
    if not include_latent:
        return merged.tables
    assert merged.health is not None  # include_health=True gives every chunk its health
    return SynthWorld(tables=merged.tables, health=merged.health, traits=merged.traits)
