# Reference fits for ldn_stats crossover analyses (tests/models/test_crossover_reference.py).
#
# Run from the repository root:  Rscript tests/reference/crossover/fit_reference.R
# Reads the seeded CSVs written by make_data.py beside this script and writes
# crossover_reference.json (unrounded numbers, 17 significant digits) with the R and
# package versions used.
#
# Models (lme4::lmer, REML):
#   AVAL ~ TRTSEQP + APERIOD + TRTA + (1 | USUBJID)                 periods as factors
#   + CARRY (first-order carryover, reference treatment and period 1 coded as none)
#   diary: AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY + (1 | USUBJID) + (1 | USUBJID:APERIOD)
# Inference: lmerTest (Satterthwaite), pbkrtest via emmeans and lmerTest (Kenward-Roger),
# emmeans LS-means and "revpairwise" differences (labelled "b - a" for levels (a, b)),
# unadjusted (adjust = "none").
suppressPackageStartupMessages({
  library(jsonlite)
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(emmeans)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
emm_options(lmerTest.limit = 1e6, pbkrtest.limit = 1e6)

read_xo <- function(name, treatments) {
  d <- read.csv(file.path(here, name), stringsAsFactors = FALSE)
  d$TRTSEQP <- factor(d$TRTSEQP, levels = sort(unique(d$TRTSEQP)))
  d$APERIOD <- factor(d$APERIOD, levels = sort(unique(d$APERIOD)))
  d$TRTA <- factor(d$TRTA, levels = treatments)
  d$USUBJID <- factor(d$USUBJID)
  d
}

# first-order carryover: the previous period's treatment; period 1 and the reference
# treatment share the first level
add_carry <- function(d) {
  d <- d[order(d$USUBJID, d$APERIOD), ]
  seqs <- strsplit(as.character(d$TRTSEQP), "-")
  p <- as.integer(as.character(d$APERIOD))
  ref <- levels(d$TRTA)[1]
  prev <- mapply(function(s, k) if (k == 1) ref else s[k - 1], seqs, p)
  d$CARRY <- factor(prev, levels = levels(d$TRTA))
  d
}

tab <- function(x) {
  x <- as.data.frame(x)
  lapply(x, function(col) if (is.factor(col)) as.character(col) else col)
}

coef_table <- function(m) {
  s <- summary(m, ddf = "Satterthwaite")$coefficients
  k <- summary(m, ddf = "Kenward-Roger")$coefficients
  list(term = rownames(s), estimate = unname(s[, "Estimate"]),
       std_error = unname(s[, "Std. Error"]), df_satterthwaite = unname(s[, "df"]),
       std_error_kr = unname(k[, "Std. Error"]), df_kenward_roger = unname(k[, "df"]))
}

emm_tables <- function(m, mode) {
  e <- emmeans(m, "TRTA", lmer.df = mode)
  ls <- summary(e, infer = c(TRUE, TRUE))
  cs <- summary(contrast(e, "revpairwise", adjust = "none"), infer = c(TRUE, TRUE))
  list(lsmeans = tab(ls), contrasts = tab(cs))
}

fit_all <- function(d, formula) {
  m <- lmer(formula, data = d, REML = TRUE,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhoend = 1e-12)))
  vc <- as.data.frame(VarCorr(m))
  list(
    formula = deparse1(formula),
    n_obs = nrow(d), n_subjects = nlevels(droplevels(d$USUBJID)),
    reml_loglik = as.numeric(logLik(m)),
    variance_components = list(grp = vc$grp, vcov = vc$vcov),
    coef = coef_table(m),
    anova_kenward_roger = tab(cbind(term = rownames(anova(m, ddf = "Kenward-Roger")),
                                    anova(m, ddf = "Kenward-Roger"))),
    anova_satterthwaite = tab(cbind(term = rownames(anova(m, ddf = "Satterthwaite")),
                                    anova(m, ddf = "Satterthwaite"))),
    kenward_roger = emm_tables(m, "kenward-roger"),
    satterthwaite = emm_tables(m, "satterthwaite")
  )
}

base_formula <- AVAL ~ TRTSEQP + APERIOD + TRTA + (1 | USUBJID)
carry_formula <- AVAL ~ TRTSEQP + APERIOD + TRTA + CARRY + (1 | USUBJID)

out <- list()

# ---- 2x2 --------------------------------------------------------------------------
two_by_two_extras <- function(d) {
  w <- reshape(d[, c("USUBJID", "TRTSEQP", "APERIOD", "AVAL")], idvar = c("USUBJID", "TRTSEQP"),
               timevar = "APERIOD", direction = "wide")
  w <- w[complete.cases(w), ]
  w$d <- (w$AVAL.1 - w$AVAL.2) / 2
  w$total <- w$AVAL.1 + w$AVAL.2
  # levels (LDN, PBO): "PBO - LDN" = mean d in PBO-LDN minus mean d in LDN-PBO
  x <- w$d[w$TRTSEQP == "PBO-LDN"]
  y <- w$d[w$TRTSEQP == "LDN-PBO"]
  ha <- t.test(x, y, var.equal = TRUE)
  tot <- t.test(w$total[w$TRTSEQP == "PBO-LDN"], w$total[w$TRTSEQP == "LDN-PBO"],
                var.equal = TRUE)
  wx <- wilcox.test(x, y, conf.int = TRUE, exact = TRUE)
  wa <- wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE)
  list(
    hills_armitage = list(call = "t.test(x, y, var.equal = TRUE)",
                          estimate = unname(ha$estimate[1] - ha$estimate[2]),
                          std_error = unname(ha$stderr), df = unname(ha$parameter),
                          statistic = unname(ha$statistic), p_value = ha$p.value,
                          conf_low = ha$conf.int[1], conf_high = ha$conf.int[2]),
    carryover_totals = list(call = "t.test(total_PBO-LDN, total_LDN-PBO, var.equal = TRUE)",
                            estimate = unname(tot$estimate[1] - tot$estimate[2]),
                            std_error = unname(tot$stderr), df = unname(tot$parameter),
                            statistic = unname(tot$statistic), p_value = tot$p.value),
    wilcoxon_exact = list(call = "wilcox.test(x, y, conf.int = TRUE, exact = TRUE)",
                          statistic = unname(wx$statistic), p_value = wx$p.value,
                          estimate = unname(wx$estimate), conf_low = wx$conf.int[1],
                          conf_high = wx$conf.int[2]),
    wilcoxon_asymptotic = list(call = "wilcox.test(x, y, conf.int = TRUE, exact = FALSE)",
                               statistic = unname(wa$statistic), p_value = wa$p.value,
                               estimate = unname(wa$estimate), conf_low = wa$conf.int[1],
                               conf_high = wa$conf.int[2])
  )
}

responders <- function(d, cut) {
  w <- reshape(d[, c("USUBJID", "TRTA", "PCHG")], idvar = "USUBJID", timevar = "TRTA",
               direction = "wide")
  w <- w[complete.cases(w), ]
  rl <- w$PCHG.LDN <= -cut
  rp <- w$PCHG.PBO <= -cut
  b <- sum(rp & !rl)  # responder on PBO only
  c <- sum(rl & !rp)  # responder on LDN only
  tb <- table(factor(rp, c(FALSE, TRUE)), factor(rl, c(FALSE, TRUE)))
  mc <- mcnemar.test(tb, correct = TRUE)
  bt <- binom.test(b, b + c)
  list(cut = cut, n = nrow(w), n_b_only = b, n_a_only = c,
       mcnemar_chisq = unname(mc$statistic), mcnemar_p = mc$p.value,
       exact_p = bt$p.value, p_conf_low = bt$conf.int[1], p_conf_high = bt$conf.int[2])
}

# Mainland-Gart: discordant responders by sequence and period, Fisher's exact test;
# rows: sequence starting on b (PBO-LDN), on a (LDN-PBO); columns: responded in period 1, 2
mainland_gart <- function(d, cut) {
  w <- reshape(d[, c("USUBJID", "TRTSEQP", "APERIOD", "PCHG")], idvar = c("USUBJID", "TRTSEQP"),
               timevar = "APERIOD", direction = "wide")
  w <- w[complete.cases(w), ]
  r1 <- w$PCHG.1 <= -cut
  r2 <- w$PCHG.2 <= -cut
  af <- w$TRTSEQP == "LDN-PBO"
  u <- sum(r1 & !r2 & af); v <- sum(r2 & !r1 & af)
  x1 <- sum(r1 & !r2 & !af); x2 <- sum(r2 & !r1 & !af)
  f <- fisher.test(matrix(c(x1, u, x2, v), 2))
  list(cut = cut, a_first_period1 = u, a_first_period2 = v, b_first_period1 = x1,
       b_first_period2 = x2, call = "fisher.test(matrix(c(b1, a1, b2, a2), 2))",
       p_value = f$p.value, table_or = unname(f$estimate), table_or_low = f$conf.int[1],
       table_or_high = f$conf.int[2])
}

d <- read_xo("xo2x2.csv", c("LDN", "PBO"))
out$xo2x2 <- c(fit_all(d, base_formula), two_by_two_extras(d),
               list(responders = list(responders(d, 30), responders(d, 15)),
                    mainland_gart = list(mainland_gart(d, 30), mainland_gart(d, 15))))
dm <- read_xo("xo2x2_missing.csv", c("LDN", "PBO"))
out$xo2x2_missing <- fit_all(dm, base_formula)
out$xo2x2_base_cov <- fit_all(d, AVAL ~ BASE + TRTSEQP + APERIOD + TRTA + (1 | USUBJID))
out$xo2x2_pchg <- fit_all(transform(d, AVAL = PCHG), base_formula)

# ---- Williams designs and ABB/BAA ---------------------------------------------------
w3 <- add_carry(read_xo("williams3.csv", c("PBO", "LDN3", "LDN45")))
out$williams3 <- fit_all(w3, base_formula)
out$williams3_carry <- fit_all(w3, carry_formula)
w4 <- add_carry(read_xo("williams4.csv", c("PBO", "LDN2", "LDN3", "LDN45")))
out$williams4 <- fit_all(w4, base_formula)
out$williams4_carry <- fit_all(w4, carry_formula)
ab <- add_carry(read_xo("abb_baa.csv", c("LDN", "PBO")))
out$abb_baa <- fit_all(ab, base_formula)
out$abb_baa_carry <- fit_all(ab, carry_formula)

# ---- daily diary ------------------------------------------------------------------------
dd <- read_xo("diary.csv", c("LDN", "PBO"))
out$diary <- fit_all(dd, AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY + (1 | USUBJID) +
                       (1 | USUBJID:APERIOD))
pm <- aggregate(AVAL ~ USUBJID + TRTSEQP + APERIOD + TRTA, data = dd, FUN = mean)
out$diary_period_means <- fit_all(pm, base_formula)

# ---- unstructured covariance over periods (no random effect) ------------------------------
# nlme::gls with a general correlation and a variance per period is the unstructured
# model; REML; estimates and model-based standard errors (nlme has no KR/Satterthwaite df)
us_fit <- function(d) {
  d$PNUM <- as.integer(as.character(d$APERIOD))
  m <- nlme::gls(AVAL ~ TRTSEQP + APERIOD + TRTA, data = d, method = "REML",
                 correlation = nlme::corSymm(form = ~ PNUM | USUBJID),
                 weights = nlme::varIdent(form = ~ 1 | APERIOD),
                 control = nlme::glsControl(tolerance = 1e-10, msTol = 1e-10, returnObject = FALSE,
                                            msMaxIter = 1000, maxIter = 1000))
  e <- emmeans(m, "TRTA", mode = "df.error", data = d)
  cs <- summary(contrast(e, "revpairwise", adjust = "none"))
  list(call = "nlme::gls(corSymm(~ PNUM | USUBJID), varIdent(~ 1 | APERIOD), REML)",
       reml_loglik = as.numeric(logLik(m)),
       coef = list(term = names(coef(m)), estimate = unname(coef(m)),
                   std_error = unname(sqrt(diag(vcov(m))))),
       contrasts = list(contrast = as.character(cs$contrast), estimate = cs$estimate,
                        SE = cs$SE))
}
out$williams3_us <- us_fit(w3)
out$xo2x2_missing_us <- us_fit(dm)

out$versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                     lmerTest = as.character(packageVersion("lmerTest")),
                     pbkrtest = as.character(packageVersion("pbkrtest")),
                     emmeans = as.character(packageVersion("emmeans")),
                     nlme = as.character(packageVersion("nlme")))
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(here, "crossover_reference.json"))
