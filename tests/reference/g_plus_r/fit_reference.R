# Reference fits for a random intercept plus an R-side structure (G + R), for
# tests/models/mmrm/test_g_plus_r.py.
#
# Run from the repository root:  Rscript tests/reference/g_plus_r/fit_reference.R
# Reads seeded.csv (written by make_data.py beside this script), writes orthodont.csv
# (nlme's Orthodont data, the real longitudinal data set) and g_plus_r_reference.json
# (unrounded numbers, 17 significant digits) with the R and nlme versions used.
#
# Models (nlme::lme, REML and ML, tight tolerances):
#   y ~ ARM * AVISIT, random = ~ 1 | USUBJID,
#     correlation = corAR1(form = ~ VISITN | USUBJID)             ldn_stats: ar1 + (1 | USUBJID)
#     + weights = varIdent(form = ~ 1 | AVISIT)                    ldn_stats: ar1h + (1 | USUBJID)
# corAR1 on the integer visit number: the lag of two rows is their visit distance,
# also across a missed visit, as ldn_stats's ar1 over the visit factor's positions.
# Reported: logLik, fixed effects with model-based SEs (sqrt(diag(vcov))), the
# random-intercept variance, the residual variance, the AR(1) correlation and, for
# varIdent, the standard deviation ratios to the first visit.
suppressPackageStartupMessages({
  library(jsonlite)
  library(nlme)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

seeded <- read.csv(file.path(here, "seeded.csv"), stringsAsFactors = FALSE)
seeded$ARM <- factor(seeded$ARM, levels = c("PBO", "TRT"))
seeded$AVISIT <- factor(seeded$AVISIT, levels = paste0("V", 1:5))

data(Orthodont, package = "nlme")
ortho <- data.frame(USUBJID = as.character(Orthodont$Subject),
                    SEX = as.character(Orthodont$Sex),
                    AVISIT = sprintf("A%02d", Orthodont$age),
                    VISITN = (Orthodont$age - 8) / 2 + 1,
                    DISTANCE = Orthodont$distance, stringsAsFactors = FALSE)
write.csv(ortho, file.path(here, "orthodont.csv"), row.names = FALSE)
ortho$SEX <- factor(ortho$SEX, levels = c("Female", "Male"))
ortho$AVISIT <- factor(ortho$AVISIT, levels = c("A08", "A10", "A12", "A14"))

ctrl <- lmeControl(maxIter = 1000, msMaxIter = 1000, niterEM = 100, tolerance = 1e-12,
                   msTol = 1e-14, msMaxEval = 5000, returnObject = FALSE)

fit_one <- function(data, response, arm, structure, reml) {
  fixed <- as.formula(sprintf("%s ~ %s * AVISIT", response, arm))
  args <- list(fixed = fixed, data = data, random = ~ 1 | USUBJID,
               correlation = corAR1(form = ~ VISITN | USUBJID),
               method = if (reml) "REML" else "ML", control = ctrl)
  if (structure == "ar1h") args$weights <- varIdent(form = ~ 1 | AVISIT)
  fit <- do.call(lme, args)
  vc <- vcov(fit)
  ratios <- if (structure == "ar1h") {
    r <- coef(fit$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
    as.list(r[levels(data$AVISIT)])
  } else NULL
  list(
    formula = sprintf("%s ~ %s * AVISIT + (1 | USUBJID) + %s(AVISIT | USUBJID)",
                      response, arm, structure),
    reml = reml, n_obs = nrow(data),
    loglik = as.numeric(logLik(fit)),
    coef = data.frame(term = names(fixef(fit)), estimate = unname(fixef(fit)),
                      std_error = unname(sqrt(diag(vc)))),
    random_intercept_variance = as.numeric(getVarCov(fit)[1, 1]),
    residual_variance = fit$sigma^2,
    rho = unname(coef(fit$modelStruct$corStruct, unconstrained = FALSE)),
    sd_ratios = ratios
  )
}

out <- list(versions = list(R = R.version.string,
                            nlme = as.character(packageVersion("nlme"))))
for (structure in c("ar1", "ar1h")) {
  for (reml in c(TRUE, FALSE)) {
    key <- sprintf("%s_%s", structure, if (reml) "reml" else "ml")
    out[[paste0("seeded_", key)]] <- fit_one(seeded, "Y", "ARM", structure, reml)
    out[[paste0("orthodont_", key)]] <- fit_one(ortho, "DISTANCE", "SEX", structure, reml)
  }
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, dataframe = "columns"),
           file.path(here, "g_plus_r_reference.json"))
