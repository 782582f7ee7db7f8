/*
 * Debian's bash (dynamically linked, from the sysroot disk) runs a script
 * with functions, arrays, an associative array, subshells, pipelines,
 * command substitution, a here-string, a background job and traps (a
 * signal trap and the EXIT trap); its output is checked line by line.
 * See debian_common.h for where the programs come from.
 */
#include "debian_common.h"

static const char script[] =
	"set -u\n"
	"double() { local x=$1; echo \"double:$((x * 2))\"; }\n"
	"double 21\n"
	"fact() { if (( $1 <= 1 )); then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }\n"
	"echo \"fact:$(fact 10)\"\n"
	"arr=(one two three)\n"
	"arr+=(four)\n"
	"echo \"n=${#arr[@]} last=${arr[-1]} all=${arr[*]}\"\n"
	"declare -A m=([a]=1 [b]=2)\n"
	"echo \"assoc=${m[a]}${m[b]} keys=$(printf '%s\\n' \"${!m[@]}\" | sort | tr -d '\\n')\"\n"
	"x=outer\n"
	"(x=inner; echo \"subshell:$x\")\n"
	"echo \"after:$x\"\n"
	"echo \"subshell pid differs: $( [ \"$BASHPID\" != \"$$\" ] && echo yes)\"\n"
	"printf '%s\\n' cherry apple banana | sort | tr '\\n' ' '; echo\n"
	"echo \"pipe status: $(false | true; echo ${PIPESTATUS[0]}${PIPESTATUS[1]})\"\n"
	"read -r a b <<< \"hello world\"; echo \"$b $a\"\n"
	"s=0; for i in $(seq 1 10); do s=$((s + i)); done; echo \"sum:$s\"\n"
	"case ferrite in f*e) echo case-ok;; *) echo case-bad;; esac\n"
	"trap 'echo trapped USR1' USR1\n"
	"kill -USR1 $$\n"
	"sleep 0.1 & wait $!; echo \"background:$?\"\n"
	"(exit 7); echo \"status:$?\"\n"
	"trap 'echo exit-trap' EXIT\n"
	"echo \"$BASH_VERSION\" | grep -q '^5\\.' && echo version-ok\n"
	"exit 0\n";

static const char want[] =
	"double:42\n"
	"fact:3628800\n"
	"n=4 last=four all=one two three four\n"
	"assoc=12 keys=ab\n"
	"subshell:inner\n"
	"after:outer\n"
	"subshell pid differs: yes\n"
	"apple banana cherry \n"
	"pipe status: 10\n"
	"world hello\n"
	"sum:55\n"
	"case-ok\n"
	"trapped USR1\n"
	"background:0\n"
	"status:7\n"
	"version-ok\n"
	"exit-trap\n";

/*
 * Process substitution needs /dev/fd (/proc/self/fd), which the chroot
 * lacks: bash runs outside it, through the disk's own loader, using only
 * builtins. Its output is returned (malloc'd).
 */
static char *run_unchrooted(const char *cmd, int *status)
{
#if defined(__x86_64__)
	static const char *const ldso[] = { "usr/lib64/ld-linux-x86-64.so.2",
					    "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" };
	const char *libdir = "usr/lib/x86_64-linux-gnu";
#else
	static const char *const ldso[] = { "usr/lib/ld-linux-riscv64-lp64d.so.1",
					    "usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1" };
	const char *libdir = "usr/lib/riscv64-linux-gnu";
#endif
	char ld[PATH_MAX] = "", libs[PATH_MAX], bash[PATH_MAX];
	int pipefd[2];

	for (size_t i = 0; i < sizeof(ldso) / sizeof(ldso[0]) && !ld[0]; i++) {
		snprintf(ld, sizeof(ld), "%s/%s", debian_top, ldso[i]);
		if (access(ld, X_OK) != 0)
			ld[0] = '\0';
	}
	CHECK(ld[0], "no glibc loader on the Debian disk");
	snprintf(libs, sizeof(libs), "%s/%s", debian_top, libdir);
	snprintf(bash, sizeof(bash), "%s/usr/bin/bash", debian_top);
	CHECK(pipe(pipefd) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *argv[] = { ld, "--library-path", libs, bash, "--norc", "-c", (char *)cmd, NULL };
		char *envp[] = { "PATH=/nonexistent", "LANG=C", NULL };
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		execve(ld, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	static char out[4096];
	size_t len = 0;
	ssize_t n;
	while ((n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pipefd[0]);
	CHECK(waitpid(pid, status, 0) == pid, "waitpid");
	return out;
}

int main(void)
{
	int r = debian_setup();
	if (r)
		return r;
	debian_put("root/script.sh", script, 0755);
	debian_expect((char *const[]){ "/bin/bash", "/root/script.sh", NULL }, want);
	debian_expect((char *const[]){ "/bin/bash", "-c", "true", NULL }, "");
	debian_expect((char *const[]){ "/bin/bash", "-c", "echo $((6 * 7)) | cat", NULL }, "42\n");
	int st;
	const char *cmd = "read -r x < <(echo sub); echo \"$x\"; "
			  "while read -r l; do echo \"line:$l\"; done < <(echo a; echo b); "
			  "exec 3< <(echo fd3); read -r y <&3; echo \"$y\"; "
			  "echo in > >(read -r z; echo \"out:$z\"); wait";
	char *out = run_unchrooted(cmd, &st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "process substitution: status 0x%x, output:\n%s",
	      st, out);
	CHECK(!strcmp(out, "sub\nline:a\nline:b\nfd3\nout:in\n"), "process substitution gave:\n%s",
	      out);
	debian_teardown();
	puts("debian_bash: ok");
	return 0;
}
