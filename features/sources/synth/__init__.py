"""The synthetic accounts-receivable world: a seeded generator of realistic canonical tables.

The story (docs/synthetic-world.md tells it in full):

- Customers have an industry (payment norms, order seasonality, usual terms 30/45/60/90), a
  size tier driving order rate and amounts, a country and currency, a credit limit from size
  and health, an onboarding date (some arrive during history) and a payment habit (normal,
  pays at month end, pays early, always about ten days late).
- A latent financial health per customer moves weekly, mean-reverting (Ornstein-Uhlenbeck).
  Occasional crises pull it down over 3-6 months; most customers recover, a few default, stop
  ordering and paying, and leave their invoices open for good.
- Orders arrive as a Poisson stream by size and seasonality and thin out as health falls;
  amounts are lognormal; disputes (likelier when health is low or the amount unusual) delay
  payment; some invoices are paid in 2-3 instalments; a paperless flag.
- Days late come from health at the due date, terms, the amount against the customer's usual,
  disputes, habits, quarter ends and noise, so that about a third of invoices are late.
- Signals show health late and noisily: monthly credit rating and open lawsuits, a quarterly
  bank credit line cut ~30% ahead of crises, an annual tax grade; CRM deals with stages.

Nothing dated on or after the end of history (start + months) exists in the tables: invoices
paid later are open. The same seed gives the same bytes; the chunk size never changes the
world. The latent health is only available through `generate_world(config,
include_latent=True)`, never in written data.
"""

from features.sources.synth.config import SynthConfig
from features.sources.synth.summary import SynthSummary
from features.sources.synth.world import SynthWorld, generate_world
from features.sources.synth.writer import synthesize_to_directory

__all__ = ["SynthConfig", "SynthSummary", "SynthWorld", "generate_world", "synthesize_to_directory"]
