/*
 * error.h: setup errors travel through an Error ** out-parameter and reach the
 * user as one clear line on stderr ("bt86: -m 99T: ..."). Guest mistakes never
 * use this path; they are logged under LOG_GUEST_ERROR.
 */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include "util/osdep.h"

typedef struct Error {
    char *msg;
} Error;

/* Set *errp (if errp is non-NULL and *errp is still NULL) to a new error. */
void error_setg(Error **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Like error_setg, appending ": strerror(errnum)". */
void error_setg_errno(Error **errp, int errnum, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Prefix an existing error's message: "prefix: old message". */
void error_prepend(Error **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void error_free(Error *err);
/* Print "bt86: <msg>" on stderr and free the error. */
void error_report_err(Error *err);
/* Print "bt86: <formatted>" on stderr. */
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
