/* Library error codes: names and descriptions from the one X-macro table. */
#include "asmb/asmb.h"

ASMB_API const char *asmb_strerror(int code)
{
    switch (code) {
#define ASMB_STRERROR_(name, val, msg) \
    case ASMB_##name: return msg;
        ASMB_ERRNO_MAP(ASMB_STRERROR_)
#undef ASMB_STRERROR_
    case 0: return "success";
    default: return "unknown error";
    }
}

ASMB_API const char *asmb_err_name(int code)
{
    switch (code) {
#define ASMB_ERRNAME_(name, val, msg) \
    case ASMB_##name: return "ASMB_" #name;
        ASMB_ERRNO_MAP(ASMB_ERRNAME_)
#undef ASMB_ERRNAME_
    case 0: return "ASMB_OK";
    default: return "ASMB_UNKNOWN";
    }
}
