// A minimal broadcast server on libwebsockets, mirroring just enough of gatewayd's protocol for
// gwload (hello, ready, subscribed; each post stamped with an offset, broadcast to every
// subscriber, its writer acknowledged). No auth, no store, no limits. Each subscriber keeps a
// queue of the encoded event and writes it on its writable callback, as lws servers do.
//   make -C Tools/peers && Tools/peers/lws-broadcast PORT
#include <jansson.h>
#include <libwebsockets.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define QUEUE 1024

struct message {
    int references;
    size_t length;
    unsigned char bytes[];
};

struct connection {
    struct lws *wsi;
    struct connection *next;
    int subscribed;
    struct message *queue[QUEUE];
    int head, tail;
};

static struct connection *connections;
static long long offset;
static volatile int interrupted;

static struct message *make(const char *text) {
    size_t length = strlen(text);
    struct message *message = malloc(sizeof *message + LWS_PRE + length);
    message->references = 0;
    message->length = length;
    memcpy(message->bytes + LWS_PRE, text, length);
    return message;
}

static void push(struct connection *c, struct message *message) {
    int next = (c->tail + 1) % QUEUE;
    if (next == c->head) return;  // full: a slow consumer loses messages here, unlike gatewayd
    message->references++;
    c->queue[c->tail] = message;
    c->tail = next;
    lws_callback_on_writable(c->wsi);
}

static void send_text(struct connection *c, const char *text) { push(c, make(text)); }

static void timestamp(char *out, size_t size) {
    struct timeval now;
    gettimeofday(&now, NULL);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%03ldZ", (long)(now.tv_usec / 1000));
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t length) {
    struct connection *c = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        c->next = connections;
        connections = c;
        send_text(c, "{\"op\":\"hello\",\"v\":1,\"heartbeat_ms\":25000,\"max_message_bytes\":65536,\"server\":\"lws\"}");
        break;
    case LWS_CALLBACK_RECEIVE: {
        json_t *frame = json_loadb(in, length, 0, NULL);
        if (!frame) break;
        const char *op = json_string_value(json_object_get(frame, "op"));
        json_t *id = json_object_get(frame, "id");
        char text[8192];
        if (op && !strcmp(op, "identify")) {
            send_text(c, "{\"op\":\"ready\",\"session_id\":\"s_lws\",\"user\":null,\"read_only\":false}");
        } else if (op && !strcmp(op, "ping")) {
            send_text(c, "{\"op\":\"pong\"}");
        } else if (op && !strcmp(op, "sub")) {
            c->subscribed = 1;
            snprintf(text, sizeof text, "{\"op\":\"subscribed\",\"id\":%lld,\"stream\":\"feed\",\"offset\":%lld,\"epoch\":\"e_lws\",\"recovered\":false}",
                     (long long)json_integer_value(id), offset);
            send_text(c, text);
        } else if (op && !strcmp(op, "post")) {
            offset++;
            char ts[40];
            timestamp(ts, sizeof ts);
            char post_id[32];
            snprintf(post_id, sizeof post_id, "p_%lld", offset);
            json_t *post = json_pack("{s:s, s:O, s:s}", "id", post_id, "body", json_object_get(frame, "body"), "created_at", ts);
            json_t *event = json_pack("{s:s, s:s, s:I, s:s, s:s, s:O}", "op", "event", "stream", "feed", "offset", (json_int_t)offset, "type",
                                      "post.created", "ts", ts, "data", post);
            char *encoded = json_dumps(event, JSON_COMPACT);
            // Encoded once; every subscriber's queue holds the same bytes.
            struct message *message = make(encoded);
            for (struct connection *other = connections; other; other = other->next) {
                if (other->subscribed) push(other, message);
            }
            if (!message->references) free(message);
            free(encoded);
            snprintf(text, sizeof text, "{\"op\":\"ack\",\"id\":%lld,\"result\":{\"offset\":%lld}}", (long long)json_integer_value(id), offset);
            send_text(c, text);
            json_decref(event);
            json_decref(post);
        }
        json_decref(frame);
        break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (c->head != c->tail) {
            struct message *message = c->queue[c->head];
            c->head = (c->head + 1) % QUEUE;
            lws_write(wsi, message->bytes + LWS_PRE, message->length, LWS_WRITE_TEXT);
            if (--message->references == 0) free(message);
            if (c->head != c->tail) lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_CLOSED:
        for (struct connection **link = &connections; *link; link = &(*link)->next) {
            if (*link == c) {
                *link = c->next;
                break;
            }
        }
        while (c->head != c->tail) {
            struct message *message = c->queue[c->head];
            c->head = (c->head + 1) % QUEUE;
            if (--message->references == 0) free(message);
        }
        break;
    default:
        break;
    }
    return 0;
}

static struct lws_protocols protocols[] = {{"feed", callback, sizeof(struct connection), 1 << 16, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};

static void on_signal(int signal) {
    (void)signal;
    interrupted = 1;
}

int main(int argc, char **argv) {
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = argc > 1 ? atoi(argv[1]) : 8091;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context *context = lws_create_context(&info);
    if (!context) return 1;
    printf("lws broadcast listening on ws://127.0.0.1:%d/v1/ws\n", info.port);
    fflush(stdout);
    while (!interrupted && lws_service(context, 0) >= 0) {
    }
    lws_context_destroy(context);
    return 0;
}
