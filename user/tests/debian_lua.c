/*
 * Debian's lua5.4 (dynamically linked against liblua5.4 and glibc): tables,
 * closures, coroutines, string patterns, integer and float arithmetic, and
 * io/os on the chroot's /tmp; the output checked. See debian_common.h.
 */
#include "debian_common.h"

static const char script[] =
	"local t = {}\n"
	"for i = 1, 10 do t[#t + 1] = i * i end\n"
	"print(table.concat(t, ','))\n"
	"local function counter() local n = 0; return function() n = n + 1; return n end end\n"
	"local c = counter(); c(); c(); print('counter', c())\n"
	"local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)\n"
	"print('coroutine', co(1), co(21))\n"
	"print(string.format('%5.2f|%d|%s', math.pi, 7 // 2, tostring(7 / 2)))\n"
	"print(('ferrite kernel'):gsub('(%w+)', '<%1>'))\n"
	"print(math.maxinteger, 2^53 == 2^53 + 1, 10 % 3)\n"
	"local f = assert(io.open('/tmp/lua.txt', 'w')); f:write('line1\\nline2\\n'); f:close()\n"
	"local n = 0; for l in io.lines('/tmp/lua.txt') do n = n + #l end; print('bytes', n)\n"
	"assert(os.remove('/tmp/lua.txt')); print('removed', io.open('/tmp/lua.txt') == nil)\n"
	"print('time', os.time() > 1500000000, os.date('!%Y', 0))\n"
	"print(pcall(error, 'boom'))\n"
	"print(_VERSION)\n";

static const char want[] =
	"1,4,9,16,25,36,49,64,81,100\n"
	"counter\t3\n"
	"coroutine\t2\t42\n"
	" 3.14|3|3.5\n"
	"<ferrite> <kernel>\t2\n"
	"9223372036854775807\ttrue\t1\n"
	"bytes\t10\n"
	"removed\ttrue\n"
	"time\ttrue\t1970\n"
	"false\tboom\n"
	"Lua 5.4\n";

int main(void)
{
	int r = debian_setup();
	if (r)
		return r;
	debian_put("root/test.lua", script, 0644);
	debian_expect((char *const[]){ "/usr/bin/lua5.4", "/root/test.lua", NULL }, want);
	debian_expect((char *const[]){ "/usr/bin/lua5.4", "-e", "print(6 * 7)", NULL }, "42\n");
	debian_teardown();
	puts("debian_lua: ok");
	return 0;
}
