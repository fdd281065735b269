"""The colour of each card (SPEC §5): gathering its facts, the rules, storing the decision."""
