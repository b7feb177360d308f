/** \file asmb_url.h
 * \brief smb:// URLs: `smb://[[DOMAIN;]USER[:PASSWORD]@]HOST[:PORT]/SHARE[/PATH]`.
 *
 * asmb_url_parse splits and percent-decodes a URL into a caller-owned
 * asmb_url; asmb_url_to_config puts its credentials into an asmb_config.
 * asmb_conn_new_from_url (asmb_uv.h) and asmb_sync_connect_url (asmb_sync.h)
 * connect to the server a URL names. Pure string handling: any thread, no
 * event loop. Included by asmb.h.
 */
#ifndef ASMB_URL_H
#define ASMB_URL_H

#include "asmb.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed smb:// URL. The caller owns the structure and, after a
 * successful asmb_url_parse, its strings: release them with asmb_url_clear
 * (which also wipes the password). Every string is percent-decoded; a part
 * the URL does not give is NULL (the password "" for "USER:@"). */
typedef struct asmb_url {
    char *domain;       ///< "DOMAIN;" of the userinfo; NULL = not given
    char *username;     ///< the user; NULL = not given (anonymous)
    char *password;     ///< after "USER:"; NULL = not given, "" = empty
    char *host;         ///< name, IPv4 or IPv6 address (without its brackets)
    int port;           ///< 1..65535; 0 = not given (445, or 139 with NetBIOS)
    char *share;        ///< the first path component; NULL = none (server only)
    char *path;         ///< the rest, '/' separators as given; "" = the share's root
    int trailing_slash; ///< 1 when the path is empty or ends with '/'
    /** After a failed asmb_url_parse: a static description of what is wrong
     * (e.g. "invalid port"); NULL otherwise. */
    const char *error;
} asmb_url;

/** Parses text into *out (caller-owned; its previous contents are not
 * freed). The scheme is "smb" in any case; '?' and '#' are part of the path;
 * an IPv6 host goes in brackets (`smb://[::1]:445/share`); the last '@'
 * before the first '/' ends the userinfo, so a password may hold an
 * unencoded '@'. Returns 0, or ASMB_EINVAL (not an smb:// URL, no host, a
 * bad port, a bad bracketed host, an unbracketed IPv6 address, a bad
 * percent-escape or %00) with out->error set and nothing else to release,
 * or ASMB_ENOMEM. ASMB_EINVAL also when text or out is NULL (out, when not
 * NULL, then has error set). Any thread. */
ASMB_API int asmb_url_parse(const char *text, asmb_url *out);

/** Frees the strings of url (not the structure) after wiping the password,
 * and zeroes every field. NULL, or a url already cleared: nothing. */
ASMB_API void asmb_url_clear(asmb_url *url);

/** Sets cfg->username, cfg->password and cfg->domain to url's where the URL
 * gives them (the other fields, and those the URL lacks, are left as they
 * are). The strings are url's, not copies: keep url until cfg was passed to
 * asmb_conn_new or asmb_sync_connect (which copy it). Returns 0, or
 * ASMB_EINVAL when url or cfg is NULL. */
ASMB_API int asmb_url_to_config(const asmb_url *url, asmb_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
