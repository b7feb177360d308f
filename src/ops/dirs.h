#ifndef ASMB_OPS_DIRS_H
#define ASMB_OPS_DIRS_H
#include "fileop.h"
/* An operation deleting one file or (empty) directory; not started. */
int asmb__delete_new(asmb_conn *c, const char *share, const char *path, int directory,
                     const asmb_opts *opts, asmb_fop **out);
#endif
