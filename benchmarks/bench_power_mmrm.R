# R mmrm on the same simulated FINAL-size trials as benchmarks/bench_power.py (timing only).
# Usage: Rscript benchmarks/bench_power_mmrm.R trials.csv
# The CSV holds the analysis records of every trial (column `trial`), as the Python bench
# wrote them.  Each trial: mmrm(CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)),
# REML, Kenward-Roger, and the LDN - PBO LS-mean difference at the last visit (df_1d).
suppressPackageStartupMessages(library(mmrm))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
visits <- unique(d[order(d$AVISITN), "AVISIT"])
d$AVISIT <- factor(d$AVISIT, levels = visits)
d$TRT01P <- factor(d$TRT01P, levels = c("PBO", "LDN"))
d$USUBJID <- factor(d$USUBJID)
trials <- split(d, d$trial)
last <- visits[length(visits)]
one <- function(x) {
  fit <- mmrm(CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID), data = x,
              reml = TRUE, method = "Kenward-Roger")
  b <- component(fit, "beta_est")
  L <- setNames(numeric(length(b)), names(b))
  L["TRT01PLDN"] <- 1
  L[paste0("TRT01PLDN:AVISIT", last)] <- 1
  df_1d(fit, L)
}
start <- proc.time()[["elapsed"]]
out <- lapply(trials, one)
elapsed <- proc.time()[["elapsed"]] - start
est <- vapply(out, function(o) o$est, numeric(1))
cat(sprintf("R mmrm %s: %d trials in %.1f s = %.3f s per fit; first estimates %s\n",
            as.character(packageVersion("mmrm")), length(trials), elapsed,
            elapsed / length(trials), paste(sprintf("%.6f", head(est, 3)), collapse = " ")))
