/*
 * Extended attributes on a file without any: getxattr and removexattr
 * give ENODATA, listxattr an empty list (or whatever the host's security
 * modules put there: at least not an error), and the errors for a missing
 * path, a bad descriptor and a bad name are Linux's. Ferrite stores no
 * attributes; setxattr's result (EOPNOTSUPP here) is not compared.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/xattr.h>

int main(void)
{
	char path[64], buf[256], big[300];
	snprintf(path, sizeof(path), "/tmp/xattr.%d", (int)getpid());
	int fd = open(path, O_CREAT | O_RDWR, 0600);
	CHECK(fd >= 0, "create %s", path);
	CHECK_ERRNO(getxattr(path, "user.ferrite.none", buf, sizeof(buf)), ENODATA);
	CHECK_ERRNO(lgetxattr(path, "user.ferrite.none", buf, sizeof(buf)), ENODATA);
	CHECK_ERRNO(fgetxattr(fd, "user.ferrite.none", buf, sizeof(buf)), ENODATA);
	CHECK_ERRNO(removexattr(path, "user.ferrite.none"), ENODATA);
	CHECK(listxattr(path, buf, sizeof(buf)) >= 0, "listxattr");
	CHECK(flistxattr(fd, NULL, 0) >= 0, "flistxattr size query");
	CHECK_ERRNO(getxattr("/tmp/no/such/file", "user.x", buf, sizeof(buf)), ENOENT);
	CHECK_ERRNO(listxattr("/tmp/no/such/file", buf, sizeof(buf)), ENOENT);
	CHECK_ERRNO(fgetxattr(-1, "user.x", buf, sizeof(buf)), EBADF);
	CHECK_ERRNO(flistxattr(999, buf, sizeof(buf)), EBADF);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_ERRNO(getxattr(path, big, buf, sizeof(buf)), ERANGE);
	CHECK_ERRNO(getxattr(path, "", buf, sizeof(buf)), ERANGE);
	CHECK_ERRNO(getxattr(path, launder_ptr(8), buf, sizeof(buf)), EFAULT);
	close(fd);
	unlink(path);
	printf("xattr: ok\n");
	return 0;
}
