"""Institution forms, one module per capability."""
