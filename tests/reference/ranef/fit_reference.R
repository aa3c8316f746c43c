# Predicted random effects (lme4's ranef: conditional modes, the BLUPs of a linear mixed
# model) for tests/models/mmrm/test_random_effects.py.
#
# Run from the repository root:  Rscript tests/reference/ranef/fit_reference.R
# Reads tests/reference/random_slopes/sleepstudy.csv and tests/reference/diary_slope/
# diary_slope.csv; writes ranef_reference.json (15 significant digits) with the versions.
# Each model is fitted by lme4 and polished to the REML optimum (nlminb on lme4's
# deviance function, rel.tol 1e-15, then refitted with lmerControl(optimizer = NULL)),
# so the random effects are those at the optimum, not at lme4's stopping point.
suppressPackageStartupMessages({
  library(jsonlite)
  library(lme4)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
ref <- dirname(here)

polished <- function(form, d) {
  first <- lmer(form, d, REML = TRUE)
  dev <- lmer(form, d, REML = TRUE, devFunOnly = TRUE)
  p <- nlminb(getME(first, "theta"), dev, lower = getME(first, "lower"),
              control = list(rel.tol = 1e-15, x.tol = 1e-15, eval.max = 1e5, iter.max = 1e5))
  lmer(form, d, REML = TRUE, start = p$par, control = lmerControl(optimizer = NULL))
}
frame <- function(re) {
  re <- as.data.frame(re)
  c(list(level = rownames(re)), as.list(re))
}

sleep <- read.csv(file.path(ref, "random_slopes", "sleepstudy.csv"), stringsAsFactors = FALSE)
sleep$USUBJID <- as.character(sleep$USUBJID)
f1 <- polished(REACTION ~ DAYS + (1 + DAYS | USUBJID), sleep)
diary <- read.csv(file.path(ref, "diary_slope", "diary_slope.csv"), stringsAsFactors = FALSE)
diary$APERIOD <- factor(diary$APERIOD)
diary$TRTA <- factor(diary$TRTA, levels = c("PBO", "LDN"))
diary$TRTSEQP <- factor(diary$TRTSEQP, levels = c("LDN-PBO", "PBO-LDN"))
f2 <- polished(AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY + (1 | USUBJID) +
                 (1 + APERDY | USUBJID:APERIOD), diary)
out <- list(
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4"))),
  sleepstudy = list(formula = "REACTION ~ DAYS + (1 + DAYS | USUBJID)",
                    loglik = as.numeric(logLik(f1)),
                    `(1 + DAYS | USUBJID)` = frame(ranef(f1)$USUBJID)),
  diary = list(formula = paste("AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY + (1 | USUBJID) +",
                               "(1 + APERDY | USUBJID:APERIOD)"),
               loglik = as.numeric(logLik(f2)),
               `(1 | USUBJID)` = frame(ranef(f2)$USUBJID),
               `(1 + APERDY | USUBJID:APERIOD)` = frame(ranef(f2)$`USUBJID:APERIOD`))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "ranef_reference.json"))
