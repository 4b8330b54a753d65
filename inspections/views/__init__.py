"""Pages of the inspections app, one module per capability."""
