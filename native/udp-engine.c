// The native UDP engine (Linux): one non-blocking UDP socket watched on Node's event loop, read with
// recvmmsg into memory shared with JavaScript, one JavaScript call per batch, replies with sendmmsg.
// Plain N-API (version 8), so one build serves every Node from 20 on. Used by
// src/transport/native-udp.ts; see docs/udp-engine.md.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// The address record JavaScript reads per datagram: family (4 or 6), 0, port (big-endian), address.
#define ADDR_RECORD 20
// Datagrams that could not be sent at once (EAGAIN) wait here; beyond this many they are dropped
// and counted, as the kernel would drop them from a full send buffer.
#define QUEUE_CAP 1024
// recvmmsg rounds per wake-up while batches come back full; then the loop gets its turn (TCP, HTTP).
#define MAX_ROUNDS 8

typedef struct {
  struct sockaddr_storage to;
  socklen_t to_len;
  uint32_t len;
  uint8_t *data;
} queued_t;

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  int poll_events;
  int started;
  int closing;
  // The socket is closed and the poll handle gone; the struct lives until the JS handle is collected.
  int released;
  int handle_gone;
  napi_ref on_batch;
  napi_ref on_closed;
  napi_ref keep[5];
  napi_async_context async_ctx;
  uint32_t batch;
  uint32_t in_slot;
  uint32_t out_slot;
  uint8_t *in;
  int32_t *in_lens;
  uint8_t *addrs;
  uint8_t *out;
  int32_t *out_lens;
  struct mmsghdr *rmsgs;
  struct iovec *riov;
  struct sockaddr_storage *rnames;
  struct mmsghdr *smsgs;
  struct iovec *siov;
  queued_t queue[QUEUE_CAP];
  uint32_t q_head;
  uint32_t q_count;
  double overflow;
  double send_errors;
  double receive_errors;
  double batches;
  double datagrams;
} engine_t;

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "udp-engine: N-API call failed: " #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char message[160];
  const char *name = uv_err_name(-err);
  snprintf(message, sizeof message, "%s %s: %s", syscall, name, strerror(err));
  napi_value code, msg, error;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_value syscall_value, errno_value;
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

static engine_t *engine_of(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "udp-engine: not an engine handle");
    return NULL;
  }
  return (engine_t *)data;
}

static void set_events(engine_t *e);
static void on_poll(uv_poll_t *handle, int status, int events);

// Reads a datagram's source into the 20-byte record JavaScript turns into { address, port }.
static void write_addr_record(uint8_t *record, const struct sockaddr_storage *from) {
  memset(record, 0, ADDR_RECORD);
  if (from->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)from;
    record[0] = 4;
    memcpy(record + 2, &a->sin_port, 2);
    memcpy(record + 4, &a->sin_addr, 4);
  } else if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
    record[0] = 6;
    memcpy(record + 2, &a->sin6_port, 2);
    memcpy(record + 4, &a->sin6_addr, 16);
  }
}

// The inverse, for a late reply: JavaScript hands back the record it was given.
static socklen_t read_addr_record(const uint8_t *record, struct sockaddr_storage *to) {
  memset(to, 0, sizeof *to);
  if (record[0] == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)to;
    a->sin_family = AF_INET;
    memcpy(&a->sin_port, record + 2, 2);
    memcpy(&a->sin_addr, record + 4, 4);
    return sizeof *a;
  }
  if (record[0] == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)to;
    a->sin6_family = AF_INET6;
    memcpy(&a->sin6_port, record + 2, 2);
    memcpy(&a->sin6_addr, record + 4, 16);
    return sizeof *a;
  }
  return 0;
}

// Keeps a copy of a datagram the kernel would not take now (EAGAIN); drops and counts beyond the cap.
static void enqueue(engine_t *e, const struct sockaddr_storage *to, socklen_t to_len, const uint8_t *data, uint32_t len) {
  if (e->q_count >= QUEUE_CAP) {
    e->overflow++;
    return;
  }
  uint8_t *copy = malloc(len > 0 ? len : 1);
  if (copy == NULL) {
    e->overflow++;
    return;
  }
  memcpy(copy, data, len);
  queued_t *slot = &e->queue[(e->q_head + e->q_count) % QUEUE_CAP];
  slot->to = *to;
  slot->to_len = to_len;
  slot->len = len;
  slot->data = copy;
  e->q_count++;
  set_events(e);
}

typedef enum { SENT, WOULD_BLOCK, FAILED } send_result_t;

// One datagram with sendto, retried on EINTR. FAILED (its own fault: EMSGSIZE, an unreachable
// network) is counted; WOULD_BLOCK (EAGAIN) is the caller's to queue or keep.
static send_result_t send_one(engine_t *e, const struct sockaddr_storage *to, socklen_t to_len, const void *data, size_t len) {
  for (;;) {
    if (sendto(e->fd, data, len, MSG_DONTWAIT, (const struct sockaddr *)to, to_len) >= 0) return SENT;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return WOULD_BLOCK;
    e->send_errors++;
    return FAILED;
  }
}

// Sends what waits in the queue, oldest first, until the kernel says EAGAIN again.
static void flush_queue(engine_t *e) {
  while (e->q_count > 0) {
    queued_t *slot = &e->queue[e->q_head];
    if (send_one(e, &slot->to, slot->to_len, slot->data, slot->len) == WOULD_BLOCK) break;
    free(slot->data);
    slot->data = NULL;
    e->q_head = (e->q_head + 1) % QUEUE_CAP;
    e->q_count--;
  }
  set_events(e);
}

// Readable always; writable only while something waits in the queue (else every wake-up would spin).
static void set_events(engine_t *e) {
  if (!e->started || e->closing) return;
  int want = UV_READABLE | (e->q_count > 0 ? UV_WRITABLE : 0);
  if (want == e->poll_events) return;
  e->poll_events = want;
  uv_poll_start(&e->poll, want, on_poll);
}

// Sends one batch's replies (out_lens[i] > 0) to the sources of the datagrams they answer.
static void send_replies(engine_t *e, int received) {
  int m = 0;
  for (int i = 0; i < received; i++) {
    int32_t len = e->out_lens[i];
    if (len <= 0 || (uint32_t)len > e->out_slot) continue;
    struct mmsghdr *msg = &e->smsgs[m];
    e->siov[m].iov_base = e->out + (size_t)i * e->out_slot;
    e->siov[m].iov_len = (size_t)len;
    memset(&msg->msg_hdr, 0, sizeof msg->msg_hdr);
    msg->msg_hdr.msg_name = &e->rnames[i];
    msg->msg_hdr.msg_namelen = e->rmsgs[i].msg_hdr.msg_namelen;
    msg->msg_hdr.msg_iov = &e->siov[m];
    msg->msg_hdr.msg_iovlen = 1;
    msg->msg_len = 0;
    m++;
  }
  int done = 0;
  // Order matters: anything already queued goes before this batch.
  if (e->q_count > 0) flush_queue(e);
  while (done < m && e->q_count == 0) {
    int r = sendmmsg(e->fd, e->smsgs + done, (unsigned)(m - done), MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (r < 0) {
      // The first message failed for its own reason (EMSGSIZE, an unreachable network): skip it.
      e->send_errors++;
      done++;
      continue;
    }
    done += r;
  }
  for (; done < m; done++) {
    struct msghdr *h = &e->smsgs[done].msg_hdr;
    enqueue(e, (struct sockaddr_storage *)h->msg_name, h->msg_namelen, h->msg_iov->iov_base, (uint32_t)h->msg_iov->iov_len);
  }
}

// Calls onBatch(count) as a top-level callback, so promises and nextTicks run after it, as for any
// I/O callback. An exception goes to process 'uncaughtException', as it would from node:dgram.
static void call_batch(engine_t *e, int count) {
  napi_env env = e->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, global, arg, result;
  napi_get_reference_value(env, e->on_batch, &fn);
  napi_get_global(env, &global);
  napi_create_int32(env, count, &arg);
  napi_status status = napi_make_callback(env, e->async_ctx, global, fn, 1, &arg, &result);
  if (status == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

static void read_batches(engine_t *e) {
  for (int round = 0; round < MAX_ROUNDS && !e->closing; round++) {
    for (uint32_t i = 0; i < e->batch; i++) {
      e->rmsgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
      e->rmsgs[i].msg_hdr.msg_flags = 0;
      e->rmsgs[i].msg_len = 0;
    }
    // MSG_DONTWAIT with no timeout: whatever is there now, never waiting for a batch to fill.
    int n = recvmmsg(e->fd, e->rmsgs, e->batch, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) e->receive_errors++;
      return;
    }
    if (n == 0) return;
    for (int i = 0; i < n; i++) {
      e->in_lens[i] = (int32_t)e->rmsgs[i].msg_len;
      e->out_lens[i] = 0;
      write_addr_record(e->addrs + (size_t)i * ADDR_RECORD, &e->rnames[i]);
    }
    e->batches++;
    e->datagrams += n;
    call_batch(e, n);
    if (e->closing) return;
    send_replies(e, n);
    if ((uint32_t)n < e->batch) return;
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  engine_t *e = (engine_t *)handle->data;
  if (e->closing) return;
  if (status < 0) {
    e->receive_errors++;
    return;
  }
  if (events & UV_WRITABLE) flush_queue(e);
  if (events & UV_READABLE) read_batches(e);
}

static void free_engine(engine_t *e) {
  for (uint32_t i = 0; i < e->q_count; i++) free(e->queue[(e->q_head + i) % QUEUE_CAP].data);
  free(e->rmsgs);
  free(e->riov);
  free(e->rnames);
  free(e->smsgs);
  free(e->siov);
  free(e);
}

// The poll handle is gone: close the socket, then tell JavaScript (the port is free from now on).
static void on_closed(uv_handle_t *handle) {
  engine_t *e = (engine_t *)handle->data;
  napi_env env = e->env;
  close(e->fd);
  e->released = 1;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  if (e->on_closed) {
    napi_value fn, global, result;
    napi_get_reference_value(env, e->on_closed, &fn);
    napi_get_global(env, &global);
    napi_delete_reference(env, e->on_closed);
    e->on_closed = NULL;
    if (napi_make_callback(env, e->async_ctx, global, fn, 0, NULL, &result) == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
  napi_async_destroy(env, e->async_ctx);
  e->async_ctx = NULL;
  if (e->handle_gone) free_engine(e);
}

// The JavaScript handle was collected. A started engine is always closed first (its callback keeps
// the handle reachable until then); one never started is closed here.
static void on_handle_collected(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  engine_t *e = (engine_t *)data;
  e->handle_gone = 1;
  if (!e->started && !e->released) {
    close(e->fd);
    e->released = 1;
  }
  if (e->released) free_engine(e);
}

// open(family: 4 | 6, address: string, port: number, reusePort: boolean, bufferBytes: number)
//   → { handle, port }. Binds a non-blocking UDP socket; errors carry a libuv code (EADDRINUSE).
static napi_value engine_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "udp-engine: open(family, address, port, reusePort, bufferBytes)");
    return NULL;
  }
  int32_t family, port, buffer_bytes;
  bool reuse_port;
  char address[64];
  size_t address_len;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_len));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_bool(env, argv[3], &reuse_port));
  CHECK(napi_get_value_int32(env, argv[4], &buffer_bytes));

  // getaddrinfo with AI_NUMERICHOST parses literals only (no lookup), IPv6 scope ids included (fe80::1%eth0).
  struct addrinfo hints, *found = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family == 6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST;
  if (getaddrinfo(address, NULL, &hints, &found) != 0 || found == NULL) return throw_errno(env, EINVAL, "getaddrinfo");
  struct sockaddr_storage bind_addr;
  memset(&bind_addr, 0, sizeof bind_addr);
  socklen_t bind_len = (socklen_t)found->ai_addrlen;
  memcpy(&bind_addr, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (family == 6) ((struct sockaddr_in6 *)&bind_addr)->sin6_port = htons((uint16_t)port);
  else ((struct sockaddr_in *)&bind_addr)->sin_port = htons((uint16_t)port);
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1;
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "setsockopt");
  }
  // As node:dgram's recvBufferSize/sendBufferSize: asked for, capped by net.core.[rw]mem_max.
  if (buffer_bytes > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  if (bind(fd, (struct sockaddr *)&bind_addr, bind_len) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &bound_len);
  int bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);

  engine_t *e = calloc(1, sizeof *e);
  if (e == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  e->env = env;
  e->fd = fd;
  napi_value handle, result, port_value;
  CHECK(napi_create_external(env, e, on_handle_collected, NULL, &handle));
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_int32(env, bound_port, &port_value));
  CHECK(napi_set_named_property(env, result, "handle", handle));
  CHECK(napi_set_named_property(env, result, "port", port_value));
  return result;
}

static int buffer_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  void *raw = NULL;
  if (napi_get_arraybuffer_info(env, value, &raw, length) != napi_ok) return 0;
  *data = (uint8_t *)raw;
  return 1;
}

// start(handle, onBatch, batch, inSlot, outSlot, inBytes, inLengths, addresses, outBytes, outLengths)
// The five ArrayBuffers are JavaScript's: slot i of each is datagram i of the current batch.
static napi_value engine_start(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 10) {
    napi_throw_type_error(env, NULL, "udp-engine: start() takes 10 arguments");
    return NULL;
  }
  engine_t *e = engine_of(env, argv[0]);
  if (e == NULL) return NULL;
  if (e->started || e->closing) {
    napi_throw_error(env, NULL, "udp-engine: already started or closed");
    return NULL;
  }
  uint32_t batch, in_slot, out_slot;
  CHECK(napi_get_value_uint32(env, argv[2], &batch));
  CHECK(napi_get_value_uint32(env, argv[3], &in_slot));
  CHECK(napi_get_value_uint32(env, argv[4], &out_slot));
  uint8_t *buffers[5];
  size_t lengths[5];
  for (int i = 0; i < 5; i++) {
    if (!buffer_of(env, argv[5 + i], &buffers[i], &lengths[i])) {
      napi_throw_type_error(env, NULL, "udp-engine: start() needs five ArrayBuffers");
      return NULL;
    }
  }
  if (batch == 0 || lengths[0] < (size_t)batch * in_slot || lengths[1] < batch * 4u || lengths[2] < batch * (size_t)ADDR_RECORD ||
      lengths[3] < (size_t)batch * out_slot || lengths[4] < batch * 4u) {
    napi_throw_range_error(env, NULL, "udp-engine: a shared buffer is smaller than batch × slot");
    return NULL;
  }
  e->batch = batch;
  e->in_slot = in_slot;
  e->out_slot = out_slot;
  e->in = buffers[0];
  e->in_lens = (int32_t *)buffers[1];
  e->addrs = buffers[2];
  e->out = buffers[3];
  e->out_lens = (int32_t *)buffers[4];
  e->rmsgs = calloc(batch, sizeof *e->rmsgs);
  e->riov = calloc(batch, sizeof *e->riov);
  e->rnames = calloc(batch, sizeof *e->rnames);
  e->smsgs = calloc(batch, sizeof *e->smsgs);
  e->siov = calloc(batch, sizeof *e->siov);
  if (!e->rmsgs || !e->riov || !e->rnames || !e->smsgs || !e->siov) return throw_errno(env, ENOMEM, "calloc");
  for (uint32_t i = 0; i < batch; i++) {
    e->riov[i].iov_base = e->in + (size_t)i * in_slot;
    e->riov[i].iov_len = in_slot;
    e->rmsgs[i].msg_hdr.msg_iov = &e->riov[i];
    e->rmsgs[i].msg_hdr.msg_iovlen = 1;
    e->rmsgs[i].msg_hdr.msg_name = &e->rnames[i];
  }
  CHECK(napi_create_reference(env, argv[1], 1, &e->on_batch));
  for (int i = 0; i < 5; i++) CHECK(napi_create_reference(env, argv[5 + i], 1, &e->keep[i]));
  napi_value resource_name;
  CHECK(napi_create_string_utf8(env, "cluster-dns:udp-engine", NAPI_AUTO_LENGTH, &resource_name));
  CHECK(napi_async_init(env, NULL, resource_name, &e->async_ctx));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &e->poll, e->fd) != 0) return throw_errno(env, EINVAL, "uv_poll_init");
  e->poll.data = e;
  e->started = 1;
  set_events(e);
  return NULL;
}

// send(handle, bytes: Uint8Array, addressRecord: Uint8Array): one reply outside a batch (a
// forwarded name, a CNAME chase). Queued behind earlier replies when the kernel says EAGAIN.
static napi_value engine_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = engine_of(env, argv[0]);
  if (e == NULL || e->closing) return NULL;
  void *data, *record;
  size_t len, record_len;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[1], &type, &len, &data, &ab, &offset) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &type, &record_len, &record, &ab, &offset) != napi_ok || record_len < ADDR_RECORD) {
    napi_throw_type_error(env, NULL, "udp-engine: send(handle, bytes, addressRecord)");
    return NULL;
  }
  struct sockaddr_storage to;
  socklen_t to_len = read_addr_record((const uint8_t *)record, &to);
  if (to_len == 0) return NULL;
  // Behind what already waits (replies keep their order), else straight out unless the kernel says EAGAIN.
  if (e->q_count > 0 || send_one(e, &to, to_len, data, len) == WOULD_BLOCK) enqueue(e, &to, to_len, data, (uint32_t)len);
  return NULL;
}

// stats(handle) → counters for /metrics and tests.
static napi_value engine_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = engine_of(env, argv[0]);
  if (e == NULL) return NULL;
  napi_value result;
  CHECK(napi_create_object(env, &result));
  const char *names[] = {"batches", "datagrams", "queued", "overflow", "sendErrors", "receiveErrors"};
  double values[] = {e->batches, e->datagrams, e->q_count, e->overflow, e->send_errors, e->receive_errors};
  for (int i = 0; i < 6; i++) {
    napi_value v;
    CHECK(napi_create_double(env, values[i], &v));
    CHECK(napi_set_named_property(env, result, names[i], v));
  }
  return result;
}

// close(handle, onClosed?): stops reading; the socket closes on the loop's close phase, then
// onClosed runs. Safe from inside onBatch: that batch's replies are not sent.
static napi_value engine_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = engine_of(env, argv[0]);
  if (e == NULL || e->closing) return NULL;
  e->closing = 1;
  if (e->on_batch) napi_delete_reference(env, e->on_batch);
  for (int i = 0; i < 5; i++)
    if (e->keep[i]) napi_delete_reference(env, e->keep[i]);
  napi_valuetype type = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &type);
  if (e->started) {
    if (type == napi_function) CHECK(napi_create_reference(env, argv[1], 1, &e->on_closed));
    uv_poll_stop(&e->poll);
    uv_close((uv_handle_t *)&e->poll, on_closed);
  } else {
    close(e->fd);
    e->released = 1;
    if (type == napi_function) {
      napi_value global, result;
      CHECK(napi_get_global(env, &global));
      CHECK(napi_call_function(env, global, argv[1], 0, NULL, &result));
    }
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, engine_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, engine_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, engine_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, engine_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, engine_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
