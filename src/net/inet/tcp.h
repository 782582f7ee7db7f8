/*
 * TCP internals shared by tcp.c (the socket calls), tcp_input.c (the
 * state machine on arriving segments) and tcp_output.c (building and
 * sending segments, the end of a connection). Locking: inet_internal.h.
 */
#pragma once
#include "inet_internal.h"

static inline bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* States in which both sides' sequence numbers are known. */
static inline bool tcp_synchronized(enum tcp_state st)
{
	return st != TCP_CLOSED && st != TCP_LISTEN && st != TCP_SYN_SENT;
}

/* Has our FIN gone out? */
static inline bool tcp_fin_sent(enum tcp_state st)
{
	return st == TCP_FIN_WAIT1 || st == TCP_FIN_WAIT2 || st == TCP_CLOSING ||
	       st == TCP_LAST_ACK || st == TCP_TIME_WAIT;
}

/* The receive window we can offer now. Caller holds s->lock. */
uint32_t tcp_window(const struct inet_sock *s);
/* Fill p's header from s (caller holds s->lock): seq = snd_nxt, which
 * advances by the payload, SYN and FIN; with TCP_ACK, our ack and window
 * (remembered as the advertised edge rcv_adv). */
void tcp_fill(struct inet_sock *s, struct pkb *p, uint8_t flags);
uint32_t tcp_new_isn(void);
/* Send a lone ACK (a window update) for s; takes s->lock. */
void tcp_send_ack(struct inet_sock *s);
/* Send an RST answering orig, which no connection wants. */
void tcp_send_reset_reply(const struct pkb *orig);
/* Enter CLOSED: wake everyone, release a pending child's listener and
 * leave the table. The caller holds no lock. */
void tcp_done(struct inet_sock *s);
/* Reset s's connection (an RST to the peer if synchronized), then done. */
void tcp_abort(struct inet_sock *s);
/* Start s's TIME_WAIT; the reaper ends it. The caller holds no lock. */
void tcp_time_wait(struct inet_sock *s);
/* SYN_SENT: resend the SYN when no answer came (a listener with a full
 * backlog drops it), as Linux: after 1 s, then doubling; after
 * TCP_SYN_RETRIES resends the connection fails with ETIMEDOUT. The timer
 * thread calls tcp_syn_timeout; tcp_done stops the timer. */
#define TCP_SYN_RTO_NS 1000000000ULL
#define TCP_SYN_RETRIES 6 /* net.ipv4.tcp_syn_retries */
void tcp_syn_timer_start(struct inet_sock *s);
/* The resend is due: resend (true) or give up (false, the caller ends the
 * connection with ETIMEDOUT). */
bool tcp_syn_timeout(struct inet_sock *s);
