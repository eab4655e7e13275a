"""HTTP routes of the serving app, one module per resource."""
