# Reference fits for random coefficient models (random intercept + random slope, an
# unstructured G, with and without an R-side structure), for
# tests/models/mmrm/test_random_slopes.py.
#
# Run from the repository root:  Rscript tests/reference/random_slopes/fit_reference.R
# Reads seeded.csv (written by make_data.py beside this script). Writes, beside it:
#   sleepstudy.csv        lme4's `sleepstudy` (18 subjects, reaction time on days 0-9)
#   orthodont_slopes.csv  nlme's `Orthodont` (27 children, distance at ages 8-14, Sex)
#   random_slopes_reference.json  (toJSON digits = NA: 15 significant digits)
# and refits from the CSVs, so the JSON is exactly the numbers of the committed files.
# Deterministic: no random numbers; rerunning gives the same bytes.
#
# lme4::lmer (through lmerTest), REML and ML, each fitted with two tight optimizers:
#   nloptwrap (NLOPT_LN_BOBYQA, xtol_abs 1e-12, ftol_abs 1e-14, maxeval 1e5) and
#   minqa bobyqa (rhoend 1e-12, maxfun 1e5); the fit with the higher logLik is kept
#   (`optimizer`), both logLiks are stored (`loglik_by_optimizer`), and so is the spread
#   of lmerTest's (numerically differentiated) df between the two fits (`check$*_spread`).
#   seeded:      Y ~ ARM * ADY + (1 + ADY | USUBJID)
#   sleepstudy:  REACTION ~ DAYS + (1 + DAYS | USUBJID)
#                REACTION ~ DAYS + (1 | USUBJID) + (0 + DAYS | USUBJID)   (uncorrelated)
#   orthodont:   DISTANCE ~ SEX * AGE + (1 + AGE | USUBJID)
#   Reported: logLik; fixed effects, sqrt(diag(vcov)); lmerTest Satterthwaite df, t, p
#   (summary(fit)$coefficients); REML only: Kenward-Roger SE, df, t, p
#   (summary(fit, ddf = "Kenward-Roger"), pbkrtest's vcovAdj); two contrasts with
#   lmerTest::contest(fit, L, joint = FALSE, ddf = "Satterthwaite" / "Kenward-Roger");
#   VarCorr (G on the variance scale) and sigma(fit)^2.
# nlme::lme with G + R (control as in g_plus_r/fit_reference.R), REML and ML:
#   Y2 ~ ARM * ADY, random = ~ 1 + ADY | USUBJID, correlation = corAR1(form = ~ VISITN | USUBJID)
#     ldn_stats: Y2 ~ ARM * ADY + (1 + ADY | USUBJID) + ar1(AVISIT | USUBJID)
#     (corAR1 on the integer visit number: the lag of two rows is their visit distance,
#     also across a missed visit, as ldn_stats's ar1 over the visit factor's positions)
#   Y2 ~ ARM * ADY, random = ~ 1 | USUBJID, correlation = corExp(form = ~ ADY | USUBJID)
#     ldn_stats: Y2 ~ ARM * ADY + (1 | USUBJID) + sp_exp(ADY | USUBJID)
#     corExp: corr = exp(-d / range); sp_exp: Sigma_ij = v rho^d_ij, theta = (log v,
#     logit rho), so rho = exp(-1 / range), v = sigma^2.
#   Each also refitted from a second start of the correlation (corAR1 0.8, corExp range
#   20; `loglik_by_optimizer`); opt = "optim" is not used: it fails on corAR1 here
#   ("Coefficient matrix not invertible").
#   Reported: logLik, fixed effects with sqrt(diag(vcov)), getVarCov (G), sigma^2, the
#   correlation parameter (rho; range).
#
# Convergence check, every case: an independent dense implementation of the
# (RE)ML log-likelihood below (`own_loglik`) is evaluated at R's estimates (stored as
# `check$loglik_own`, it must equal R's logLik) and differentiated with numDeriv in an
# unconstrained parametrization (log sigma, [atanh rho | log range], Cholesky of G with
# log diagonal): `check$gradient_max_abs` and the Newton decrement g' (-H)^-1 g in
# log-likelihood units (`check$newton_decrement`; about twice the log-likelihood a
# Newton step from R's estimates would still gain).
# `theta` holds R's estimates in ldn_stats's parametrization and names (R side first).
suppressPackageStartupMessages({
  library(jsonlite)
  library(nlme)
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(numDeriv)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

data(sleepstudy, package = "lme4")
write.csv(data.frame(USUBJID = as.character(sleepstudy$Subject), DAYS = sleepstudy$Days,
                     REACTION = sleepstudy$Reaction),
          file.path(here, "sleepstudy.csv"), row.names = FALSE)
data(Orthodont, package = "nlme")
write.csv(data.frame(USUBJID = as.character(Orthodont$Subject),
                     SEX = as.character(Orthodont$Sex), AGE = Orthodont$age,
                     DISTANCE = Orthodont$distance),
          file.path(here, "orthodont_slopes.csv"), row.names = FALSE)

read_data <- function(file) {
  d <- read.csv(file.path(here, file), stringsAsFactors = FALSE,
                colClasses = c(USUBJID = "character"))
  if ("ARM" %in% names(d)) d$ARM <- factor(d$ARM, levels = c("PBO", "TRT"))
  if ("SEX" %in% names(d)) d$SEX <- factor(d$SEX, levels = c("Female", "Male"))
  if ("AVISIT" %in% names(d)) d$AVISIT <- factor(d$AVISIT, levels = sprintf("W%02d", 0:8))
  d
}
seeded <- read_data("seeded.csv")
sleep <- read_data("sleepstudy.csv")
ortho <- read_data("orthodont_slopes.csv")

# ------------------------------------------------------------- independent log-likelihood
# par = (log sigma, R-side parameter if any, G factor): G = L L' with L lower triangular
# (full) or diagonal (uncorrelated), diagonal entries exp(.), rows ordered as `zcols`.
own_loglik <- function(par, d, fixed, response, zcols, full, rside, reml) {
  X <- model.matrix(fixed, d)
  y <- d[[response]]
  q <- length(zcols)
  sigma2 <- exp(2 * par[1])
  k <- if (rside == "none") 1 else 2
  gp <- par[-(1:k)]
  L <- matrix(0, q, q)
  if (full) {
    idx <- 1
    for (i in seq_len(q)) for (j in seq_len(i)) {
      L[i, j] <- if (i == j) exp(gp[idx]) else gp[idx]
      idx <- idx + 1
    }
  } else {
    diag(L) <- exp(gp)
  }
  G <- L %*% t(L)
  ids <- unique(d$USUBJID)
  ldet <- 0
  XtVX <- matrix(0, ncol(X), ncol(X))
  XtVy <- numeric(ncol(X))
  yVy <- 0
  for (s in ids) {
    r <- which(d$USUBJID == s)
    Z <- cbind(if ("(Intercept)" %in% zcols) 1 else NULL,
               as.matrix(d[r, setdiff(zcols, "(Intercept)"), drop = FALSE]))
    C <- switch(rside,
                none = diag(length(r)),
                ar1 = tanh(par[2])^abs(outer(d$VISITN[r], d$VISITN[r], "-")),
                exp = exp(-abs(outer(d$ADY[r], d$ADY[r], "-")) / exp(par[2])))
    V <- Z %*% G %*% t(Z) + sigma2 * C
    U <- chol(V)
    ldet <- ldet + 2 * sum(log(diag(U)))
    Xs <- backsolve(U, X[r, , drop = FALSE], transpose = TRUE)
    ys <- backsolve(U, y[r], transpose = TRUE)
    XtVX <- XtVX + crossprod(Xs)
    XtVy <- XtVy + drop(crossprod(Xs, ys))
    yVy <- yVy + sum(ys^2)
  }
  n <- nrow(X)
  p <- ncol(X)
  beta <- solve(XtVX, XtVy)
  quad <- yVy - sum(XtVy * beta)
  if (reml) {
    -0.5 * ((n - p) * log(2 * pi) + ldet + as.numeric(determinant(XtVX)$modulus) + quad)
  } else {
    -0.5 * (n * log(2 * pi) + ldet + quad)
  }
}

g_factor <- function(G, full) {
  if (!full) return(0.5 * log(diag(G)))
  L <- t(chol(G))
  out <- c()
  for (i in seq_len(nrow(L))) for (j in seq_len(i)) {
    out <- c(out, if (i == j) log(L[i, j]) else L[i, j])
  }
  out
}

check_optimum <- function(par, ll_r, ...) {
  f <- function(p) own_loglik(p, ...)
  ll <- f(par)
  g <- grad(f, par)
  H <- hessian(f, par)
  list(loglik_own = ll, loglik_own_minus_r = ll - ll_r, gradient_max_abs = max(abs(g)),
       newton_decrement = as.numeric(t(g) %*% solve(-H, g)),
       parametrization = "log sigma, [atanh rho | log range], Cholesky of G (log diagonal)")
}

# --------------------------------------------------------------------------- lmer cases
ctrl_nlopt <- lmerControl(optimizer = "nloptwrap",
                          optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 0,
                                         ftol_rel = 0, maxeval = 1e5),
                          calc.derivs = FALSE)
ctrl_bobyqa <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5),
                           calc.derivs = FALSE)

coef_table <- function(cf, suffix = "") {
  out <- data.frame(cf[, "Std. Error"], cf[, "df"], cf[, "t value"], cf[, "Pr(>|t|)"])
  names(out) <- paste0(c("std_error", "df", "statistic", "p_value"), suffix)
  out
}

contrast_table <- function(fit, L, ddf) {
  ct <- contest(fit, L, joint = FALSE, ddf = ddf)
  list(estimate = ct$Estimate, std_error = ct[["Std. Error"]], df = ct$df,
       statistic = ct[["t value"]], p_value = ct[["Pr(>|t|)"]], conf_low = ct$lower,
       conf_high = ct$upper)
}

fit_lmer <- function(d, formula_r, formula_pkg, response, slopes, full, contrasts, reml) {
  fits <- list(nloptwrap = lmerTest::lmer(formula_r, data = d, REML = reml,
                                          control = ctrl_nlopt),
               bobyqa = lmerTest::lmer(formula_r, data = d, REML = reml,
                                       control = ctrl_bobyqa))
  lls <- sapply(fits, function(f) as.numeric(logLik(f)))
  best <- names(which.max(lls))
  fit <- fits[[best]]
  cf <- summary(fit)$coefficients
  coef <- data.frame(term = rownames(cf), estimate = unname(fixef(fit)),
                     std_error = unname(sqrt(diag(as.matrix(vcov(fit))))))
  coef <- cbind(coef, coef_table(cf, "_satterthwaite"))
  coef$std_error_satterthwaite <- NULL  # = std_error (model-based)
  if (reml) coef <- cbind(coef, coef_table(summary(fit, ddf = "Kenward-Roger")$coefficients,
                                           "_kenward_roger"))
  rownames(coef) <- NULL
  L <- do.call(rbind, contrasts)
  colnames(L) <- coef$term
  con <- list(label = names(contrasts), L = unname(L), terms = coef$term,
              satterthwaite = contrast_table(fit, L, "Satterthwaite"))
  if (reml) con$kenward_roger <- contrast_table(fit, L, "Kenward-Roger")
  # G per random-effects term, keyed by the term as ldn_stats spells it
  vc <- VarCorr(fit)
  cnms <- getME(fit, "cnms")
  G <- list()
  for (k in seq_along(vc)) {
    cn <- cnms[[k]]
    key <- if (length(cn) == 2) sprintf("(1 + %s | USUBJID)", cn[2]) else
      if (cn == "(Intercept)") "(1 | USUBJID)" else sprintf("(0 + %s | USUBJID)", cn)
    G[[key]] <- list(terms = I(cn), matrix = unname(as.matrix(vc[[k]])[cn, cn, drop = FALSE]))
  }
  s2 <- sigma(fit)^2
  theta <- list(residual_variance = s2)
  for (key in names(G)) {
    m <- G[[key]]$matrix
    cn <- G[[key]]$terms
    if (length(cn) == 2) {
      theta[[sprintf("var[USUBJID:%s]", cn[1])]] <- m[1, 1]
      theta[[sprintf("cov[USUBJID:%s,%s]", cn[1], cn[2])]] <- m[1, 2]
      theta[[sprintf("var[USUBJID:%s]", cn[2])]] <- m[2, 2]
    } else {
      name <- if (cn == "(Intercept)") "var[USUBJID]" else sprintf("var[USUBJID:%s]", cn)
      theta[[name]] <- m[1, 1]
    }
  }
  # own log-likelihood: G assembled over c("(Intercept)", slope)
  zcols <- c("(Intercept)", slopes)
  Gfull <- diag(0, 2)
  for (key in names(G)) {
    cn <- G[[key]]$terms
    Gfull[match(cn, zcols), match(cn, zcols)] <- G[[key]]$matrix
  }
  fixed <- lme4::nobars(formula_r)
  par <- c(0.5 * log(s2), g_factor(Gfull, full))
  check <- check_optimum(par, max(lls), d = d, fixed = fixed, response = response,
                         zcols = zcols, full = full, rside = "none", reml = reml)
  # lmerTest's df are numerical derivatives: their spread between the two optimizers'
  # fits (log-likelihoods within 1e-11) is the witness's own noise, for the tolerances
  other <- fits[[setdiff(names(fits), best)]]
  spread <- function(ddf, col) {
    a <- summary(fit, ddf = ddf)$coefficients
    b <- summary(other, ddf = ddf)$coefficients
    max(abs(a[, col] - b[, col]) / if (col == "df") 1 else a[, col])
  }
  check$loglik_spread <- abs(diff(lls))
  check$df_satterthwaite_spread <- spread("Satterthwaite", "df")
  if (reml) {
    check$df_kenward_roger_spread <- spread("Kenward-Roger", "df")
    check$std_error_kenward_roger_rel_spread <- spread("Kenward-Roger", "Std. Error")
  }
  # the same model in nlme (correlated G only): a second program's optimum
  if (full) {
    nl <- lme(fixed, data = d, random = as.formula(sprintf("~ 1 + %s | USUBJID", slopes)),
              method = if (reml) "REML" else "ML", control = ctrl_lme)
    check$loglik_nlme <- as.numeric(logLik(nl))
  }
  list(formula = formula_pkg, reml = reml, n_obs = nrow(d), engine = "lme4::lmer + lmerTest",
       r_call = sprintf("lmerTest::lmer(%s, REML = %s)", deparse(formula_r), reml),
       optimizer = best, loglik = max(lls), loglik_by_optimizer = as.list(lls),
       coef = coef, contrasts = con, random_covariance = G, residual_variance = s2,
       theta = theta, check = check)
}

# --------------------------------------------------------------------------- nlme cases
ctrl_lme <- lmeControl(maxIter = 1000, msMaxIter = 1000, niterEM = 100, tolerance = 1e-12,
                       msTol = 1e-14, msMaxEval = 5000, returnObject = FALSE)

fit_lme <- function(d, structure, reml) {
  fixed <- Y2 ~ ARM * ADY
  if (structure == "ar1") {
    random <- ~ 1 + ADY | USUBJID
    cor <- corAR1(form = ~ VISITN | USUBJID)
    cor2 <- corAR1(0.8, form = ~ VISITN | USUBJID)
    pkg <- "Y2 ~ ARM * ADY + (1 + ADY | USUBJID) + ar1(AVISIT | USUBJID)"
    call <- paste("lme(Y2 ~ ARM * ADY, random = ~ 1 + ADY | USUBJID,",
                  "correlation = corAR1(form = ~ VISITN | USUBJID), method = \"%s\")")
  } else {
    random <- ~ 1 | USUBJID
    cor <- corExp(form = ~ ADY | USUBJID)
    cor2 <- corExp(20, form = ~ ADY | USUBJID)
    pkg <- "Y2 ~ ARM * ADY + (1 | USUBJID) + sp_exp(ADY | USUBJID)"
    call <- paste("lme(Y2 ~ ARM * ADY, random = ~ 1 | USUBJID,",
                  "correlation = corExp(form = ~ ADY | USUBJID), method = \"%s\")")
  }
  method <- if (reml) "REML" else "ML"
  one <- function(cor) lme(fixed, data = d, random = random, correlation = cor,
                           method = method, control = ctrl_lme)
  fits <- list(default_start = one(cor), second_start = one(cor2))
  lls <- sapply(fits, function(f) as.numeric(logLik(f)))
  best <- names(which.max(lls))
  fit <- fits[[best]]
  vc <- vcov(fit)
  G <- getVarCov(fit)
  cn <- colnames(G)
  G <- unname(matrix(as.numeric(G), nrow(G)))
  s2 <- fit$sigma^2
  cpar <- unname(coef(fit$modelStruct$corStruct, unconstrained = FALSE))
  if (structure == "ar1") {
    key <- "(1 + ADY | USUBJID)"
    theta <- list(log_sd = 0.5 * log(s2), rho_par1 = cpar / sqrt(1 - cpar^2),
                  `var[USUBJID:(Intercept)]` = G[1, 1], `cov[USUBJID:(Intercept),ADY]` = G[1, 2],
                  `var[USUBJID:ADY]` = G[2, 2])
    par <- c(0.5 * log(s2), atanh(cpar), g_factor(G, TRUE))
    zcols <- c("(Intercept)", "ADY")
    corr <- list(rho = cpar)
  } else {
    key <- "(1 | USUBJID)"
    rho <- exp(-1 / cpar)
    theta <- list(log_variance = log(s2), logit_rho = log(rho / (1 - rho)),
                  `var[USUBJID]` = G[1, 1])
    par <- c(0.5 * log(s2), log(cpar), g_factor(G, TRUE))
    zcols <- "(Intercept)"
    corr <- list(range = cpar, rho = rho)
  }
  check <- check_optimum(par, max(lls), d = d, fixed = fixed, response = "Y2", zcols = zcols,
                         full = TRUE, rside = if (structure == "ar1") "ar1" else "exp",
                         reml = reml)
  c(list(formula = pkg, reml = reml, n_obs = nrow(d), engine = "nlme::lme",
         r_call = sprintf(call, method), optimizer = best, loglik = max(lls),
         loglik_by_optimizer = as.list(lls),
         coef = data.frame(term = names(fixef(fit)), estimate = unname(fixef(fit)),
                           std_error = unname(sqrt(diag(vc)))),
         random_covariance = setNames(list(list(terms = I(cn), matrix = G)), key),
         residual_variance = s2),
    corr, list(theta = theta, check = check))
}

# ------------------------------------------------------------------------------- run all
ct_arm <- list(`slope difference (ARMTRT:ADY)` = c(0, 0, 0, 1),
               `TRT - PBO at ADY 56` = c(0, 1, 0, 56))
ct_sex <- list(`slope difference (SEXMale:AGE)` = c(0, 0, 0, 1),
               `Male - Female at AGE 14` = c(0, 1, 0, 14))
ct_days <- list(`slope (DAYS)` = c(0, 1), `mean at DAYS 9` = c(1, 9))

out <- list(versions = list(R = R.version.string,
                            lme4 = as.character(packageVersion("lme4")),
                            lmerTest = as.character(packageVersion("lmerTest")),
                            pbkrtest = as.character(packageVersion("pbkrtest")),
                            nlme = as.character(packageVersion("nlme")),
                            nloptr = as.character(packageVersion("nloptr")),
                            minqa = as.character(packageVersion("minqa")),
                            numDeriv = as.character(packageVersion("numDeriv"))))
for (reml in c(TRUE, FALSE)) {
  sfx <- if (reml) "reml" else "ml"
  out[[paste0("seeded_", sfx)]] <- fit_lmer(
    seeded, Y ~ ARM * ADY + (1 + ADY | USUBJID),
    "Y ~ ARM * ADY + (1 + ADY | USUBJID)", "Y", "ADY", TRUE, ct_arm, reml)
  out[[paste0("sleepstudy_", sfx)]] <- fit_lmer(
    sleep, REACTION ~ DAYS + (1 + DAYS | USUBJID),
    "REACTION ~ DAYS + (1 + DAYS | USUBJID)", "REACTION", "DAYS", TRUE, ct_days, reml)
  out[[paste0("sleepstudy_uncorrelated_", sfx)]] <- fit_lmer(
    sleep, REACTION ~ DAYS + (1 | USUBJID) + (0 + DAYS | USUBJID),
    "REACTION ~ DAYS + (1 | USUBJID) + (0 + DAYS | USUBJID)", "REACTION", "DAYS", FALSE,
    ct_days, reml)
  out[[paste0("orthodont_", sfx)]] <- fit_lmer(
    ortho, DISTANCE ~ SEX * AGE + (1 + AGE | USUBJID),
    "DISTANCE ~ SEX * AGE + (1 + AGE | USUBJID)", "DISTANCE", "AGE", TRUE, ct_sex, reml)
  out[[paste0("seeded_ar1_", sfx)]] <- fit_lme(seeded, "ar1", reml)
  out[[paste0("seeded_sp_exp_", sfx)]] <- fit_lme(seeded, "sp_exp", reml)
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, dataframe = "columns"),
           file.path(here, "random_slopes_reference.json"))
