"""Where canonical tables come from: importers for real ledgers and the synthetic world."""
