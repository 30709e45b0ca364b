// gwload: a load tool for gatewayd, in C on libwebsockets and jansson. It speaks the gateway's
// protocol (hello, identify with tokens it mints from the shared key, sub, post, heartbeats),
// checks what it receives (every offset exactly once and in order, per subscription) and prints
// one JSON line and a human summary.
//
// Scenarios:
//   idle    N connections identified and subscribed to `feed`, held for --duration seconds,
//           opened at --ramp per second, spread over --sources loopback addresses.
//   fanout  N subscribers on `feed` and --writers writers posting at --rate posts/s in all
//           (0: as fast as acks come back); latency is from the event's commit time (`ts`) to
//           its receipt.
//   writes  --writers writers posting as fast as acks come back, no subscribers (-n 0): durable
//           writes acknowledged per second.
//   churn   like fanout, but every subscriber closes after 1-5 s and comes back at once with
//           `since` its last offset and epoch: every offset must still arrive exactly once.
//
//   make -C Tools/gwload
//   Tools/gwload/gwload --scenario fanout -n 1000 --writers 2 --rate 500 --duration 20
//       --secret "$GATEWAYD_JWT_SECRET" --pid $(pidof gatewayd)
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum role { SUBSCRIBER, WRITER };
enum state { CONNECTING, OPEN, READY, SUBSCRIBED, CLOSED, FAILED };

struct session {
    struct lws *wsi;
    int index;
    enum role role;
    enum state state;
    char user[32];
    // Pending outgoing messages, sent one per writable callback.
    char *queue[8];
    int queued;
    // The message being received, across fragments.
    char *inbox;
    size_t inbox_length, inbox_capacity;
    int64_t last_offset;
    int64_t started_offset;
    uint64_t received, lost, duplicates, out_of_order;
    int close_code;
    // churn: the stream's epoch for `since`, when this life ends, when to come back.
    char epoch[64];
    int closing;
    double life_ends, reopen_at;
    uint64_t lives, unrecovered;
    // Writers: requests sent and acknowledged.
    uint64_t sent, acked, in_flight;
    lws_usec_t next_post;
    lws_sorted_usec_list_t post_timer;
};

static struct {
    const char *host;
    int port;
    const char *scenario;
    int connections, writers, ramp, duration, sources;
    double rate;
    const char *secret;
    int pid;
    int body_bytes;
} options = {"127.0.0.1", 8080, "idle", 100, 0, 500, 10, 1, 0, NULL, 0, 120};

static struct lws_context *context;
static struct session *sessions;
static int total_sessions, opened, ready_count, subscribed_count, failed_count, closed_count, churn;
static int64_t *latencies;
static size_t latency_count, latency_capacity;
static int close_codes[5000];
static volatile int interrupted;
static lws_sorted_usec_list_t tick_timer;
static double started_at, measure_from, finished_at;
static char source_names[64][20];

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

// MARK: tokens (HS256 JWT, as `gatewayd token` signs them)

static void base64url(const unsigned char *in, size_t length, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < length; i += 3) {
        uint32_t v = in[i] << 16 | (i + 1 < length ? in[i + 1] << 8 : 0) | (i + 2 < length ? in[i + 2] : 0);
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < length) out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < length) out[o++] = alphabet[v & 63];
    }
    out[o] = 0;
}

static char *mint_token(const char *user) {
    char header[64], payload[256], claims[256], signing[512];
    base64url((const unsigned char *)"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27, header);
    snprintf(claims, sizeof claims, "{\"sub\":\"%s\",\"name\":\"%s\",\"role\":\"user\",\"exp\":%ld}", user, user, (long)time(NULL) + 86400);
    base64url((const unsigned char *)claims, strlen(claims), payload);
    snprintf(signing, sizeof signing, "%s.%s", header, payload);
    unsigned char mac[32];
    unsigned int mac_length = 0;
    HMAC(EVP_sha256(), options.secret, (int)strlen(options.secret), (const unsigned char *)signing, strlen(signing), mac, &mac_length);
    char signature[64];
    base64url(mac, mac_length, signature);
    char *token = malloc(strlen(signing) + strlen(signature) + 2);
    sprintf(token, "%s.%s", signing, signature);
    return token;
}

// MARK: sending

static void enqueue(struct session *s, char *message) {
    if (s->queued == 8) {
        free(message);
        return;
    }
    s->queue[s->queued++] = message;
    lws_callback_on_writable(s->wsi);
}

static void send_json(struct session *s, json_t *object) {
    char *text = json_dumps(object, JSON_COMPACT);
    json_decref(object);
    enqueue(s, text);
}

static void post_now(struct session *s) {
    char body[4096];
    int length = options.body_bytes < (int)sizeof body - 1 ? options.body_bytes : (int)sizeof body - 1;
    memset(body, 'x', length);
    body[length] = 0;
    char client_id[64];
    snprintf(client_id, sizeof client_id, "gw-%d-%llu-%ld", s->index, (unsigned long long)s->sent, (long)started_at);
    s->sent++;
    s->in_flight++;
    send_json(s, json_pack("{s:s, s:I, s:s, s:s, s:s}", "op", "post", "id", (json_int_t)s->sent, "body", body, "client_id", client_id, "bots", "off"));
}

// Paced writers share one timetable: writer w posts at anchor + k * interval + w * interval / P,
// so P writers at R/P posts/s each send evenly spaced posts, as one source at R would, instead of
// P posts at a time (the peers are measured the same way).
static lws_usec_t pace_anchor;

static lws_usec_t post_interval(void) {
    return (lws_usec_t)(1e6 * options.writers / options.rate);
}

static void post_timer_fired(lws_sorted_usec_list_t *sul);

// Arms the writer's timer for its next slot; slots already past are skipped, not sent at once.
static void schedule_post(struct session *s) {
    lws_usec_t now = lws_now_usecs();
    while (s->next_post <= now) s->next_post += post_interval();
    lws_sul_schedule(context, 0, &s->post_timer, post_timer_fired, s->next_post - now);
}

static void post_timer_fired(lws_sorted_usec_list_t *sul) {
    struct session *s = lws_container_of(sul, struct session, post_timer);
    if (s->state < READY || interrupted || now_seconds() > finished_at) return;
    // A writer keeps at most a few requests in flight; a rate is split between the writers.
    if (s->in_flight < 4) post_now(s);
    schedule_post(s);
}

// As fast as acks come: back to four in flight after a refusal.
static void refill_fired(lws_sorted_usec_list_t *sul) {
    struct session *s = lws_container_of(sul, struct session, post_timer);
    if (s->state < READY || interrupted || now_seconds() > finished_at) return;
    while (s->in_flight < 4) post_now(s);
}

// MARK: receiving

// Counts one received event: in order, a duplicate, or past a gap; and its latency from `ts`.
static void record_event(struct session *s, int64_t offset, const char *ts, size_t ts_length) {
    if (offset == s->last_offset + 1) {
        s->received++;
    } else if (offset <= s->last_offset) {
        s->duplicates++;
    } else {
        s->out_of_order++;
        s->lost += offset - s->last_offset - 1;
    }
    if (offset > s->last_offset) s->last_offset = offset;
    // "2026-12-01T08:46:21.624Z": the seconds change far less often than the events come, so the
    // calendar arithmetic is done once per second of commit times, not once per event.
    static char last_second[20];
    static double last_epoch;
    if (ts_length != 24 || ts[19] != '.' || ts[23] != 'Z' || now_seconds() < measure_from) return;
    for (int digit = 20; digit < 23; digit++) {
        if (ts[digit] < '0' || ts[digit] > '9') return;
    }
    if (memcmp(ts, last_second, 19)) {
        struct tm tm = {0};
        char prefix[20];
        memcpy(prefix, ts, 19);
        prefix[19] = 0;
        if (sscanf(prefix, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) return;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        last_epoch = (double)timegm(&tm);
        memcpy(last_second, ts, 19);
    }
    int millis = (ts[20] - '0') * 100 + (ts[21] - '0') * 10 + (ts[22] - '0');
    double committed = last_epoch + millis / 1000.0;
    if (latency_count == latency_capacity) {
        latency_capacity = latency_capacity ? latency_capacity * 2 : 1 << 20;
        latencies = realloc(latencies, latency_capacity * sizeof *latencies);
    }
    latencies[latency_count++] = (int64_t)((now_seconds() - committed) * 1e6);
}

// Where the value of the top-level member `key` (quoted: "\"offset\"") of a JSON object starts, or
// NULL; strings, nested objects and arrays are stepped over, so a body cannot fake a member.
static const char *top_level_value(const char *text, size_t length, const char *key) {
    size_t key_length = strlen(key);
    int depth = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '"') {
            size_t start = i;
            for (i++; i < length && text[i] != '"'; i++) {
                if (text[i] == '\\') i++;
            }
            if (i >= length) return NULL;  // a string the frame does not close
            if (depth != 1 || i - start + 1 != key_length || memcmp(text + start, key, key_length)) continue;
            size_t next = i + 1;
            while (next < length && text[next] == ' ') next++;
            if (next < length && text[next] == ':') {
                for (next++; next < length && text[next] == ' '; next++) {}
                return next < length ? text + next : NULL;
            }
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return NULL;
}

// An event, counted without building the frame: parsing every event with jansson was half of
// this tool's time, and beside 1,000 subscribers the tool, not the server, set the pace.
static int handle_event(struct session *s, const char *text, size_t length) {
    const char *op = top_level_value(text, length, "\"op\"");
    if (!op || text + length - op < 7 || memcmp(op, "\"event\"", 7)) return 0;
    const char *offset = top_level_value(text, length, "\"offset\"");
    if (!offset) return 0;
    const char *ts = top_level_value(text, length, "\"ts\"");
    const char *ts_end = ts && *ts == '"' && ts + 1 < text + length ? memchr(ts + 1, '"', text + length - ts - 1) : NULL;
    record_event(s, strtoll(offset, NULL, 10), ts_end ? ts + 1 : NULL, ts_end ? (size_t)(ts_end - ts - 1) : 0);
    return 1;
}

static void handle(struct session *s, const char *text, size_t length) {
    if (handle_event(s, text, length)) return;
    json_error_t error;
    json_t *frame = json_loadb(text, length, 0, &error);
    if (!frame) return;
    const char *op = json_string_value(json_object_get(frame, "op"));
    if (!op) goto done;
    if (!strcmp(op, "hello")) {
        char *token = mint_token(s->user);
        send_json(s, json_pack("{s:s, s:s}", "op", "identify", "token", token));
        free(token);
    } else if (!strcmp(op, "ready")) {
        s->state = READY;
        ready_count++;
        if (s->role == SUBSCRIBER) {
            json_t *sub = json_pack("{s:s, s:i, s:s}", "op", "sub", "id", 1, "stream", "feed");
            if (s->epoch[0]) json_object_set_new(sub, "since", json_pack("{s:I, s:s}", "offset", (json_int_t)s->last_offset, "epoch", s->epoch));
            send_json(s, sub);
        } else {
            if (options.rate <= 0) {
                // As fast as acks come: four in flight now, and each answer sends the next; no
                // timer, so this tool sleeps in poll() instead of waking every millisecond.
                while (s->in_flight < 4) post_now(s);
            } else {
                if (!pace_anchor) pace_anchor = lws_now_usecs() + 10 * LWS_US_PER_MS;
                s->next_post = pace_anchor + post_interval() * s->index / options.writers;
                schedule_post(s);
            }
        }
    } else if (!strcmp(op, "subscribed")) {
        s->state = SUBSCRIBED;
        int64_t offset = json_integer_value(json_object_get(frame, "offset"));
        const char *epoch = json_string_value(json_object_get(frame, "epoch"));
        if (!s->epoch[0]) {
            s->last_offset = s->started_offset = offset;
        } else if (!json_is_true(json_object_get(frame, "recovered"))) {
            // The server could not replay what this session missed: a gap it admits.
            s->unrecovered++;
            s->last_offset = offset;
        }
        if (epoch) snprintf(s->epoch, sizeof s->epoch, "%s", epoch);
        s->lives++;
        if (churn) s->life_ends = now_seconds() + 1 + (rand() % 4000) / 1000.0;
        subscribed_count++;
    } else if (!strcmp(op, "event")) {
        // Only what `handle_event` could not read (other spacing, members it did not find).
        const char *ts = json_string_value(json_object_get(frame, "ts"));
        record_event(s, json_integer_value(json_object_get(frame, "offset")), ts, ts ? strlen(ts) : 0);
    } else if (!strcmp(op, "ack")) {
        s->acked++;
        if (s->in_flight) s->in_flight--;
        if (options.rate <= 0 && now_seconds() < finished_at) post_now(s);
    } else if (!strcmp(op, "error")) {
        if (s->in_flight) s->in_flight--;
        // Refused (a limit, a full store): try again a little later, not in a tight loop.
        if (options.rate <= 0) lws_sul_schedule(context, 0, &s->post_timer, refill_fired, 10 * LWS_US_PER_MS);
    }
done:
    json_decref(frame);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t length) {
    (void)user;
    struct session *s = (struct session *)lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        s->state = OPEN;
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (s->inbox_length + length + 1 > s->inbox_capacity) {
            s->inbox_capacity = (s->inbox_length + length + 1) * 2;
            s->inbox = realloc(s->inbox, s->inbox_capacity);
        }
        memcpy(s->inbox + s->inbox_length, in, length);
        s->inbox_length += length;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            s->inbox[s->inbox_length] = 0;  // numbers are read with strtoll, which stops at a NUL
            handle(s, s->inbox, s->inbox_length);
            s->inbox_length = 0;
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (s->closing && !s->queued) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        if (s->queued) {
            char *message = s->queue[0];
            size_t size = strlen(message);
            unsigned char *buffer = malloc(LWS_PRE + size);
            memcpy(buffer + LWS_PRE, message, size);
            lws_write(wsi, buffer + LWS_PRE, size, LWS_WRITE_TEXT);
            free(buffer);
            free(message);
            memmove(s->queue, s->queue + 1, --s->queued * sizeof s->queue[0]);
            if (s->queued) lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (length >= 2) s->close_code = ((unsigned char *)in)[0] << 8 | ((unsigned char *)in)[1];
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (s) {
            s->state = FAILED;
            failed_count++;
            s->wsi = NULL;
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (s) {
            if (s->state == SUBSCRIBED) subscribed_count--;
            s->state = CLOSED;
            closed_count++;
            if (s->close_code > 0 && s->close_code < 5000 && !s->closing) close_codes[s->close_code]++;
            lws_sul_cancel(&s->post_timer);
            s->wsi = NULL;
            s->closing = 0;
            s->reopen_at = now_seconds() + (rand() % 200) / 1000.0;
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {{"gwload", callback, 0, 1 << 16, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};

static void open_session(struct session *s) {
    struct lws_client_connect_info info;
    memset(&info, 0, sizeof info);
    info.context = context;
    info.address = options.host;
    info.port = options.port;
    info.path = "/v1/ws";
    info.host = options.host;
    info.local_protocol_name = "gwload";
    info.opaque_user_data = s;
    info.pwsi = &s->wsi;
    // Spread the connections over several loopback source addresses, past one address's ports.
    if (options.sources > 1) info.iface = source_names[s->index % options.sources];
    s->state = CONNECTING;
    s->queued = 0;
    s->inbox_length = 0;
    s->close_code = 0;
    if (!lws_client_connect_via_info(&info)) {
        s->state = FAILED;
        failed_count++;
    }
    opened++;
}

// Events the subscribers still lack: each subscribed session's distance from the newest offset
// any of them has (a single stream, so offsets compare).
static uint64_t shortfall(void) {
    int64_t newest = 0;
    uint64_t missing = 0;
    for (int i = options.writers; i < total_sessions; i++) if (sessions[i].last_offset > newest) newest = sessions[i].last_offset;
    for (int i = options.writers; i < total_sessions; i++) {
        if (sessions[i].state == SUBSCRIBED && sessions[i].last_offset < newest) missing += newest - sessions[i].last_offset;
    }
    return missing;
}

static void tick(lws_sorted_usec_list_t *sul) {
    (void)sul;
    double now = now_seconds();
    // Ramp: open what the rate allows by now.
    int due = (int)((now - started_at) * options.ramp) + 1;
    while (opened < total_sessions && opened < due) open_session(&sessions[opened]);
    // churn: end lives that are over, bring back the closed, until the writers stop.
    if (churn && now < finished_at) {
        for (int i = options.writers; i < opened; i++) {
            struct session *s = &sessions[i];
            if (s->state == SUBSCRIBED && !s->closing && now > s->life_ends) {
                s->closing = 1;
                subscribed_count--;
                s->state = OPEN;
                lws_callback_on_writable(s->wsi);
            } else if ((s->state == CLOSED || s->state == FAILED) && now > s->reopen_at) {
                open_session(s);
                opened--;
            }
        }
    }
    // Heartbeats every 10 s, staggered by session.
    static double last_heartbeat;
    if (now - last_heartbeat > 10) {
        last_heartbeat = now;
        for (int i = 0; i < total_sessions; i++) {
            if (sessions[i].wsi && sessions[i].state >= READY && sessions[i].state < CLOSED) {
                send_json(&sessions[i], json_pack("{s:s, s:f}", "op", "ping", "t", now));
            }
        }
    }
    // The writers have stopped: wait until every subscriber has the newest event any of them
    // has, so that events still queued for a slow client are not counted as lost (at most 10 s).
    if (interrupted || (now > finished_at + 2 && (shortfall() == 0 || now > finished_at + 10))) {
        lws_cancel_service(context);
        interrupted = 1;
        return;
    }
    lws_sul_schedule(context, 0, &tick_timer, tick, 50 * LWS_US_PER_MS);
}

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void process_usage(int pid, long *rss_kib, double *cpu_seconds) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *file = fopen(path, "r");
    *rss_kib = 0;
    *cpu_seconds = 0;
    if (!file) return;
    while (fgets(line, sizeof line, file)) {
        if (!strncmp(line, "VmRSS:", 6)) *rss_kib = atol(line + 6);
    }
    fclose(file);
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    file = fopen(path, "r");
    if (!file) return;
    char stat[2048];
    size_t n = fread(stat, 1, sizeof stat - 1, file);
    stat[n] = 0;
    fclose(file);
    char *rest = strrchr(stat, ')');
    unsigned long utime = 0, stime = 0;
    if (rest && sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2) {
        *cpu_seconds = (double)(utime + stime) / sysconf(_SC_CLK_TCK);
    }
}

static void on_signal(int signal) {
    (void)signal;
    interrupted = 1;
}

static void usage(void) {
    fprintf(stderr,
            "usage: gwload [--host 127.0.0.1] [--port 8080] [--scenario idle|fanout] [-n connections] [--writers W]\n"
            "              [--rate posts/s, 0 = as fast as acks come] [--ramp connections/s] [--duration s] [--sources K]\n"
            "              [--body-bytes B] --secret KEY [--pid gatewayd's pid]\n");
    exit(2);
}

int main(int argc, char **argv) {
    static struct option long_options[] = {
        {"host", required_argument, 0, 'h'}, {"port", required_argument, 0, 'p'}, {"scenario", required_argument, 0, 's'},
        {"writers", required_argument, 0, 'w'}, {"rate", required_argument, 0, 'r'}, {"ramp", required_argument, 0, 'R'},
        {"duration", required_argument, 0, 'd'}, {"sources", required_argument, 0, 'S'}, {"secret", required_argument, 0, 'k'},
        {"pid", required_argument, 0, 'P'}, {"body-bytes", required_argument, 0, 'b'}, {0, 0, 0, 0}};
    int option;
    while ((option = getopt_long(argc, argv, "n:", long_options, NULL)) != -1) {
        switch (option) {
        case 'h': options.host = optarg; break;
        case 'p': options.port = atoi(optarg); break;
        case 's': options.scenario = optarg; break;
        case 'n': options.connections = atoi(optarg); break;
        case 'w': options.writers = atoi(optarg); break;
        case 'r': options.rate = atof(optarg); break;
        case 'R': options.ramp = atoi(optarg); break;
        case 'd': options.duration = atoi(optarg); break;
        case 'S': options.sources = atoi(optarg); break;
        case 'k': options.secret = optarg; break;
        case 'P': options.pid = atoi(optarg); break;
        case 'b': options.body_bytes = atoi(optarg); break;
        default: usage();
        }
    }
    if (!options.secret) options.secret = getenv("GATEWAYD_JWT_SECRET");
    if (!strcmp(options.scenario, "writes")) options.connections = 0;
    if (!options.secret || options.connections < 0 || options.ramp < 1 || options.sources < 1 || options.sources > 64) usage();
    if (!strcmp(options.scenario, "idle")) {
        options.writers = 0;
    } else if (strcmp(options.scenario, "fanout") && strcmp(options.scenario, "writes") && strcmp(options.scenario, "churn")) {
        fprintf(stderr, "gwload: unknown scenario \"%s\" (idle, fanout, writes, churn)\n", options.scenario);
        return 2;
    } else if (options.writers < 1) {
        options.writers = 1;
    }
    churn = !strcmp(options.scenario, "churn");
    for (int i = 0; i < options.sources; i++) snprintf(source_names[i], sizeof source_names[i], "127.0.0.%d", i + 1);
    signal(SIGINT, on_signal);
    lws_set_log_level(LLL_ERR, NULL);

    total_sessions = options.connections + options.writers;
    sessions = calloc(total_sessions, sizeof *sessions);
    // Writers connect first, so subscribers' offsets count every post from the start.
    for (int i = 0; i < total_sessions; i++) {
        struct session *s = &sessions[i];
        s->index = i;
        s->role = i < options.writers ? WRITER : SUBSCRIBER;
        snprintf(s->user, sizeof s->user, s->role == WRITER ? "u_gwwriter%d" : "u_gwload%d", i);
    }

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.fd_limit_per_thread = (unsigned int)total_sessions + 64;
    context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "gwload: could not create the libwebsockets context (file descriptor limit? ulimit -n)\n");
        return 1;
    }
    long rss_before = 0, rss_after = 0, rss_baseline = 0;
    double cpu_before = 0, cpu_after = 0, cpu_baseline = 0;
    // The server's memory before this tool opened anything: growth per connection is measured from here.
    if (options.pid) process_usage(options.pid, &rss_baseline, &cpu_baseline);
    started_at = now_seconds();
    double ramp_seconds = (double)total_sessions / options.ramp;
    measure_from = started_at + ramp_seconds + 1;
    finished_at = measure_from + options.duration;
    lws_sul_schedule(context, 0, &tick_timer, tick, 1);
    int measuring = 0;
    uint64_t acked_at_start = 0;
    while (!interrupted) {
        lws_service(context, 0);
        if (!measuring && now_seconds() >= measure_from) {
            measuring = 1;
            if (options.pid) process_usage(options.pid, &rss_before, &cpu_before);
            for (int i = 0; i < options.writers; i++) acked_at_start += sessions[i].acked;
        }
    }
    double measured = now_seconds() - measure_from;
    if (options.pid) process_usage(options.pid, &rss_after, &cpu_after);

    uint64_t received = 0, lost = 0, duplicates = 0, out_of_order = 0, acked = 0, lives = 0, unrecovered = 0;
    int subscribers_ready = 0;
    for (int i = 0; i < total_sessions; i++) {
        struct session *s = &sessions[i];
        if (s->role == WRITER) {
            acked += s->acked;
            continue;
        }
        received += s->received;
        lives += s->lives;
        unrecovered += s->unrecovered;
        lost += s->lost;
        duplicates += s->duplicates;
        out_of_order += s->out_of_order;
        if (s->started_offset || s->last_offset || s->state == SUBSCRIBED) subscribers_ready++;
    }
    // Posts every subscriber should have received: those committed after it subscribed. At the
    // end each subscriber's last offset must be the feed's last offset: a shortfall is lost.
    lost += shortfall();
    qsort(latencies, latency_count, sizeof *latencies, compare);
#define PERCENTILE(p) (latency_count ? latencies[(size_t)((latency_count - 1) * (p))] : 0)
    double delivered_per_second = measured > 0 ? (double)latency_count / measured : 0;
    // Acks that came within the measured window (the writers stop posting at its end).
    double acked_per_second = measured > 0 ? (double)(acked - acked_at_start) / (finished_at - measure_from) : 0;
    double cpu_us_per_delivery = latency_count && options.pid ? (cpu_after - cpu_before) * 1e6 / latency_count : 0;
    long rss_per_connection = options.pid && subscribers_ready ? (rss_after - rss_baseline) * 1024 / (subscribers_ready + options.writers) : 0;
    char codes[1024] = "";
    for (int code = 0; code < 5000; code++) {
        if (close_codes[code]) snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "%s\"%d\":%d", codes[0] ? "," : "", code, close_codes[code]);
    }
    printf("{\"scenario\":\"%s\",\"connections\":%d,\"subscribed\":%d,\"failed\":%d,\"writers\":%d,\"posts_acked\":%llu,"
           "\"acked_per_second\":%.0f,\"measured_seconds\":%.1f,\"delivered\":%zu,\"delivered_per_second\":%.0f,"
           "\"latency_us\":{\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"max\":%lld},"
           "\"sessions_opened\":%llu,\"resumes_not_recovered\":%llu,\"received_in_order\":%llu,\"lost\":%llu,\"duplicates\":%llu,\"out_of_order\":%llu,\"close_codes\":{%s},"
           "\"server_rss_kib\":%ld,\"server_rss_kib_before\":%ld,\"server_rss_bytes_per_connection\":%ld,\"server_cpu_seconds\":%.2f,\"server_cpu_us_per_delivery\":%.3f}\n",
           options.scenario, options.connections, subscribers_ready, failed_count, options.writers, (unsigned long long)acked, acked_per_second, measured,
           latency_count, delivered_per_second, (long long)PERCENTILE(0.5), (long long)PERCENTILE(0.9), (long long)PERCENTILE(0.99),
           (long long)(latency_count ? latencies[latency_count - 1] : 0), (unsigned long long)lives, (unsigned long long)unrecovered,
           (unsigned long long)received, (unsigned long long)lost,
           (unsigned long long)duplicates, (unsigned long long)out_of_order, codes, rss_after, rss_baseline, rss_per_connection, cpu_after - cpu_before,
           cpu_us_per_delivery);
    fprintf(stderr,
            "%s: %d of %d connections subscribed (%d failed); %llu posts acknowledged (%.0f/s); %zu deliveries in %.1f s (%.0f/s);\n"
            "latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; lost %llu, duplicates %llu, out of order %llu",
            options.scenario, subscribers_ready, options.connections, failed_count, (unsigned long long)acked, acked_per_second, latency_count, measured,
            delivered_per_second, PERCENTILE(0.5) / 1000.0, PERCENTILE(0.9) / 1000.0, PERCENTILE(0.99) / 1000.0,
            (latency_count ? latencies[latency_count - 1] : 0) / 1000.0, (unsigned long long)lost, (unsigned long long)duplicates,
            (unsigned long long)out_of_order);
    if (options.pid) {
        fprintf(stderr, "; server RSS %.1f MiB (%ld bytes per connection of growth), CPU %.2f s (%.2f us per delivery)", rss_after / 1024.0,
                rss_per_connection, cpu_after - cpu_before, cpu_us_per_delivery);
    }
    fprintf(stderr, "\n");
    lws_context_destroy(context);
    if (churn) fprintf(stderr, "churn: %llu subscriber lives, %llu resumes the server could not replay\n", (unsigned long long)lives, (unsigned long long)unrecovered);
    return lost || duplicates || out_of_order || unrecovered ? 1 : 0;
}
