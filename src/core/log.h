/* Logging through the caller's callback (asmb_config.log). ASMB_LOG checks
 * the level before formatting, so a silent connection pays one branch. */
#ifndef ASMB_LOG_H
#define ASMB_LOG_H
#include "conn.h"

void asmb__log_emit(const asmb_conn *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Trace: one line per SMB2 header sent or received. */
void asmb__log_hdr(const asmb_conn *c, const char *dir, const asmb_smb2_hdr *h, int encrypted);
/* "CREATE" etc.; "?" for an unknown command. */
const char *asmb__command_name(uint16_t command);

#define ASMB_LOG(c, lvl, ...)                                                    \
    do {                                                                         \
        if ((c)->cfg.log && (lvl) <= (c)->cfg.log_level)                         \
            asmb__log_emit((c), (lvl), __VA_ARGS__);                             \
    } while (0)
#define ASMB_LOG_ON(c, lvl) ((c)->cfg.log && (lvl) <= (c)->cfg.log_level)
#endif
