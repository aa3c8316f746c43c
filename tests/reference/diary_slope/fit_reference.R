# Reference fits of the daily-diary crossover model with a random trend per subject and
# period, for tests/models/crossover/test_diary_slope.py.
#
# Run from the repository root:  Rscript tests/reference/diary_slope/fit_reference.R
# Reads diary_slope.csv (written by make_data.py beside this script) and writes
# diary_slope_reference.json (unrounded numbers, 17 significant digits) with the
# versions used. Same input, same bytes.
#
# Model (lme4::lmer, REML), ldn_stats's diary_crossover(random_slope = TRUE):
#   AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY + (1 | USUBJID) + (1 + APERDY | USUBJID:APERIOD)
# lme4's own optimizers stop about 1e-7 short in log-likelihood on such fits, so the
# optimum is polished: nlminb on lme4's REML deviance function from lme4's estimate
# (rel.tol 1e-15), then the model is refitted at that point without optimizing
# (lmerControl(optimizer = NULL)). Inference at the polished optimum: lmerTest's
# Satterthwaite and pbkrtest's Kenward-Roger via emmeans (LDN - PBO at the mean day,
# the package's LS-mean difference), and lmerTest::contest for the treatment
# coefficient.
suppressPackageStartupMessages({
  library(jsonlite)
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(emmeans)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
d <- read.csv(file.path(here, "diary_slope.csv"), stringsAsFactors = FALSE)
d$TRTSEQP <- factor(d$TRTSEQP, levels = c("LDN-PBO", "PBO-LDN"))
d$APERIOD <- factor(d$APERIOD)
d$TRTA <- factor(d$TRTA, levels = c("PBO", "LDN"))

form <- AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY + (1 | USUBJID) + (1 + APERDY | USUBJID:APERIOD)
first <- lme4::lmer(form, d, REML = TRUE)
devfun <- lme4::lmer(form, d, REML = TRUE, devFunOnly = TRUE)
pol <- nlminb(getME(first, "theta"), devfun, lower = getME(first, "lower"),
              control = list(rel.tol = 1e-15, x.tol = 1e-15, eval.max = 1e5, iter.max = 1e5))
fit <- lmerTest::lmer(form, d, REML = TRUE, start = pol$par,
                      control = lmerControl(optimizer = NULL))
stopifnot(as.numeric(logLik(fit)) >= as.numeric(logLik(first)))

vc <- as.data.frame(VarCorr(fit))
comp <- function(grp, v1, v2 = NA) {
  r <- vc[vc$grp == grp & vc$var1 %in% v1 & (if (is.na(v2)) is.na(vc$var2) else vc$var2 %in% v2), ]
  r$vcov
}
out <- list(
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                  lmerTest = as.character(packageVersion("lmerTest")),
                  pbkrtest = as.character(packageVersion("pbkrtest")),
                  emmeans = as.character(packageVersion("emmeans"))),
  formula = deparse1(form), n_obs = nrow(d),
  loglik_lme4_default = as.numeric(logLik(first)),
  loglik = as.numeric(logLik(fit)),
  variance_components = list(
    `between-subject` = comp("USUBJID", "(Intercept)"),
    `subject-by-period` = comp("USUBJID:APERIOD", "(Intercept)"),
    `subject-by-period slope` = comp("USUBJID:APERIOD", "APERDY"),
    `subject-by-period intercept-slope covariance` = comp("USUBJID:APERIOD", "(Intercept)",
                                                          "APERDY"),
    `within-subject` = sigma(fit)^2)
)
for (mode in c("satterthwaite", "kenward-roger")) {
  em <- emmeans(fit, ~ TRTA, lmer.df = mode)
  ct <- as.data.frame(summary(pairs(em, reverse = TRUE)))
  cf <- summary(fit, ddf = if (mode == "satterthwaite") "Satterthwaite" else "Kenward-Roger")
  cf <- as.data.frame(coef(cf))
  ls <- as.data.frame(summary(em))
  out[[mode]] <- list(
    lsmeans = list(level = as.character(ls$TRTA), estimate = ls$emmean, std_error = ls$SE,
                   df = ls$df),
    contrast = list(contrast = as.character(ct$contrast), estimate = ct$estimate,
                    std_error = ct$SE, df = ct$df, statistic = ct$t.ratio,
                    p_value = ct$p.value),
    coef = data.frame(term = rownames(cf), estimate = cf$Estimate,
                      std_error = cf[["Std. Error"]], df = cf$df))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, dataframe = "columns"),
           file.path(here, "diary_slope_reference.json"))
