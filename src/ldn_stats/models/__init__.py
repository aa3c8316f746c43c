"""Statistical models: the MMRM engine and crossover analyses."""
