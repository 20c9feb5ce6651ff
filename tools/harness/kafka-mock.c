/*
 * A Kafka-protocol peer for tests: librdkafka's mock cluster, driven over stdin/stdout.
 *
 *   usage: kafka-mock [brokers]          (default 3; broker ids are 1..brokers)
 *   stdout: "BOOTSTRAP host:port,..." once listening, then one "OK" or "ERR <reason>" per command.
 *   stdin commands, one per line:
 *     topic <name> <partitions> <replication>
 *     down <brokerId> | up <brokerId> | rtt <brokerId> <ms>
 *         "down" first moves the leadership of the broker's partitions to live replicas (or any
 *         live broker) and the consumer groups it coordinates to a live broker, as a real
 *         cluster does; the mock never does either by itself. Groups are learnt from the mock's
 *         own debug log as they form, so only groups seen before the "down" move.
 *     leader <topic> <partition> <brokerId>      move a partition's leadership (no automatic failover)
 *     reqerr <apiKey> <errorCode> [count]        the next <count> requests of that API fail
 *     quit
 *   Exits 0 on "quit" or stdin EOF, so the cluster dies with its parent.
 *
 * Auto-creation (librdkafka 2.0.2, checked with kafkajs 2.2.4): the mock creates any unknown topic
 * a client asks about in a Metadata request, with 4 partitions and replication min(3, brokers).
 * It cannot be switched off here, and kafkajs (which speaks Metadata v2, a version without the
 * AllowAutoTopicCreation flag) gets it even with producer({ allowAutoTopicCreation: false }): a
 * send() to a misspelt topic succeeds. Create topics explicitly so partition counts are known.
 */
#include <errno.h>
#include <pthread.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_LINE 1024
#define MAX_BROKERS 64
#define METADATA_TIMEOUT_MS 5000

#define MAX_GROUPS 256
#define MAX_GROUP_NAME 250

static long broker_cnt;
static int is_down[MAX_BROKERS + 1];

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static char groups[MAX_GROUPS][MAX_GROUP_NAME + 1];
static int group_cnt;

/* The mock names each group it forms in a debug line: "Mock consumer group <name> with ...". */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
        static const char marker[] = "Mock consumer group ";
        const char *name = strstr(buf, marker);
        (void)rk;
        if (level <= 4)
                fprintf(stderr, "%s: %s\n", fac, buf);
        if (!name)
                return;
        name += sizeof(marker) - 1;
        size_t len = strcspn(name, " :");
        if (len == 0 || len > MAX_GROUP_NAME)
                return;
        pthread_mutex_lock(&groups_lock);
        int known = 0;
        for (int i = 0; i < group_cnt && !known; i++)
                known = strlen(groups[i]) == len && !strncmp(groups[i], name, len);
        if (!known && group_cnt < MAX_GROUPS) {
                memcpy(groups[group_cnt], name, len);
                groups[group_cnt++][len] = '\0';
        }
        pthread_mutex_unlock(&groups_lock);
}

static int live(int32_t id) {
        return id >= 1 && id <= broker_cnt && !is_down[id];
}

static int parse_int(const char *s, long *out) {
        char *end;
        if (!s)
                return -1;
        errno = 0;
        *out  = strtol(s, &end, 10);
        return (errno || *end != '\0' || end == s) ? -1 : 0;
}

static void reply(rd_kafka_resp_err_t err) {
        if (err)
                printf("ERR %s\n", rd_kafka_err2str(err));
        else
                printf("OK\n");
}

static void cmd_topic(rd_kafka_mock_cluster_t *mc) {
        const char *name = strtok(NULL, " ");
        long partitions, replication;
        if (!name || parse_int(strtok(NULL, " "), &partitions) ||
            parse_int(strtok(NULL, " "), &replication)) {
                printf("ERR usage: topic <name> <partitions> <replication>\n");
                return;
        }
        reply(rd_kafka_mock_topic_create(mc, name, (int)partitions,
                                         (int)replication));
}

/*
 * Moves the leadership of every partition led by `id` to a live replica (else any live broker),
 * reading the current leaders through a client of the cluster itself. A partition with no live
 * broker left stays on `id`, offline, as in a real cluster.
 */
static rd_kafka_resp_err_t fail_over(rd_kafka_mock_cluster_t *mc, rd_kafka_t *meta,
                                     int32_t id) {
        const struct rd_kafka_metadata *md;
        rd_kafka_resp_err_t err =
            rd_kafka_metadata(meta, 1, NULL, &md, METADATA_TIMEOUT_MS);
        if (err)
                return err;
        for (int t = 0; t < md->topic_cnt && !err; t++) {
                const rd_kafka_metadata_topic_t *topic = &md->topics[t];
                for (int p = 0; p < topic->partition_cnt && !err; p++) {
                        const rd_kafka_metadata_partition_t *part =
                            &topic->partitions[p];
                        int32_t next = -1;
                        if (part->leader != id)
                                continue;
                        for (int r = 0; r < part->replica_cnt && next < 0; r++)
                                if (part->replicas[r] != id &&
                                    live(part->replicas[r]))
                                        next = part->replicas[r];
                        for (int32_t b = 1; b <= broker_cnt && next < 0; b++)
                                if (b != id && live(b))
                                        next = b;
                        if (next >= 0)
                                err = rd_kafka_mock_partition_set_leader(
                                    mc, topic->topic, part->id, next);
                }
        }
        rd_kafka_metadata_destroy(md);
        return err;
}

/*
 * Pins each known group's coordinator on a live broker, moving those `id` coordinated. Without an explicit setting the
 * mock picks the coordinator as crc32(group) % brokers (librdkafka 2.0.2, rd_kafka_mock_cluster_get_coord).
 */
static rd_kafka_resp_err_t move_coordinators(rd_kafka_mock_cluster_t *mc, int32_t id) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        pthread_mutex_lock(&groups_lock);
        for (int i = 0; i < group_cnt && !err; i++) {
                const char *g = groups[i];
                int32_t coord =
                    (int32_t)(crc32(0L, (const Bytef *)g, (uInt)strlen(g)) %
                              (uLong)broker_cnt) + 1;
                /* Pinned even when it stays put: should the hash guess be wrong, every group
                 * still ends on a live broker. */
                int32_t next = coord != id && live(coord) ? coord : -1;
                for (int32_t b = 1; b <= broker_cnt && next < 0; b++)
                        if (b != id && live(b))
                                next = b;
                if (next >= 0)
                        err = rd_kafka_mock_coordinator_set(mc, "group", g, next);
        }
        pthread_mutex_unlock(&groups_lock);
        return err;
}

static void cmd_broker(rd_kafka_mock_cluster_t *mc, rd_kafka_t *meta,
                       const char *verb) {
        long id, ms;
        if (parse_int(strtok(NULL, " "), &id)) {
                printf("ERR usage: %s <brokerId>%s\n", verb,
                       strcmp(verb, "rtt") ? "" : " <ms>");
                return;
        }
        if (id < 1 || id > broker_cnt) {
                printf("ERR no broker %ld\n", id);
                return;
        }
        if (!strcmp(verb, "down")) {
                rd_kafka_resp_err_t err = fail_over(mc, meta, (int32_t)id);
                if (!err)
                        err = move_coordinators(mc, (int32_t)id);
                if (!err)
                        err = rd_kafka_mock_broker_set_down(mc, (int32_t)id);
                if (!err)
                        is_down[id] = 1;
                reply(err);
        } else if (!strcmp(verb, "up")) {
                rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_up(mc, (int32_t)id);
                if (!err)
                        is_down[id] = 0;
                reply(err);
        }
        else if (parse_int(strtok(NULL, " "), &ms))
                printf("ERR usage: rtt <brokerId> <ms>\n");
        else
                reply(rd_kafka_mock_broker_set_rtt(mc, (int32_t)id, (int)ms));
}

static void cmd_leader(rd_kafka_mock_cluster_t *mc) {
        const char *topic = strtok(NULL, " ");
        long partition, id;
        if (!topic || parse_int(strtok(NULL, " "), &partition) ||
            parse_int(strtok(NULL, " "), &id)) {
                printf("ERR usage: leader <topic> <partition> <brokerId>\n");
                return;
        }
        reply(rd_kafka_mock_partition_set_leader(mc, topic, (int32_t)partition,
                                                 (int32_t)id));
}

static void cmd_reqerr(rd_kafka_mock_cluster_t *mc) {
        long api_key, code, count = 1;
        const char *count_arg;
        if (parse_int(strtok(NULL, " "), &api_key) ||
            parse_int(strtok(NULL, " "), &code)) {
                printf("ERR usage: reqerr <apiKey> <errorCode> [count]\n");
                return;
        }
        count_arg = strtok(NULL, " ");
        if (count_arg && (parse_int(count_arg, &count) || count < 1)) {
                printf("ERR count must be a positive integer\n");
                return;
        }
        for (long i = 0; i < count; i++) {
                rd_kafka_resp_err_t err = (rd_kafka_resp_err_t)code;
                rd_kafka_mock_push_request_errors_array(mc, (int16_t)api_key, 1,
                                                        &err);
        }
        reply(RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* Returns 0 to keep going, 1 on quit. */
static int dispatch(rd_kafka_mock_cluster_t *mc, rd_kafka_t *meta, char *line) {
        const char *verb = strtok(line, " ");
        if (!verb)
                printf("ERR empty command\n");
        else if (!strcmp(verb, "quit"))
                return 1;
        else if (!strcmp(verb, "topic"))
                cmd_topic(mc);
        else if (!strcmp(verb, "down") || !strcmp(verb, "up") ||
                 !strcmp(verb, "rtt"))
                cmd_broker(mc, meta, verb);
        else if (!strcmp(verb, "leader"))
                cmd_leader(mc);
        else if (!strcmp(verb, "reqerr"))
                cmd_reqerr(mc);
        else
                printf("ERR unknown command: %s\n", verb);
        return 0;
}

int main(int argc, char **argv) {
        char errstr[512], line[MAX_LINE];
        long brokers = 3;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk, *meta;
        rd_kafka_mock_cluster_t *mc;

        if (argc > 1 &&
            (parse_int(argv[1], &brokers) || brokers < 1 || brokers > MAX_BROKERS)) {
                fprintf(stderr, "usage: %s [brokers 1..%d]\n", argv[0], MAX_BROKERS);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);

        /* The cluster needs a client handle for its bookkeeping; this one never connects. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "7", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "debug", "mock", errstr, sizeof(errstr));
        rd_kafka_conf_set_log_cb(conf, on_log);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "rd_kafka_new: %s\n", errstr);
                return 1;
        }
        mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
        if (!mc) {
                fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
                rd_kafka_destroy(rk);
                return 1;
        }
        broker_cnt = brokers;

        /* A client of the cluster, to read partition leaders before a broker goes down. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        if (rd_kafka_conf_set(conf, "bootstrap.servers",
                              rd_kafka_mock_cluster_bootstraps(mc), errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK ||
            !(meta = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                  sizeof(errstr)))) {
                fprintf(stderr, "metadata client: %s\n", errstr);
                rd_kafka_mock_cluster_destroy(mc);
                rd_kafka_destroy(rk);
                return 1;
        }
        printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));

        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\r\n")] = '\0';
                if (dispatch(mc, meta, line))
                        break;
        }

        rd_kafka_destroy(meta);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
