/* Generated from nsproc/protocol.go by
 *   go test -tags netlab_protogen ./nsproc -run 'TestProtocolHeader|TestFuzzSeeds' -update
 * Do not edit: the tags are protocol.go's. */
#ifndef NETLAB_PROTOCOL_H
#define NETLAB_PROTOCOL_H

#define CONTROL_FD 3
#define MAX_PACKET 1048576
#define MAX_FILES 64
#define CODE_NO_INTERFACE 3
#define PROTOCOL_VERSION 9
#define PACKET_MAGIC "nl\011\000"
#define ARG_SUPERVISOR "__netlab_supervisor"
#define ARG_AGENT "__netlab_agent"
#define TITLE_ROOM 80
#define LOG_DIR "/run/log/netlab"

/* control */
#define T_CONTROL_MAPPED 1
#define T_CONTROL_BEGIN 6
#define T_CONTROL_SETUP 2
#define T_CONTROL_SPAWN 3
#define T_CONTROL_NETLINK 4
#define T_CONTROL_DETACH 5
#define T_CONTROL_STOP 7
#define T_CONTROL_NODENETLINK 8
#define T_CONTROL_WATCH 9

/* labBegin */
#define T_BEGIN_ID 12
#define T_BEGIN_UID 13
#define T_BEGIN_GID 14

/* labSetup */
#define T_SETUP_ID 10
#define T_SETUP_HIDE 11
#define T_SETUP_CAPS 15
#define T_SETUP_NPROC 16
#define T_SETUP_LISTEN 19

/* spawnRequest */
#define T_SPAWN_ID 20
#define T_SPAWN_NODE 21
#define T_SPAWN_HOSTNAME 22
#define T_SPAWN_SYSCTLS 23
#define T_SPAWN_LAYER 24
#define T_SPAWN_BINDS 25
#define T_SPAWN_TMPFSSIZE 26
#define T_SPAWN_CGROUPS 27
#define T_SPAWN_HELD 28
#define T_SPAWN_CLOCKOFFSET 29

/* LayerFile */
#define T_LAYER_PATH 30
#define T_LAYER_DIR 31
#define T_LAYER_DATA 32
#define T_LAYER_MODE 33
#define T_LAYER_UID 34
#define T_LAYER_GID 35

/* bindSpec */
#define T_BIND_SOURCE 36
#define T_BIND_TARGET 37
#define T_BIND_READONLY 38
#define T_BIND_TREE 39

/* spawnReply */
#define T_REPLY_ID 40
#define T_REPLY_ERROR 41
#define T_REPLY_DETACHED 42
#define T_REPLY_PID 43

/* readyReport */
#define T_READY_ERROR 50

/* nodeRequest */
#define T_REQ_EXEC 60
#define T_REQ_PUT 61
#define T_REQ_SERVICES 62
#define T_REQ_NETLINK 63
#define T_REQ_SYSCTLS 64
#define T_REQ_PACKET 65
#define T_REQ_WATCH 66

/* execRequest */
#define T_EXEC_ARGV 70
#define T_EXEC_ENV 71
#define T_EXEC_DIR 72
#define T_EXEC_PTY 73
#define T_EXEC_ROWS 74
#define T_EXEC_COLS 75
#define T_EXEC_LOG 76
#define T_EXEC_SERVICE 77

/* putRequest */
#define T_PUT_PATH 80
#define T_PUT_DATA 81
#define T_PUT_MODE 82
#define T_PUT_UID 83
#define T_PUT_GID 84

/* execEvent */
#define T_EVENT_SIGNAL 90
#define T_EVENT_PTY 91
#define T_EVENT_EXIT 92
#define T_EVENT_STARTED 93

/* exitInfo */
#define T_EXIT_CODE 100
#define T_EXIT_ERROR 101
#define T_EXIT_OUTPUT 102

/* servicesReply */
#define T_SERVICES_SERVICES 110

/* Service */
#define T_SERVICE_NAME 120
#define T_SERVICE_PID 121
#define T_SERVICE_RUNNING 122
#define T_SERVICE_EXIT 123

/* nodeOp */
#define T_NODEOP_ID 17
#define T_NODEOP_NODE 18

/* watchEvent */
#define T_WATCH_KIND 130
#define T_WATCH_NODE 131
#define T_WATCH_SERVICE 132
#define T_WATCH_CODE 133
#define T_WATCH_PID 134

#endif
