"""How a model is USED: FastAPI app, batch scoring, risk policy, audit log."""
