"""Field catalogue, character tag set and gold-label format: the project's single source of truth."""
