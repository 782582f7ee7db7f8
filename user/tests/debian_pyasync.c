/*
 * Debian's python3 as a network program on the loopback: a non-blocking
 * echo server and client with socket + selectors (epoll) in one loop,
 * non-blocking connect included; asyncio echo servers over TCP and
 * AF_UNIX (a path in /tmp) with ten clients at once; a datagram round trip
 * through the event loop and a wait_for timeout. See debian_common.h (it
 * skips where the Debian sysroot is absent).
 */
#include "debian_common.h"

static const char script[] =
	"import asyncio, selectors, socket, os, tempfile\n"
	"# socket + selectors: a non-blocking echo server and client in one loop\n"
	"sel = selectors.DefaultSelector()\n"
	"srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
	"srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
	"srv.bind(('127.0.0.1', 0))\n"
	"srv.listen(8)\n"
	"srv.setblocking(False)\n"
	"port = srv.getsockname()[1]\n"
	"sel.register(srv, selectors.EVENT_READ, 'accept')\n"
	"cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
	"cli.setblocking(False)\n"
	"print('connect', cli.connect_ex(('127.0.0.1', port)) in (0, 115))\n"
	"sel.register(cli, selectors.EVENT_WRITE, 'client')\n"
	"msgs = [b'ping %d' % i for i in range(5)]\n"
	"got = b''\n"
	"sent = False\n"
	"while len(got) < sum(len(m) for m in msgs):\n"
	"    for key, ev in sel.select(timeout=5):\n"
	"        if key.data == 'accept':\n"
	"            c, _ = srv.accept()\n"
	"            c.setblocking(False)\n"
	"            sel.register(c, selectors.EVENT_READ, 'echo')\n"
	"        elif key.data == 'echo':\n"
	"            d = key.fileobj.recv(4096)\n"
	"            if d:\n"
	"                key.fileobj.sendall(d)\n"
	"            else:\n"
	"                sel.unregister(key.fileobj); key.fileobj.close()\n"
	"        elif key.data == 'client':\n"
	"            if ev & selectors.EVENT_WRITE and not sent:\n"
	"                print('connected', cli.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))\n"
	"                cli.sendall(b''.join(msgs)); sent = True\n"
	"                sel.modify(cli, selectors.EVENT_READ, 'client')\n"
	"            elif ev & selectors.EVENT_READ:\n"
	"                got += cli.recv(4096)\n"
	"print('selectors', got == b''.join(msgs), type(sel).__name__)\n"
	"cli.close(); srv.close(); sel.close()\n"
	"\n"
	"# asyncio: echo servers over TCP and AF_UNIX, many clients at once\n"
	"async def echo(reader, writer):\n"
	"    while True:\n"
	"        line = await reader.readline()\n"
	"        if not line:\n"
	"            break\n"
	"        writer.write(line.upper())\n"
	"        await writer.drain()\n"
	"    writer.close()\n"
	"    await writer.wait_closed()\n"
	"\n"
	"async def client(opener, n):\n"
	"    reader, writer = await opener()\n"
	"    out = []\n"
	"    for i in range(n):\n"
	"        writer.write(b'line %d\\n' % i)\n"
	"        await writer.drain()\n"
	"        out.append(await reader.readline())\n"
	"    writer.close()\n"
	"    await writer.wait_closed()\n"
	"    return out\n"
	"\n"
	"async def main():\n"
	"    server = await asyncio.start_server(echo, '127.0.0.1', 0)\n"
	"    port = server.sockets[0].getsockname()[1]\n"
	"    rs = await asyncio.gather(*[client(lambda: asyncio.open_connection('127.0.0.1', port), 20) for _ in range(10)])\n"
	"    print('asyncio tcp', all(r == [b'LINE %d\\n' % i for i in range(20)] for r in rs), len(rs))\n"
	"    server.close()\n"
	"    await server.wait_closed()\n"
	"    path = os.path.join(tempfile.mkdtemp(), 'echo.sock')\n"
	"    userver = await asyncio.start_unix_server(echo, path)\n"
	"    rs = await asyncio.gather(*[client(lambda: asyncio.open_unix_connection(path), 20) for _ in range(10)])\n"
	"    print('asyncio unix', all(r == [b'LINE %d\\n' % i for i in range(20)] for r in rs), len(rs))\n"
	"    userver.close()\n"
	"    await userver.wait_closed()\n"
	"    if os.path.exists(path):\n"
	"        os.unlink(path)\n"
	"    os.rmdir(os.path.dirname(path))\n"
	"    # a datagram round trip and a timeout through the loop\n"
	"    loop = asyncio.get_running_loop()\n"
	"    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
	"    a.setblocking(False); b.setblocking(False)\n"
	"    await loop.sock_sendall(a, b'dgram')\n"
	"    print('sock_recv', await loop.sock_recv(b, 100))\n"
	"    try:\n"
	"        await asyncio.wait_for(loop.sock_recv(b, 100), 0.2)\n"
	"    except (asyncio.TimeoutError, TimeoutError):\n"
	"        print('timeout ok')\n"
	"    a.close(); b.close()\n"
	"\n"
	"asyncio.run(main())\n"
	"print('done')\n";

static const char want[] =
	"connect True\n"
	"connected 0\n"
	"selectors True EpollSelector\n"
	"asyncio tcp True 10\n"
	"asyncio unix True 10\n"
	"sock_recv b'dgram'\n"
	"timeout ok\n"
	"done\n";

int main(void)
{
	int r = debian_setup();
	if (r)
		return r;
	debian_expect((char *const[]){ "/usr/bin/python3", "-c", (char *)script, NULL }, want);
	debian_teardown();
	puts("debian_pyasync: ok");
	return 0;
}
