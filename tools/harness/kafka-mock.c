/*
 * A Kafka-protocol peer for tests: librdkafka's mock cluster, driven over stdin/stdout.
 *
 *   usage: kafka-mock [brokers]          (default 3; broker ids are 1..brokers)
 *   stdout: "BOOTSTRAP host:port,..." once listening, then one "OK" or "ERR <reason>" per command.
 *   stdin commands, one per line:
 *     topic <name> <partitions> <replication>
 *     down <brokerId> | up <brokerId> | rtt <brokerId> <ms>
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_LINE 1024

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

static void cmd_broker(rd_kafka_mock_cluster_t *mc, const char *verb) {
        long id, ms;
        if (parse_int(strtok(NULL, " "), &id)) {
                printf("ERR usage: %s <brokerId>%s\n", verb,
                       strcmp(verb, "rtt") ? "" : " <ms>");
                return;
        }
        if (!strcmp(verb, "down"))
                reply(rd_kafka_mock_broker_set_down(mc, (int32_t)id));
        else if (!strcmp(verb, "up"))
                reply(rd_kafka_mock_broker_set_up(mc, (int32_t)id));
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
static int dispatch(rd_kafka_mock_cluster_t *mc, char *line) {
        const char *verb = strtok(line, " ");
        if (!verb)
                printf("ERR empty command\n");
        else if (!strcmp(verb, "quit"))
                return 1;
        else if (!strcmp(verb, "topic"))
                cmd_topic(mc);
        else if (!strcmp(verb, "down") || !strcmp(verb, "up") ||
                 !strcmp(verb, "rtt"))
                cmd_broker(mc, verb);
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
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;

        if (argc > 1 && (parse_int(argv[1], &brokers) || brokers < 1)) {
                fprintf(stderr, "usage: %s [brokers>=1]\n", argv[0]);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);

        /* The cluster needs a client handle for its bookkeeping; this one never connects. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
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
        printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));

        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\r\n")] = '\0';
                if (dispatch(mc, line))
                        break;
        }

        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
