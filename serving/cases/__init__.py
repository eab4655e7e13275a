"""Referral cases: a deal the policy refers becomes a case a risk officer decides.

- `store`: the `referral_cases` table (audit database, Alembic migration 0007);
- `records`: what the API reads and answers (a case, a decision);
- `service`: opening a case from a referred deal, listing, deciding (once).
"""
