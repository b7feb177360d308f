/** \file asmb_posix.h
 * \brief What the headers need from the C library, asked for in one place.
 *
 * `<uv.h>` (asmb_uv.h) uses POSIX types (pthread_rwlock_t, struct addrinfo)
 * that a strict `-std=c11` hides. Under a strict standard with no feature
 * macro chosen, this asks for POSIX.1-2008 (`_POSIX_C_SOURCE 200809L`); that
 * works when an asmb header is the first one the program includes. Programs
 * that include system headers first under `-std=c11` define
 * `_POSIX_C_SOURCE` (or `_GNU_SOURCE`) themselves, as any libuv program
 * must; asmb_uv.h stops with a message saying so otherwise. Nothing is
 * defined under the compilers' default (`gnu11`, `gnu17`) dialects, which
 * already have POSIX. Included by asmb.h and asmb_uv.h; no declarations.
 */
#ifndef ASMB_POSIX_H
#define ASMB_POSIX_H
#if defined(__STRICT_ANSI__) && !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) && \
    !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#endif
