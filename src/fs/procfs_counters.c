/*
 * The leak-accounting counters (include/ferrite/counters.h) and their
 * /proc/ferrite/counters rendering. Every reader is a relaxed atomic load
 * in its own subsystem; no locks here.
 */
#include <ferrite/counters.h>
#include <ferrite/socket.h>
#include <ferrite/eventpoll.h>
#include <ferrite/file.h>
#include <ferrite/frame.h>
#include <ferrite/ipc.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pipe.h>
#include <ferrite/procfs.h>
#include <ferrite/task.h>
#include <ferrite/vfs.h>
#if __has_include(<ferrite/port.h>)
#include <ferrite/port.h>
#define HAVE_PORTS 1
#endif

static size_t count_shm(void) { return ipc_count_live(IPC_KIND_SHM); }
static size_t count_msg(void) { return ipc_count_live(IPC_KIND_MSG); }
static size_t count_sem(void) { return ipc_count_live(IPC_KIND_SEM); }

/* The debug build's kept-back empty slabs go back (checked) first. */
static size_t count_frames_free(void)
{
	(void)kmalloc_drain_empty();
	return frames_free_count();
}

static const struct counter counters[] = {
	{ "frames_free", count_frames_free },
	{ "kmalloc_bytes", kmalloc_live_bytes },
	{ "processes", proc_count_live },
	{ "threads", task_count_live },
	{ "files", files_count_live },
	{ "inodes", inodes_count_live },
	{ "ramfs_bytes", ramfs_data_bytes },
	{ "pipes", pipes_count_live },
	{ "epolls", eventpolls_count_live },
	{ "epoll_items", epitems_count_live },
	{ "eventfds", eventfds_count_live },
	{ "timerfds", timerfds_count_live },
	{ "posix_timers", posix_timers_count_live },
	{ "sockets", sockets_count_live },
	{ "unix_skbs", unix_skbs_count_live },
	{ "inet_sockets", inet_socks_count_live },
	{ "inet_pkbs", pkbs_count_live },
	{ "shm_segments", count_shm },
	{ "msg_queues", count_msg },
	{ "sem_sets", count_sem },
#ifdef HAVE_PORTS
	{ "ports", ports_count_live },
#endif
};

const struct counter *counters_table(size_t *n)
{
	*n = ARRAY_SIZE(counters);
	return counters;
}

int procfs_show_counters(struct pbuf *b, pid_t pid)
{
	(void)pid;
	kmalloc_drain_all(); /* objects parked per CPU keep slab pages */
	for (size_t i = 0; i < ARRAY_SIZE(counters); i++)
		pbuf_printf(b, "%s %zu\n", counters[i].name, counters[i].read());
	return 0;
}
