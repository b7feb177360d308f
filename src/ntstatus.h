/* NTSTATUS values: the constants the library uses by name, and a lookup of
 * the name of any status in the table (MS-ERREF 2.3.1 spelling). */
#ifndef ASMB_NTSTATUS_H
#define ASMB_NTSTATUS_H
#include <stddef.h>
#include <stdint.h>

#define ASMB_STATUS_SUCCESS                      0x00000000u
#define ASMB_STATUS_PENDING                      0x00000103u
#define ASMB_STATUS_NOTIFY_ENUM_DIR              0x0000010Cu
#define ASMB_STATUS_BUFFER_OVERFLOW              0x80000005u
#define ASMB_STATUS_NO_MORE_FILES                0x80000006u
#define ASMB_STATUS_STOPPED_ON_SYMLINK           0x8000002Du
#define ASMB_STATUS_INFO_LENGTH_MISMATCH         0xC0000004u
#define ASMB_STATUS_INVALID_HANDLE               0xC0000008u
#define ASMB_STATUS_INVALID_PARAMETER            0xC000000Du
#define ASMB_STATUS_NO_SUCH_FILE                 0xC000000Fu
#define ASMB_STATUS_INVALID_DEVICE_REQUEST       0xC0000010u
#define ASMB_STATUS_END_OF_FILE                  0xC0000011u
#define ASMB_STATUS_MORE_PROCESSING_REQUIRED     0xC0000016u
#define ASMB_STATUS_ACCESS_DENIED                0xC0000022u
#define ASMB_STATUS_BUFFER_TOO_SMALL             0xC0000023u
#define ASMB_STATUS_OBJECT_NAME_INVALID          0xC0000033u
#define ASMB_STATUS_OBJECT_NAME_NOT_FOUND        0xC0000034u
#define ASMB_STATUS_OBJECT_NAME_COLLISION        0xC0000035u
#define ASMB_STATUS_OBJECT_PATH_NOT_FOUND        0xC000003Au
#define ASMB_STATUS_SHARING_VIOLATION            0xC0000043u
#define ASMB_STATUS_DELETE_PENDING               0xC0000056u
#define ASMB_STATUS_NO_SUCH_USER                 0xC0000064u
#define ASMB_STATUS_WRONG_PASSWORD               0xC000006Au
#define ASMB_STATUS_LOGON_FAILURE                0xC000006Du
#define ASMB_STATUS_INVALID_LOGON_HOURS          0xC000006Fu
#define ASMB_STATUS_INVALID_WORKSTATION          0xC0000070u
#define ASMB_STATUS_PASSWORD_EXPIRED             0xC0000071u
#define ASMB_STATUS_ACCOUNT_DISABLED             0xC0000072u
#define ASMB_STATUS_DISK_FULL                    0xC000007Fu
#define ASMB_STATUS_INSUFFICIENT_RESOURCES       0xC000009Au
#define ASMB_STATUS_MEDIA_WRITE_PROTECTED        0xC00000A2u
#define ASMB_STATUS_FILE_IS_A_DIRECTORY          0xC00000BAu
#define ASMB_STATUS_NOT_SUPPORTED                0xC00000BBu
#define ASMB_STATUS_NETWORK_NAME_DELETED         0xC00000C9u
#define ASMB_STATUS_BAD_NETWORK_NAME             0xC00000CCu
#define ASMB_STATUS_REQUEST_NOT_ACCEPTED         0xC00000D0u
#define ASMB_STATUS_DIRECTORY_NOT_EMPTY          0xC0000101u
#define ASMB_STATUS_NOT_A_DIRECTORY              0xC0000103u
#define ASMB_STATUS_CANCELLED                    0xC0000120u
#define ASMB_STATUS_FILE_CLOSED                  0xC0000128u
#define ASMB_STATUS_LOGON_TYPE_NOT_GRANTED       0xC000015Bu
#define ASMB_STATUS_TRUSTED_DOMAIN_FAILURE       0xC000018Cu
#define ASMB_STATUS_TRUSTED_RELATIONSHIP_FAILURE 0xC000018Du
#define ASMB_STATUS_ACCOUNT_EXPIRED              0xC0000193u
#define ASMB_STATUS_FS_DRIVER_REQUIRED           0xC000019Cu
#define ASMB_STATUS_USER_SESSION_DELETED         0xC0000203u
#define ASMB_STATUS_NOT_FOUND                    0xC0000225u
#define ASMB_STATUS_ACCOUNT_LOCKED_OUT           0xC0000234u
#define ASMB_STATUS_NETWORK_SESSION_EXPIRED      0xC000035Cu

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
