"""Collections: the dunning ladder as policy, the day's actions and the outcomes recorded on them.

- `ladder_policy`: the ladder's stages and rules, parsed from the policy YAML (`dunning:`);
- `ladder`: which action each open invoice needs today (pure: predictions + history in,
  actions out, every rule that fired named);
- `history`: an invoice's ladder history (stages reached, promises, disputes) from the store;
- `store`: the actions and outcomes tables (SQLite or PostgreSQL, Alembic-owned);
- `generate`: the nightly step that ties them together (idempotent per date).
"""
