# Reference fits of a random intercept and slope on nlme's BodyWeight data, for
# tests/models/mmrm/test_bodyweight.py: a real data set on which lme4 stops short of the
# REML optimum (its log-likelihood is about 1e-4 below nlme's, with default or polished
# settings), so the witness is nlme.
#
# Run from the repository root:  Rscript tests/reference/bodyweight/fit_reference.R
# Writes bodyweight.csv (nlme's BodyWeight: 16 rats on 3 diets, body weight in grams on
# 11 days, 1 to 64) and bodyweight_reference.json (15 significant digits) with the
# versions used. Same input, same bytes.
#
# Model: lme(weight ~ Time * Diet, random = ~ 1 + Time | Rat), REML and ML, tight
# tolerances, from nlme's default start and again from a start with a 10 times larger
# slope variance (the higher log-likelihood is kept; they agree to 1e-9).
# ldn_stats: weight ~ Time * Diet + (1 + Time | Rat).
suppressPackageStartupMessages({
  library(jsonlite)
  library(nlme)
  library(lme4)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
data(BodyWeight, package = "nlme")
bw <- data.frame(Rat = sprintf("R%02d", as.integer(as.character(BodyWeight$Rat))),
                 Diet = paste0("D", as.character(BodyWeight$Diet)),
                 Time = BodyWeight$Time, weight = BodyWeight$weight,
                 stringsAsFactors = FALSE)
bw <- bw[order(bw$Rat, bw$Time), ]
write.csv(bw, file.path(here, "bodyweight.csv"), row.names = FALSE)
bw$Diet <- factor(bw$Diet, levels = c("D1", "D2", "D3"))

ctrl <- lmeControl(maxIter = 1000, msMaxIter = 1000, niterEM = 100, tolerance = 1e-12,
                   msTol = 1e-14, msMaxEval = 5000, returnObject = FALSE)
out <- list(versions = list(R = R.version.string, nlme = as.character(packageVersion("nlme")),
                            lme4 = as.character(packageVersion("lme4"))))
for (reml in c(TRUE, FALSE)) {
  method <- if (reml) "REML" else "ML"
  f1 <- lme(weight ~ Time * Diet, random = ~ 1 + Time | Rat, data = bw, method = method,
            control = ctrl)
  start <- pdLogChol(diag(c(1, 10)) %*% as.matrix(getVarCov(f1)) %*% diag(c(1, 10)) /
                       f1$sigma^2, form = ~ 1 + Time)
  f2 <- lme(weight ~ Time * Diet, random = list(Rat = start), data = bw, method = method,
            control = ctrl)
  lls <- c(as.numeric(logLik(f1)), as.numeric(logLik(f2)))
  fit <- if (lls[2] > lls[1]) f2 else f1
  g <- as.matrix(getVarCov(fit))
  l4 <- lme4::lmer(weight ~ Time * Diet + (1 + Time | Rat), bw, REML = reml)
  out[[tolower(method)]] <- list(
    formula = "weight ~ Time * Diet + (1 + Time | Rat)", reml = reml, n_obs = nrow(bw),
    loglik = max(lls), loglik_spread = abs(diff(lls)),
    loglik_lme4 = as.numeric(logLik(l4)),
    coef = data.frame(term = names(fixef(fit)), estimate = unname(fixef(fit)),
                      std_error = unname(sqrt(diag(vcov(fit))))),
    G = list(var_intercept = g[1, 1], cov = g[2, 1], var_time = g[2, 2]),
    residual_variance = fit$sigma^2)
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, dataframe = "columns"),
           file.path(here, "bodyweight_reference.json"))
