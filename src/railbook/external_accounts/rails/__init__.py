"""One module per rail family; each holds its accountType models, payment rails and rules."""
