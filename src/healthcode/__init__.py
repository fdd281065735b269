"""City health-code platform: electronic health card, three-colour code, checkpoints, back office."""
