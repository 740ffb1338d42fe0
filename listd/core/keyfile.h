/* listd/core/keyfile.h — the installation's secret key (signs VERP return
 * paths and confirmation tokens).
 *
 * Format: exactly KEYFILE_KEY_LEN raw bytes, nothing else (no newline).
 * Copy the file as is to share the key between hosts.
 *
 * Rules for an existing file, checked on the open descriptor (so nothing
 * can be swapped between the check and the read):
 *  - a regular file, opened without following a symbolic link;
 *  - no permission bits for group or other (mode 0600 or 0400);
 *  - owned by the effective user or by root (any owner when running as root);
 *  - exactly KEYFILE_KEY_LEN bytes.
 *
 * Creation (create = true and the file is missing): KEYFILE_KEY_LEN bytes
 * from getrandom(2) are written to a temporary file made with O_EXCL and
 * mode 0600 next to path, synced, and link(2)ed into place: link never
 * replaces an existing file, so when two processes create at once exactly one
 * key wins and both load it. The directory is synced too. */
#ifndef LISTD_CORE_KEYFILE_H
#define LISTD_CORE_KEYFILE_H

#include <stdbool.h>
#include <stdint.h>

#define KEYFILE_KEY_LEN 32

/* Loads the key at path into ret_key (written only on success).
 * 0 = loaded, 1 = created now (then loaded).
 * -ENOENT   missing and create is false;
 * -EPERM    not a regular file, a symbolic link, group/other permission
 *           bits set, or a foreign owner;
 * -EINVAL   wrong size;
 * -errno    any other system error (open, read, getrandom, write, link).
 * On failure *ret_why (when ret_why is not NULL) points at a static English
 * reason, e.g. "is readable or writable by group or other (chmod 600)". */
int keyfile_load(const char *path, bool create, uint8_t ret_key[KEYFILE_KEY_LEN],
                 const char **ret_why);

#endif
