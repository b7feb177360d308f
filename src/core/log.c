/* Logging through the caller's callback (asmb_config.log). */
#include "log.h"
#include "session.h"

#include <stdarg.h>
#include <stdio.h>

#include "../ntstatus.h"

static const char *const level_names[] = {"", "error", "warn", "info", "debug", "trace"};

ASMB_API const char *asmb_log_level_name(int level)
{
    return level >= ASMB_LOG_ERROR && level <= ASMB_LOG_TRACE ? level_names[level] : "";
}

void asmb__log_emit(const asmb_conn *c, int level, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    asmb__utf8_trim(text);
    c->cfg.log(level, text, c->cfg.log_arg);
}

static const char *const command_names[SMB2_NCOMMANDS] = {
    "NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT", "CREATE", "CLOSE",
    "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "ECHO", "QUERY_DIRECTORY",
    "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO", "OPLOCK_BREAK"};

const char *asmb__command_name(uint16_t command)
{
    return command < SMB2_NCOMMANDS ? command_names[command] : "?";
}

void asmb__log_hdr(const asmb_conn *c, const char *dir, const asmb_smb2_hdr *h, int encrypted)
{
    if (!ASMB_LOG_ON(c, ASMB_LOG_TRACE)) return;
    const char *cmd = asmb__command_name(h->command);
    const char *st = asmb_ntstatus_name(h->status);
    char status[40];
    if (!(h->flags & SMB2_FLAGS_SERVER_TO_REDIR))
        status[0] = 0;
    else if (st)
        snprintf(status, sizeof status, " %s", st);
    else
        snprintf(status, sizeof status, " status=0x%08x", (unsigned)h->status);
    asmb__log_emit(c, ASMB_LOG_TRACE,
                   "%s %s mid=%llu%s credits=%u charge=%u tree=0x%x session=0x%llx flags=0x%x%s%s",
                   dir, cmd, (unsigned long long)h->msg_id, status, h->credits, h->credit_charge,
                   (unsigned)h->tree_id, (unsigned long long)h->session_id, (unsigned)h->flags,
                   (h->flags & SMB2_FLAGS_ASYNC_COMMAND) ? " async" : "",
                   encrypted ? " encrypted" : "");
}
