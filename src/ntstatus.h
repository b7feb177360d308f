/* NTSTATUS values: the constants are the public ones (asmb/asmb_ntstatus.h);
 * here, the lookup of the name of any status in the table (MS-ERREF 2.3.1
 * spelling) and the helpers the library uses. */
#ifndef ASMB_NTSTATUS_H
#define ASMB_NTSTATUS_H
#include <stddef.h>
#include <stdint.h>

#include "asmb/asmb_ntstatus.h"

/* Static name of a status, e.g. "STATUS_ACCESS_DENIED"; NULL when unknown. */
const char *asmb__ntstatus_lookup(uint32_t status);

/* 1 when the status is one of those a failed logon (SESSION_SETUP) returns:
 * bad user/password, account disabled/locked/expired, password expired,
 * logon hours/workstation/type restrictions, trust failures. */
int asmb__ntstatus_is_logon_failure(uint32_t st);

/* For tests: the table's size and its i-th value (in ascending order). */
size_t asmb__ntstatus_count(void);
uint32_t asmb__ntstatus_value_at(size_t i);
#endif
