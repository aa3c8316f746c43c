"""Statistical models: the MMRM engine (:mod:`.mmrm`) and crossover analyses (:mod:`.crossover`)."""
